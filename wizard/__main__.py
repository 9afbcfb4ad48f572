"""`python -m wizard` runs the same entry point as `email-auth-wizard`."""

import sys

from wizard.cli import main

sys.exit(main())
