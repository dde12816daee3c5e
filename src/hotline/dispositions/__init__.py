"""What volunteers note about the urgent calls and text cases they took."""
