"""``python -m emulator`` runs the ``vendor-emulator`` command."""

import sys

from emulator.cli import main

sys.exit(main())
