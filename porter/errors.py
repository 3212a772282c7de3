"""Errors porter raises on purpose, and the CLI exit code each one maps to.

Exit codes are part of the public contract (docs and CI rely on them):
0 success, 1 parity failure, 2 conversion failure (unsupported op, bad input), 3 usage.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PARITY = 1
EXIT_CONVERSION = 2
EXIT_USAGE = 3


class PorterError(Exception):
    """Base class: an error porter detected and can explain in one line."""

    exit_code = EXIT_CONVERSION


class InvalidModel(PorterError):
    """The source could not be read as a valid model (missing, corrupt, inconsistent)."""


class UnsupportedOp(PorterError):
    """A node cannot be expressed exactly in the target; raised at convert time, never at run time."""

    def __init__(self, node_name: str, op_type: str, reason: str, target: str | None = None):
        self.node_name = node_name
        self.op_type = op_type
        self.reason = reason
        self.target = target
        where = f" for {target}" if target else ""
        super().__init__(f"node {node_name!r} ({op_type}){where}: {reason}")


class OutputExists(PorterError):
    """The output directory exists and is not empty; --force was not given."""

    exit_code = EXIT_USAGE


class ParityFailure(PorterError):
    """The converted model's outputs differ from the reference beyond tolerance."""

    exit_code = EXIT_PARITY
