"""``python -m abcresearch`` runs the command line."""

import sys

from abcresearch.cli import main

sys.exit(main())
