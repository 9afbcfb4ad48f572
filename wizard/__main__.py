"""`python -m wizard` runs the same entry point as `email-auth-wizard`."""

from wizard.cli import entry

entry()
