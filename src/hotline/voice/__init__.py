"""The voice channel: the IVR as a pure flow, rendered as TwiML at the edge."""
