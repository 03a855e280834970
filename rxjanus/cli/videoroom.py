"""``rxjanus publish`` and ``rxjanus record``: a VideoRoom room from the shell."""

from __future__ import annotations

COMMANDS = ()
