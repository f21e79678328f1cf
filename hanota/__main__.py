"""``python -m hanota``: the ``hanota`` command line."""

import sys

from hanota.conformance.cli import main

sys.exit(main())
