"""`python -m sarcoform` = the `sarcoform` command."""

import sys

from .cli import main

sys.exit(main())
