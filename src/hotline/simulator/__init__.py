"""Twilio as seen from the service: a call that runs TwiML, and a stand-in for the REST API."""
