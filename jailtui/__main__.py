"""``python -m jailtui``: the same entry point as the ``jailtui`` script."""

import sys

from jailtui.cli.main import main

sys.exit(main())
