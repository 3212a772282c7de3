"""The command group imports a command's module when that command runs; its table names every command."""

import importlib

from click.testing import CliRunner

from porter.cli.app import COMMANDS, main


def test_the_table_is_every_command_the_modules_define():
    for target in COMMANDS.values():
        importlib.import_module(target.split(":")[0])
    assert set(main.commands) <= set(COMMANDS)  # what porter.cli's modules register as they are imported
    for name, target in COMMANDS.items():
        module, attribute = target.split(":")
        command = main.get_command(None, name)
        assert command is getattr(importlib.import_module(module), attribute) and command.name == name
    assert set(main.commands) == set(COMMANDS)


def test_help_lists_every_command_and_an_unknown_one_is_a_usage_error():
    result = CliRunner().invoke(main, ["--help"], standalone_mode=True)
    listed = result.output.split("Commands:")[1]
    assert all(f"  {name} " in listed for name in COMMANDS), result.output
    assert main.get_command(None, "no-such-command") is None
