"""``python -m vztui.cli``: the same as the ``vztui`` console script."""

import sys

from vztui.cli import main

sys.exit(main())
