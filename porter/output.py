"""Atomic output directories: write into a temporary sibling, rename into place only on success."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from porter.errors import OutputExists


def check_writable(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExists(f"{out_dir}: exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise OutputExists(f"{out_dir}: exists and is not empty (use --force to replace it)")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(out: Path) -> None:
    """Remove temporary siblings left by a conversion that was killed (SIGKILL cannot be caught)."""
    for candidate in out.parent.glob(f".{out.name}.porter-*"):
        parts = candidate.name.rsplit(".porter-", 1)[-1].split("-")
        if parts and parts[0].isdigit() and not _pid_alive(int(parts[0])):
            shutil.rmtree(candidate, ignore_errors=True)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block is done (they are delivered right after it)."""
    signals = {signal.SIGINT, signal.SIGTERM}
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def atomic_directory(out_dir: str | os.PathLike, force: bool = False) -> Iterator[Path]:
    """Yield a temporary directory beside out_dir; on success it replaces out_dir in one rename.

    On any exception (Ctrl-C and, from the CLI, SIGTERM included) the temporary directory is removed
    and out_dir is untouched; the swap itself runs with those signals held, so OUT is never missing.
    A SIGKILL leaves the hidden temporary behind; the next conversion to the same OUT removes it (its
    name carries the dead process's pid).
    """
    out = Path(out_dir)
    check_writable(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)
    prefix = f".{out.name}.porter-{os.getpid()}-"
    tmp = None
    try:
        with _signals_deferred():
            tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=out.parent))
        yield tmp
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    trash = None
    with _signals_deferred():
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=prefix + "old-", dir=out.parent))
            os.rename(out, trash / "old")
        os.rename(tmp, out)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)
