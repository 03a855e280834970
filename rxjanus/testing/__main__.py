"""``python -m rxjanus.testing``: same as ``python -m rxjanus.testing.server``."""

import sys

from .server import main

sys.exit(main())
