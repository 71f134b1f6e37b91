"""The ``enclave`` command line: one CLI, one verb per job, in one module per group of commands.

``root`` holds the Typer app the groups are registered on; ``common`` what they share (consoles, settings,
errors as exit codes, JSON); ``wiring`` and ``evaluation_wiring`` build the components a run needs without a
server. Each command parses its options, calls one function, and renders the result.
"""

from api.cli.root import app, main

__all__ = ["app", "main"]
