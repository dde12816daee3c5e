"""Rapid response: sighting reports, incidents verified by responders, alerts to subscribers."""
