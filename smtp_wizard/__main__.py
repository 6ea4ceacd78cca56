"""`python -m smtp_wizard` runs the same entry point as the `smtp-wizard` script."""

import sys

from smtp_wizard.launch import main

sys.exit(main())
