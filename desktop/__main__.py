"""`python -m desktop`: the same as the `liaison` command."""

import sys

from desktop.app import main

sys.exit(main())
