"""Crash-isolated workers: run many independent items in long-lived subprocesses.

A framework kernel that segfaults, aborts or hangs takes down one worker, not porter: the item is
reported as crashed (or timed out), the worker is replaced, and the rest of the run goes on.
Workers are fresh, isolated interpreters (`python -I -m porter.workers`, started by porter.launcher),
so each imports its framework alone, nothing of the parent (its __main__ script, its imported
frameworks) leaks into them, and nothing of the working directory runs in them. A caller whose
function lives outside the installed packages names its folder explicitly (`extra_path`).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from porter.launcher import popen, python_command


@dataclass
class Outcome:
    key: str
    ok: bool  # False when the worker died or timed out
    value: object = None
    error: str = ""


def _worker_main(conn: Connection, func_path: str, init_path: str | None, init_arg, extra_path: str = "") -> None:
    # appended, not prepended: a caller's folder adds modules, it never shadows an installed one
    sys.path.extend(p for p in extra_path.split(os.pathsep) if p)
    module_name, func_name = func_path.rsplit(":", 1)
    func = getattr(importlib.import_module(module_name), func_name)
    if init_path:
        init_module, init_name = init_path.rsplit(":", 1)
        getattr(importlib.import_module(init_module), init_name)(init_arg)
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        key, payload = message
        conn.send((key, func(payload)))


class WorkerProcess:
    """One long-lived worker; `call` sends a payload and waits for its result."""

    def __init__(
        self, func_path: str, init_path: str | None, init_arg, env: dict | None = None, extra_path: Sequence[str] = ()
    ):
        parent, child = socket.socketpair()
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the worker; explains its death)
        argv = python_command(
            "porter.workers", child.fileno(), func_path, init_path or "", init_arg or "", os.pathsep.join(extra_path)
        )
        self.process = popen(
            argv,
            env=env,
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )
        child.close()
        self.conn = Connection(parent.detach())
        self.key: str | None = None
        self.started = 0.0

    def send(self, key: str, payload) -> None:
        self.key = key
        self.started = time.monotonic()
        self.conn.send((key, payload))

    def call(self, payload, timeout: float = 300.0):
        """The function's result; raises RuntimeError if the worker dies or times out (it is then dead)."""
        self.send("call", payload)
        if not self.conn.poll(timeout):
            self.kill()
            raise RuntimeError(f"worker timed out after {timeout:.0f}s")
        try:
            return self.conn.recv()[1]
        except (EOFError, OSError):
            reason = _death_reason(self)
            self.kill()
            raise RuntimeError(reason) from None

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.conn.close()

    def last_error_line(self) -> str:
        self.stderr.seek(0)
        lines = [ln for ln in self.stderr.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        errors = [ln for ln in lines if "Error" in ln or "error" in ln]
        return (errors or lines or [""])[-1].strip()[:300]


def run_isolated(
    items: Iterable[tuple[str, object]],
    func_path: str,
    *,
    jobs: int = 2,
    timeout: float = 120.0,
    init_path: str | None = None,
    init_arg=None,
    on_start: Callable[[str], None] | None = None,
    env: dict | None = None,
    extra_path: Sequence[str] = (),
) -> Iterator[Outcome]:
    """Yield an Outcome per (key, payload) as workers finish them (order not preserved).

    func_path is "module:function"; the function takes the payload and returns a picklable value.
    """

    def spawn() -> WorkerProcess:
        return WorkerProcess(func_path, init_path, init_arg, env, extra_path)

    pending = list(items)
    pending.reverse()
    workers = [spawn() for _ in range(max(1, min(jobs, len(pending) or 1)))]
    idle = list(workers)
    busy: list[WorkerProcess] = []
    try:
        while pending or busy:
            while idle and pending:
                worker = idle.pop()
                key, payload = pending.pop()
                if on_start:
                    on_start(key)
                try:
                    worker.send(key, payload)
                except (BrokenPipeError, OSError):
                    worker.kill()
                    worker = spawn()
                    worker.send(key, payload)
                busy.append(worker)
            ready = wait([w.conn for w in busy], timeout=1.0)
            now = time.monotonic()
            for worker in list(busy):
                if worker.conn in ready:
                    try:
                        key, value = worker.conn.recv()
                    except (EOFError, OSError):
                        yield Outcome(worker.key, False, error=_death_reason(worker))
                        busy.remove(worker)
                        worker.kill()
                        idle.append(spawn())
                        continue
                    busy.remove(worker)
                    idle.append(worker)
                    yield Outcome(key, True, value)
                elif worker.process.poll() is not None:
                    busy.remove(worker)
                    reason = _death_reason(worker)
                    worker.kill()
                    yield Outcome(worker.key, False, error=reason)
                    idle.append(spawn())
                elif now - worker.started > timeout:
                    busy.remove(worker)
                    worker.kill()
                    yield Outcome(worker.key, False, error=f"timed out after {timeout:.0f}s")
                    idle.append(spawn())
    finally:
        for worker in idle + busy:
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.conn.send(None)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(timeout=2)
            worker.kill()


def _death_reason(worker: WorkerProcess) -> str:
    try:
        code = worker.process.wait(timeout=2)
    except subprocess.TimeoutExpired:
        return "worker stopped answering"
    detail = worker.last_error_line()
    suffix = f": {detail}" if detail else ""
    if code < 0:
        try:
            return f"worker killed by {signal.Signals(-code).name}{suffix}"
        except ValueError:
            return f"worker killed by signal {-code}{suffix}"
    return f"worker exited with code {code}{suffix}"


if __name__ == "__main__":
    _worker_main(Connection(int(sys.argv[1])), sys.argv[2], sys.argv[3] or None, sys.argv[4] or None, *sys.argv[5:6])
