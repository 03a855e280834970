"""The ``rxjanus`` command line (``rxjanus --help``, or ``python -m rxjanus``).

Built on click (commands, options, environment variables, help) and rich
(tables, live views, progress). One module per command group:

* `server_info`: ``info``, ``ping`` (the Janus API, no session);
* `admin`: ``sessions``, ``handles``, ``handle-info`` (the Admin API);
* `top`: a live view of sessions, handles and their media;
* `tokens`: the Admin API's stored tokens;
* `echo`: an EchoTest with live stats;
* `videoroom`: ``publish`` into and ``record`` from a VideoRoom room;
* `server`: a local Janus on loopback for demos.

``import rxjanus`` never imports this package (nor click or rich).
"""

from __future__ import annotations

from ._app import cli, main

__all__ = ["cli", "main"]
