"""Errors porter raises on purpose, and the CLI exit code each one maps to.

Exit codes are part of the public contract (docs and CI rely on them):
0 success, 1 parity failure, 2 conversion failure (unsupported op, bad input), 3 usage.
"""

from __future__ import annotations

import errno

EXIT_OK = 0
EXIT_PARITY = 1
EXIT_CONVERSION = 2
EXIT_USAGE = 3


class PorterError(Exception):
    """Base class: an error porter detected and can explain in one line.

    `next_step`, when set, says what to do about it (a command to run, an option, an extension
    point); the CLI prints it after the reason.
    """

    exit_code = EXIT_CONVERSION
    next_step = ""


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


# OSErrors that describe the user's machine (disk, quota, permissions), not a porter bug.
_SITUATIONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for this file system or process limit (ulimit -f)",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
}


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def interrupted(exc: BaseException) -> bool:
    """True when a Ctrl-C / SIGTERM is anywhere in the chain: a library's cleanup (zipfile closing a
    half-written archive, say) can raise its own error while the interruption unwinds through it."""
    return any(isinstance(e, KeyboardInterrupt) for e in _chain(exc))


def situation(exc: BaseException) -> str | None:
    """Why, in a few words, for an out-of-space, size-limit or permission error anywhere in the chain."""
    for e in _chain(exc):
        if isinstance(e, OSError) and e.errno in _SITUATIONS:
            return f"{e.filename}: {_SITUATIONS[e.errno]}" if e.filename else _SITUATIONS[e.errno]
    return None
