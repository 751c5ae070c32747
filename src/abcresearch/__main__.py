"""``python -m abcresearch`` runs the command line."""

from abcresearch.cli import entry

entry()
