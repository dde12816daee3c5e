"""The on-call roster as coordinators keep it: volunteers, shifts, covers, availability."""
