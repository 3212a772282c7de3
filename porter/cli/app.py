"""The `porter` command group: how every command's errors end (one line, a documented exit code).

Exit codes: 0 success, 1 parity failure, 2 conversion failure (unsupported op, bad input), 3 usage."""

from __future__ import annotations

import importlib
import signal
import sys

import click

from porter.errors import (
    EXIT_CONVERSION,
    EXIT_OK,
    EXIT_USAGE,
    PorterError,
    interrupted,
    situation,
)
from porter.text import plain

# command name -> "module:attribute" of its click command, imported on first use (porter.cli's docstring)
COMMANDS = {
    "check": "porter.cli.check:check",
    "conformance": "porter.cli.conformance:conformance",
    "convert": "porter.cli.convert:convert",
    "inspect": "porter.cli.inspect:inspect",
    "kernels": "porter.cli.kernels:kernels",
    "ops": "porter.cli.inspect:ops",
    "report": "porter.cli.validate:report",
    "validate": "porter.cli.validate:validate",
    "weights": "porter.cli.weights:weights_command",
}


def _terminate(signum, frame):
    raise KeyboardInterrupt  # so SIGTERM unwinds like Ctrl-C: partial outputs are removed


def _quiet_leftovers() -> None:
    """After an interruption, a full disk or a size limit is reported, the objects a library left
    half-written (a ZipFile whose central directory was never written, a buffered file that cannot flush)
    fail again when they are collected at exit, as "Exception ignored ..." tracebacks: consequences of
    what was already said, in one line."""
    sys.unraisablehook = lambda unraisable: None


class _Group(click.Group):
    def list_commands(self, ctx):
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx, name):
        if name in COMMANDS and name not in self.commands:
            module, attribute = COMMANDS[name].split(":")
            # a porter.cli module registers its commands on `main` as it is imported; others are added here
            self.commands.setdefault(name, getattr(importlib.import_module(module), attribute))
        return self.commands.get(name)

    def main(self, *args, **kwargs):
        kwargs.setdefault("standalone_mode", False)
        signal.signal(signal.SIGTERM, _terminate)
        debug = "--debug" in sys.argv[1:]
        try:
            rv = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            exc.show()
            sys.exit(EXIT_USAGE)
        except (click.Abort, KeyboardInterrupt):
            _quiet_leftovers()
            click.echo("aborted", err=True)
            sys.exit(EXIT_CONVERSION)
        except PorterError as exc:
            if debug:
                raise
            if situation(exc) is not None:
                _quiet_leftovers()
            step = f"; next: {exc.next_step}" if exc.next_step else ""
            click.echo(f"error: {plain(exc)}{plain(step)}", err=True)
            sys.exit(exc.exit_code)
        except Exception as exc:
            if debug:
                raise
            # an interruption or a full disk seen through a library's cleanup error is the user's
            # situation, not a bug: say what happened, in one line
            if interrupted(exc):
                _quiet_leftovers()
                click.echo("aborted", err=True)
            elif situation(exc) is not None:
                _quiet_leftovers()
                click.echo(f"error: {plain(situation(exc))}", err=True)
            else:  # a porter bug: one line, the traceback only with --debug
                click.echo(
                    f"internal error: {type(exc).__name__}: {plain(exc)} (a porter bug; --debug shows the traceback)",
                    err=True,
                )
            sys.exit(EXIT_CONVERSION)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="porter-convert", prog_name="porter")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors (they are one line otherwise).")
def main(debug):
    """porter: port ONNX (and PyTorch) models to PaddlePaddle as readable code, with numeric proof.

    \b
    Exit codes: 0 success, 1 parity failure, 2 conversion failure (also an
    internal error), 3 usage error.
    """
    del debug  # read in _Group.main, before click parses, so errors raised while parsing obey it too
