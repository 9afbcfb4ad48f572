"""Email Auth Wizard: set up and verify SPF, DKIM, DMARC and MTA-STS for CIMcloud mail."""

__version__ = "0.1.0"
APP_NAME = "Email Auth Wizard"
APP_ID = "email-auth-wizard"
BUNDLE_ID = "com.cimcloud.email-auth-wizard"
ORGANIZATION = "CIMcloud"
