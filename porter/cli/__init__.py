"""The `porter` command line: one module per command (or pair of related commands), registered on the
group in porter.cli.app, which imports a command's module only when that command runs (or --help lists
them all): `porter convert` does not pay for the validators', kernels' or checkpoints' imports.

Exit codes: 0 success, 1 parity failure, 2 conversion failure (unsupported op, bad input), 3 usage.
"""

from porter.cli.app import main

__all__ = ["main"]
