"""The call event log, written off the caller's path."""
