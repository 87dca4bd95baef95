"""docs/azureml.md: every file it names loads with Azure's SDK, and every project command
in it exists with the options it is given (the commands themselves are run up to the
network call by tests/azure)."""

from __future__ import annotations

import importlib
import json
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs/azureml.md"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"


def _commands() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", DOC.read_text(), flags=re.S)
    lines = " ".join(blocks).replace("\\\n", " ")
    commands = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#") and "=$(" not in line:
                commands.append(shlex.split(line.replace("<", "_").replace(">", "_")))
    assert lines and commands
    return commands


COMMANDS = _commands()


def _option_value(command: list[str], *flags: str) -> str:
    for flag in flags:
        if flag in command:
            return command[command.index(flag) + 1]
    raise AssertionError(f"none of {flags} in {command}")


def test_the_walk_through_covers_the_building_blocks():
    kinds = {(c[1], c[2], c[3]) for c in COMMANDS if c[0] == "az" and len(c) > 3}
    assert {("ml", "workspace", "create"), ("ml", "compute", "create")} <= kinds
    assert ("ml", "environment", "create") in kinds
    assert next(c[:3] for c in COMMANDS if c[1:3] == ["group", "delete"]) == [
        "az",
        "group",
        "delete",
    ]
    used = {c[2] for c in COMMANDS if c[:2] == ["python", "-m"]}
    assert {
        "mlops_lab.azure.datastore",
        "mlops_lab.azure.data_assets",
        "mlops_lab.azure.emulate",
    } <= used


def test_every_az_ml_file_loads_with_the_sdk():
    import azure.ai.ml as sdk

    loaders = {
        "workspace": sdk.load_workspace,
        "compute": sdk.load_compute,
        "environment": sdk.load_environment,
        "online-endpoint": sdk.load_online_endpoint,
        "online-deployment": sdk.load_online_deployment,
        "data": sdk.load_data,
    }
    checked = 0
    for command in COMMANDS:
        if command[:2] == ["az", "ml"] and "-f" in command:
            path = ROOT / _option_value(command, "-f")
            entity = loaders[command[2]](path)
            assert entity.name, path
            checked += 1
    assert checked >= 5


def test_the_role_assignment_template_grants_blob_data_access():
    for command in COMMANDS:
        if command[:3] == ["az", "deployment", "group"]:
            template = json.loads((ROOT / _option_value(command, "--template-file")).read_text())
            (assignment,) = template["resources"]
            assert assignment["type"] == "Microsoft.Authorization/roleAssignments"
            assert (
                STORAGE_BLOB_DATA_CONTRIBUTOR in template["variables"]["storageBlobDataContributor"]
            )
            for parameter in re.findall(r"(\w+)=", " ".join(command)):
                assert parameter in template["parameters"], parameter
            return
    pytest.fail("no role assignment in the walk-through")


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if c[:2] == ["python", "-m"]], ids=lambda c: " ".join(c[2:4])
)
def test_every_project_module_command_parses(command, capsys):
    module = importlib.import_module(command[2])
    arguments = [a for a in command[3:]]
    # The command's own parser accepts the documented arguments (--help stops it there).
    with pytest.raises(SystemExit) as stopped:
        module.main(
            [*arguments[:1], "--help"]
            if arguments and not arguments[0].startswith("-")
            else ["--help"]
        )
    assert stopped.value.code == 0
    help_text = capsys.readouterr().out
    for flag in (a.split("=")[0] for a in arguments if a.startswith("--")):
        assert flag in help_text, (command, flag)


@pytest.mark.parametrize(
    "command",
    [c for c in COMMANDS if c[:2] == ["kedro", "azureml"]],
    ids=lambda c: " ".join(c[2:6]),
)
def test_every_kedro_azureml_command_has_the_options_it_is_given(command, kedro_project):
    from click.testing import CliRunner
    from kedro.framework.cli.cli import KedroCLI

    result = CliRunner().invoke(
        KedroCLI(project_path=kedro_project), ["azureml", command[2], "--help"]
    )
    assert result.exit_code == 0, result.output
    for flag in (a for a in command[3:] if a.startswith("-")):
        assert flag in result.output, (command, flag)


def test_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text()
    for command in COMMANDS:
        if command[0] == "make":
            assert re.search(rf"^{command[1]}:", makefile, flags=re.M), command
