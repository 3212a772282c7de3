"""Atomic output directories: write into a temporary sibling, rename into place only on success."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from porter.errors import OutputExists, PorterError, interrupted, situation


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
    """Remove temporary siblings left by a porter process that was killed (SIGKILL cannot be caught).

    Every temporary's name carries its writer's pid (`.OUT.porter-PID-...` for directories,
    `.NAME.tmp-PID...` for files); those of a live process are another run's, and are left alone.
    """
    for pattern, marker in ((f".{out.name}.porter-*", ".porter-"), (f".{out.name}.tmp-*", ".tmp-")):
        for candidate in out.parent.glob(pattern):
            pid = candidate.name.rsplit(marker, 1)[-1].split("-")[0].split(".")[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                if candidate.is_dir() and not candidate.is_symlink():
                    shutil.rmtree(candidate, ignore_errors=True)
                else:
                    candidate.unlink(missing_ok=True)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
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


_SWAP_ATTEMPTS = 1000  # each failed attempt means another process completed a swap: progress was made


def _swap_in(tmp: Path, out: Path, prefix: str, force: bool) -> None:
    """Rename tmp to out, tolerating other processes swapping into the same out at the same time.

    rename(2) of a directory onto an empty or missing one succeeds atomically and fails with
    ENOTEMPTY/EEXIST onto a non-empty one, so no lock is needed: on that failure (with force) the
    current out is moved aside into a trash of our own and the rename is tried again; if another
    process moved it first (FileNotFoundError) or put its own in between, we simply try again.
    Without force, an out that another run completed meanwhile is an OutputExists error.
    The last process to rename wins; every other one either replaced an earlier one or failed clearly.
    """
    trash = None
    try:
        for _ in range(_SWAP_ATTEMPTS):
            try:
                os.rename(tmp, out)
                return
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
            if not force:
                raise OutputExists(f"{out}: another conversion wrote it while this one ran (use --force to replace it)")
            if trash is None:
                trash = Path(tempfile.mkdtemp(prefix=prefix + "old-", dir=out.parent))
            aside = trash / f"old-{len(list(trash.iterdir()))}"
            with contextlib.suppress(FileNotFoundError):  # another process moved it aside first
                os.rename(out, aside)
        raise OutputExists(f"{out}: other processes kept replacing it; gave up after {_SWAP_ATTEMPTS} attempts")
    finally:
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)


@contextlib.contextmanager
def atomic_directory(out_dir: str | os.PathLike, force: bool = False) -> Iterator[Path]:
    """Yield a temporary directory beside out_dir; on success it replaces out_dir in one rename.

    On any exception (Ctrl-C and, from the CLI, SIGTERM included) the temporary directory is removed
    and out_dir is untouched; the swap itself runs with those signals held, so OUT is never left
    half-replaced. A SIGKILL leaves the hidden temporary behind; the next conversion to the same OUT
    removes it (its name carries the dead process's pid). Concurrent conversions into one OUT are
    safe: see _swap_in.
    """
    out = Path(out_dir)
    check_writable(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)
    prefix = f".{out.name}.porter-{os.getpid()}-"
    tmp = None
    try:
        with signals_deferred():
            tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=out.parent))
        yield tmp
        with signals_deferred():
            _swap_in(tmp, out, prefix, force)
    except BaseException as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise_situation(exc, out)
        raise


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path` (same file system, same suffix); on success it replaces
    `path` in one rename. On any error or interruption the temporary is removed and `path` is as it
    was; a SIGKILLed writer's temporary (named after its pid) is removed by the next write to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as exc:
        raise_situation(exc, path)
        raise
    finally:
        tmp.unlink(missing_ok=True)


def raise_situation(exc: BaseException, path: Path) -> None:
    """A full disk, a size limit or a permission while writing `path` is the user's situation, not a
    bug: re-raise it as one line naming the output (the previous output is intact, the temporary gone)."""
    if isinstance(exc, PorterError) or interrupted(exc):
        return
    why = situation(exc)
    if why is not None:
        raise PorterError(f"{path}: cannot write it: {why}; any previous output is unchanged") from exc
