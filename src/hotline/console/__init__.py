"""The web console: coordinators and volunteers run the hotline from a browser."""
