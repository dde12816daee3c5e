"""Who may use the coordinator API: users, their tokens and roles, and the audit log."""
