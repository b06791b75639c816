"""`stockroom` itself: the grouped help, Django's commands behind `stockroom django`, unknown commands,
and the simulator registry behind `stockroom sandbox`."""

import importlib
import os
import sqlite3
import subprocess
import sys
import tomllib
import types
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from django.core.management import get_commands

from stockroom.cli import main as cli
from stockroom.cli import sandbox

GROUP_HEADINGS = ["Set-up:", "Stock:", "Orders:", "Channels:", "Simulators:"]


def listed_commands(text: str) -> dict[str, list[str]]:
    """The help's groups: heading -> the command names listed under it, in order."""
    groups: dict[str, list[str]] = {}
    heading = None
    for line in text.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            heading = line
            groups[heading] = []
        elif line.startswith("  ") and heading:
            groups[heading].append(line.split()[0])
        elif not line:
            heading = None
    return groups


def our_management_commands() -> set[str]:
    return {name for name, app in get_commands().items() if app.startswith("stockroom.")}


def test_help_lists_every_stockroom_command_once_grouped_and_no_django_command(capsys):
    assert cli.main([]) == 0
    text = capsys.readouterr().out

    groups = listed_commands(text)
    assert list(groups) == GROUP_HEADINGS
    names = [name for commands in groups.values() for name in commands]
    assert Counter(names).most_common(1)[0][1] == 1
    assert set(names) == our_management_commands() | {"django", "sandbox"}
    assert groups["Simulators:"] == ["sandbox"]
    assert set(groups["Stock:"]) == {"items", "stock"}
    assert set(groups["Channels:"]) == {"account", "listings", "shipping", "sync"}
    django_names = set(get_commands()) - our_management_commands()
    assert {"migrate", "dbshell", "squashmigrations", "run_huey"} <= django_names
    assert not set(names) & django_names
    assert "squashmigrations" not in text
    assert text.startswith("usage: stockroom COMMAND [ARGS]\n")


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["help"]])
def test_help_spellings_print_the_same_text(argv, capsys):
    cli.main([])
    expected = capsys.readouterr().out

    assert cli.main(argv) == 0
    assert capsys.readouterr().out == expected


