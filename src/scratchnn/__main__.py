"""``python -m scratchnn ...``: the same as the ``scratchnn`` command."""
import sys

from .cli import main

sys.exit(main())
