"""Where Twilio posts texts and their statuses: the paths the number is configured with."""

SMS_PATH = "/twilio/sms"
STATUS_PATH = "/twilio/sms/status"
