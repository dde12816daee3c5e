"""Claims by code: callbacks, text cases and incidents, taken by the volunteers alerted."""
