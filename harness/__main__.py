"""`python -m harness` runs the command line."""

import sys

from harness.cli.commands import main

sys.exit(main())
