"""MTA-STS (RFC 8461) and TLS-RPT (RFC 8460): records, the policy file, MX matching, the generator."""
