"""Email Auth Wizard: set up and verify SPF, DKIM, DMARC and MTA-STS for CIMcloud mail."""

__version__ = "0.1.0"
APP_NAME = "Email Auth Wizard"
APP_ID = "email-auth-wizard"
BUNDLE_ID = "com.cimcloud.email-auth-wizard"
ORGANIZATION = "CIMcloud"

# `check`: domains checked at the same time by one process (wizard.checks.stream_domains): enough to overlap round
# trips, few enough that the CPU keeps up with the answers (a deadline must never run out while an answer waits
# unread). Kept here, not in wizard.checks, so that --version, --help and the parent of --jsonl's worker
# processes, which only show or pass it on, never import the checks (asyncio, the lookup layer, the core).
DEFAULT_CONCURRENCY = 50
