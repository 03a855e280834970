"""``python -m rxjanus``: the ``rxjanus`` command line."""

from .cli import main

main()
