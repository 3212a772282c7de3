"""The one way porter starts a Python process, and the one way it reads how that process ended.

Every helper process (the PyTorch exporter, the checkpoint reader, paddle.save, the validation runners,
crash-isolated workers) is a fresh interpreter started with `-I` (isolated mode): neither the working
directory nor the script's folder nor PYTHONPATH nor the user site-packages is on its sys.path, and
PYTHON* variables are ignored. A `click.py` or `numpy.py` in the folder where someone runs porter
therefore cannot run. Site-packages stays, so installed porter (editable installs included, through
their .pth finder) and the frameworks resolve as usual.

A helper reports a refusal of its own as a stderr line starting with `porter-error: `; any other
failure is summarised from its last stderr line, its signal, or its timeout, in one sentence.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence

from porter.errors import PorterError

ERROR_PREFIX = "porter-error: "


class HelperFailed(PorterError):
    """A helper process failed, died or timed out; `reason` is the one-line why (without the helper's name),
    `returncode` its exit status (negative: the signal that killed it; None: it timed out)."""

    def __init__(self, what: str, reason: str, *, refused: bool = False, returncode: int | None = None):
        self.what, self.reason, self.refused, self.returncode = what, reason, refused, returncode
        super().__init__(reason if refused else f"{what} {reason}")


def python_command(module: str | None = None, *args, code: str | None = None) -> list[str]:
    """The argv of an isolated interpreter running `module` (python -m) or `code` (python -c)."""
    if (module is None) == (code is None):
        raise ValueError("give a module or code, not both")
    head = ["-m", module] if module is not None else ["-c", code]
    return [sys.executable, "-I", *head, *(str(a) for a in args)]


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The parent's environment (device and thread settings must reach the framework) plus `extra`."""
    return {**os.environ, **(extra or {})}


def failure_reason(returncode: int, stderr: str, stdout: str = "") -> tuple[str, bool]:
    """(why a helper failed, whether it was a refusal the helper explained itself)."""
    lines = [ln for ln in (stderr or "").splitlines() if ln.strip()]
    refusals = [ln.removeprefix(ERROR_PREFIX) for ln in lines if ln.startswith(ERROR_PREFIX)]
    if refusals:
        return refusals[-1].strip(), True
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}", False
    tail = lines or [ln for ln in (stdout or "").splitlines() if ln.strip()]
    return f"failed: {tail[-1].strip()[:500] if tail else f'exit code {returncode}'}", False


def run(
    argv: Sequence[str],
    what: str,
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd=None,
) -> subprocess.CompletedProcess:
    """Run an argv from python_command to completion; raise HelperFailed unless it exits 0."""
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=child_env(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise HelperFailed(what, f"did not finish within {timeout:.0f}s") from None
    if proc.returncode != 0:
        reason, refused = failure_reason(proc.returncode, proc.stderr, proc.stdout)
        raise HelperFailed(what, reason, refused=refused, returncode=proc.returncode)
    return proc


def popen(argv: Sequence[str], *, env: Mapping[str, str] | None = None, **kwargs) -> subprocess.Popen:
    """Start a long-lived helper (a worker) from python_command; the caller owns its lifetime."""
    return subprocess.Popen(list(argv), env=child_env(env), **kwargs)