def test_top_level_help_needs_neither_django_nor_a_data_directory(tmp_path):
    env = {
        **os.environ,
        "STOCKROOM_HOME": str(tmp_path / "home"),
        "DJANGO_SETTINGS_MODULE": "no.such.settings",
    }

    result = subprocess.run(
        [sys.executable, "-m", "stockroom.cli.main", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "\nChannels:\n  account " in result.stdout
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("name", sorted(cli.COMMANDS.keys() - {"django", "sandbox"}))
def test_each_command_has_its_own_help_without_djangos_developer_options(name, capsys):
    assert cli.main([name, "--help"]) == 0
    text = capsys.readouterr().out

    assert text.startswith(f"usage: stockroom {name} [-h]")
    for option in ("--settings", "--pythonpath", "--traceback", "--verbosity", "--skip-checks", "--no-color"):
        assert option not in text
    assert cli.main(["help", name]) == 0
    assert capsys.readouterr().out == text


def test_django_commands_run_under_stockroom_django(capsys):
    assert cli.main(["django", "check"]) == 0
    assert capsys.readouterr().out == "System check identified no issues (0 silenced).\n"

    assert cli.main(["django", "help"]) == 0
    django_help = capsys.readouterr().out
    assert "Type 'stockroom django help <subcommand>' for help on a specific subcommand." in django_help
    assert "    migrate\n" in django_help

    assert cli.main(["django", "migrate", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: stockroom django migrate ")


def test_a_django_command_at_the_top_level_points_to_stockroom_django(capsys):
    assert cli.main(["migrate"]) == 2

    assert capsys.readouterr().err == (
        "stockroom: 'migrate' is one of Django's commands: run `stockroom django migrate`.\n"
        "Run `stockroom --help` to see the commands.\n"
    )


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("stok", " Did you mean `stockroom stock`?"),
        ("acount", " Did you mean `stockroom account`?"),
        ("migarte", " Did you mean `stockroom django migrate` or `stockroom django sqlmigrate`?"),
        ("frobnicate", ""),
    ],
)
def test_unknown_command_is_refused_with_the_closest_commands(typed, suggestion, capsys):
    assert cli.main([typed, "--json"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"stockroom: unknown command '{typed}'.{suggestion}\nRun `stockroom --help` to see the commands.\n"
    )


def test_help_for_an_unknown_command_is_the_same_error(capsys):
    assert cli.main(["help", "stok"]) == 2
    assert capsys.readouterr().err.startswith(
        "stockroom: unknown command 'stok'. Did you mean `stockroom stock`?"
    )


@pytest.fixture
def recording_simulator(monkeypatch):
    """A simulator registered by one line, whose main records its argv."""
    calls = []
    module = types.ModuleType("recording_simulator")
    module.main = lambda argv: calls.append(argv) or 7
    monkeypatch.setitem(sys.modules, "recording_simulator", module)
    monkeypatch.setitem(
        sandbox.SIMULATORS, "ebay", sandbox.Simulator("recording_simulator", "eBay, for the test")
    )
    return calls


def test_sandbox_dispatches_through_the_registry(recording_simulator):
    assert cli.main(["sandbox", "ebay", "--port", "0", "--seed", "3"]) == 7

    assert recording_simulator == [["--port", "0", "--seed", "3"]]


def test_sandbox_help_lists_every_registered_simulator(recording_simulator, capsys):
    assert cli.main(["sandbox", "--help"]) == 0
    text = capsys.readouterr().out

    width = max(len(name) for name in sandbox.SIMULATORS) + 2  # names are padded to the longest
    assert f"\n  {'amazon':<{width}}Amazon Selling Partner API and Login with Amazon\n" in text
    assert f"\n  {'ebay':<{width}}eBay, for the test\n" in text
    assert cli.main(["help", "sandbox"]) == 0
    assert capsys.readouterr().out == text
    assert recording_simulator == []


def test_sandbox_without_a_channel_shows_the_list_as_an_error(capsys):
    assert cli.main(["sandbox"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "  amazon  " in captured.err


def test_sandbox_refuses_an_unknown_simulator_with_a_suggestion(capsys):
    assert cli.main(["sandbox", "amazn", "--port", "0"]) == 2

    assert capsys.readouterr().err == (
        f"stockroom sandbox: no simulator named 'amazn'; available: {', '.join(sandbox.SIMULATORS)}. "
        "Did you mean `stockroom sandbox amazon`?\n"
    )


@pytest.mark.parametrize("channel", sorted(sandbox.SIMULATORS))
def test_every_registered_simulator_parses_its_own_options(channel, capsys):
    assert callable(importlib.import_module(sandbox.SIMULATORS[channel].module).main)

    with pytest.raises(SystemExit) as exit_:
        cli.main(["sandbox", channel, "--help"])

    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: stockroom sandbox {channel} [-h] [--port PORT]")


def has_tables(database: Path) -> bool:
    if not database.exists():
        return False
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0


def test_the_installed_script_runs_django_commands_only_under_django(tmp_path):
    script = Path(sys.executable).with_name("stockroom")
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env.update(STOCKROOM_HOME=str(tmp_path))

    refused = subprocess.run([script, "migrate"], env=env, capture_output=True, text=True, timeout=120)
    nothing_migrated = not has_tables(tmp_path / "stockroom.sqlite3")
    check = subprocess.run([script, "django", "check"], env=env, capture_output=True, text=True, timeout=120)

    assert refused.returncode == 2
    assert refused.stderr.startswith(
        "stockroom: 'migrate' is one of Django's commands: run `stockroom django migrate`."
    )
    assert nothing_migrated
    assert (check.returncode, check.stdout) == (0, "System check identified no issues (0 silenced).\n")


def test_the_three_layering_contracts_are_declared_and_kept():
    with open(Path(__file__).parents[2] / "pyproject.toml", "rb") as file:
        contracts = {c["name"]: c for c in tomllib.load(file)["tool"]["importlinter"]["contracts"]}

    assert contracts["Connectors never import Django"]["forbidden_modules"] == ["django"]
    only_sync = contracts["Only sync imports connectors (the interfaces go through sync services)"]
    assert {"stockroom.web", "stockroom.api", "stockroom.cli"} <= set(only_sync["source_modules"])
    assert "stockroom.sync" not in only_sync["source_modules"]
    independent = contracts["Interfaces do not import each other"]
    assert (independent["type"], independent["modules"]) == (
        "independence",
        ["stockroom.web", "stockroom.api", "stockroom.cli"],
    )
    lint = subprocess.run(
        [Path(sys.executable).with_name("lint-imports")],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert lint.returncode == 0, lint.stdout


def test_an_unknown_command_is_shown_with_its_control_characters_escaped(capsys):
    assert cli.main(["\x1b[2Jstok"]) == 2

    assert capsys.readouterr().err.startswith("stockroom: unknown command '\\x1b[2Jstok'.")
