"""The `porter` command line: one module per command (or pair of related commands), registered on the
group in porter.cli.app.

Exit codes: 0 success, 1 parity failure, 2 conversion failure (unsupported op, bad input), 3 usage.
"""

from porter.cli import check, conformance, convert, inspect, kernels, validate, weights  # noqa: F401  (they register)
from porter.cli.app import main

__all__ = ["main"]
