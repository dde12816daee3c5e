"""Outbound messages: enqueued with the change that caused them, sent by a dispatcher."""
