"""Callbacks: a caller nobody could answer is called back by a volunteer who claims it."""
