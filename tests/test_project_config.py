"""Project configuration: `[tool.provguard]` in pyproject.toml or a provguard.toml, and its precedence.

The nearest file walking up from a file wins, up to the folder holding `.git`; a pyproject.toml without
`[tool.provguard]` does not count. Explicit editor settings override the project file, which overrides the
defaults. Every mistake in the file is a SourceError at its line and column in the TOML.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from provguard.policy.errors import SourceError
from provguard.policy.model import Severity
from provguard.policy.project import (
    ProjectConfig,
    find_project_config,
    load_project_policy,
    read_project_config,
)
from provguard.policy.toml_positions import toml_positions
from provguard.settings import Settings, parse_settings

TEAM_PACK = """\
pack: team
version: 1.4.0
rules:
  - id: no-agents
    severity: warning
    message: agent code
    origins: {kind: ai-agent}
"""


def put(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def config_of(root: Path, name: str, text: str) -> ProjectConfig:
    config = read_project_config(put(root, name, text))
    assert config is not None
    return config


def only_error(config: ProjectConfig) -> SourceError:
    (error,) = config.errors
    return error


def at(error: SourceError) -> tuple[str, int, int]:
    return Path(error.file).name, error.line, error.column


# -- finding the file ----------------------------------------------------------------------------------


def test_the_nearest_configuration_wins(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    put(tmp_path, "pyproject.toml", '[tool.provguard]\npacks = ["default"]\n')
    put(tmp_path, "services/api/provguard.toml", 'packs = ["api.yaml"]\n')
    source = put(tmp_path, "services/api/src/app/main.py", "x = 1\n")

    assert find_project_config(source) == read_project_config(tmp_path / "services/api/provguard.toml")
    found = find_project_config(tmp_path / "services" / "other.py")
    assert found is not None and found.file == tmp_path / "pyproject.toml"
    assert found.packs == ("default",)


def test_a_pyproject_without_a_provguard_section_is_skipped(tmp_path: Path) -> None:
    put(tmp_path, "provguard.toml", "packs = []\n")
    put(tmp_path, "lib/pyproject.toml", '[project]\nname = "lib"\n[tool.ruff]\nline-length = 100\n')

    found = find_project_config(tmp_path / "lib" / "mod.py")

    assert found is not None and found.file == tmp_path / "provguard.toml"


def test_provguard_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    put(tmp_path, "pyproject.toml", '[tool.provguard]\npacks = ["a"]\n')
    put(tmp_path, "provguard.toml", 'packs = ["b"]\n')

    found = find_project_config(tmp_path)

    assert found is not None and found.packs == ("b",)


def test_the_walk_stops_at_the_repository_root(tmp_path: Path) -> None:
    put(tmp_path, "provguard.toml", 'packs = ["outside"]\n')
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    put(tmp_path, "repo/src/a.py", "")

    assert find_project_config(tmp_path / "repo" / "src" / "a.py") is None
    put(tmp_path, "repo/pyproject.toml", '[tool.provguard]\npacks = ["inside"]\n')
    found = find_project_config(tmp_path / "repo" / "src" / "a.py")
    assert found is not None and found.packs == ("inside",)


def test_no_configuration_anywhere(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()

    assert find_project_config(tmp_path / "a.py") is None


# -- reading the file ----------------------------------------------------------------------------------


def test_a_complete_configuration_is_read(tmp_path: Path) -> None:
    config = config_of(tmp_path, "pyproject.toml", """\
        [project]
        name = "app"

        [tool.provguard]
        packs = [
          "default",
          "rules/team.yaml",
        ]
        requires = { team = ">=1.2,<2" }

        [tool.provguard.severity]
        ai-output-unmarked = "off"
    """)

    assert config.errors == ()
    assert config.packs == ("default", "rules/team.yaml")
    assert config.severity == {"ai-output-unmarked": Severity.OFF}
    assert str(config.requires["team"]) == ">=1.2,<2"
    assert config.root == tmp_path


def test_a_toml_syntax_error_is_at_its_position(tmp_path: Path) -> None:
    error = only_error(config_of(tmp_path, "provguard.toml", 'packs = ["a"\nseverity = 1\n'))

    assert at(error) == ("provguard.toml", 2, 1)
    assert error.message.startswith("TOML syntax error: ")
    assert "(at line" not in error.message


def test_a_broken_pyproject_that_does_not_mention_provguard_is_not_ours(tmp_path: Path) -> None:
    put(tmp_path, "provguard.toml", "")
    put(tmp_path, "sub/pyproject.toml", "[project\n")

    found = find_project_config(tmp_path / "sub")

    assert found is not None and found.file == tmp_path / "provguard.toml"
    assert read_project_config(put(tmp_path, "sub/pyproject.toml", "[tool.provguard\n")) is not None


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ('[tool.provguard]\npack = ["a"]\n', (2, 1),
         "unknown key 'pack' in provguard configuration; did you mean 'packs'?"),
        ('[tool.provguard]\npacks = "default"\n', (2, 9), "'packs' must be a list of pack names or paths"),
        ('[tool.provguard]\npacks = ["a",\n  3]\n', (3, 3), "each entry of 'packs' must be a pack name or path"),
        ('[tool.provguard]\nseverity = { rule-a = "eror" }\n', (2, 23),
         "unknown severity 'eror' for rule 'rule-a'; did you mean 'error'?"),
        ('[tool.provguard.severity]\n"rule.b" = true\n', (2, 12), "unknown severity a bool for rule 'rule.b'"),
        ("[tool.provguard]\nseverity = 3\n", (2, 12), "'severity' must be a table, like severity = "),
        ('[tool.provguard]\nrequires.acme = ">=1.x"\n', (2, 20), "'1.x' is not a version number"),
        ('[tool.provguard]\nrequires = { acme = 2 }\n', (2, 21), "the version range for 'acme' must be a string"),
        ("[tool]\nprovguard = 1\n", (2, 13), "[tool.provguard] must be a table of settings"),
    ],
)
def test_configuration_errors_point_at_the_value(tmp_path: Path, text: str, position: tuple[int, int],
                                                  message: str) -> None:
    error = only_error(config_of(tmp_path, "pyproject.toml", text))

    assert at(error) == ("pyproject.toml", *position)
    assert error.message.startswith(message)


def test_positions_survive_multiline_strings_and_arrays_of_tables(tmp_path: Path) -> None:
    text = textwrap.dedent('''\
        [project]
        description = """a [tool.provguard]
        packs = "not this" """
        [[tool.other]]
        x = { y = [1, 2] }
        [[tool.other]]
        x = 'packs = 1'
        [tool.provguard]
        severity."rule" = "loud"  # here
    ''')

    positions = toml_positions(text)
    error = only_error(config_of(tmp_path, "pyproject.toml", text))

    assert positions.value(("tool", "other", 1, "x")) == (7, 5)
    assert at(error) == ("pyproject.toml", 9, 19)


# -- the policy a project selects ----------------------------------------------------------------------


def test_project_packs_are_relative_to_the_configuration_file(tmp_path: Path) -> None:
    put(tmp_path, "rules/team.yaml", TEAM_PACK)
    put(tmp_path, "pyproject.toml", '[tool.provguard]\npacks = ["default", "rules/team.yaml"]\n'
                                    'severity = { no-agents = "error" }\n')

    loaded = load_project_policy(tmp_path / "src" / "deep" / "a.py")

    assert loaded.errors == ()
    assert [p.id for p in loaded.policy.packs] == ["default", "team"]
    assert loaded.policy.severity_overrides == {"no-agents": Severity.ERROR}
    assert loaded.config is not None and loaded.config.file == tmp_path / "pyproject.toml"


def test_without_a_configuration_the_default_pack_is_used(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()

    loaded = load_project_policy(tmp_path)

    assert loaded.errors == () and loaded.config is None
    assert [p.id for p in loaded.policy.packs] == ["default"]


def test_a_missing_project_pack_is_an_error_at_its_entry(tmp_path: Path) -> None:
    put(tmp_path, "provguard.toml", 'packs = [\n  "default",\n  "rules/gone.yaml",\n]\n')

    (error,) = load_project_policy(tmp_path).errors

    assert at(error) == ("provguard.toml", 3, 3)
    assert error.message == f"rule pack 'rules/gone.yaml' not found at {tmp_path}/rules/gone.yaml"


def test_an_unknown_rule_in_project_severity_suggests_the_close_one(tmp_path: Path) -> None:
    put(tmp_path, "provguard.toml", '[severity]\nmarker-invalid = "warning"\nai-output-unreviwed = "off"\n')

    (error,) = load_project_policy(tmp_path).errors

    assert at(error) == ("provguard.toml", 3, 1)
    assert error.message == "'severity' names unknown rule 'ai-output-unreviwed'; did you mean 'ai-output-unreviewed'?"


def test_a_selected_pack_outside_the_required_range_names_both(tmp_path: Path) -> None:
    pack = put(tmp_path, "rules/team.yaml", TEAM_PACK)
    put(tmp_path, "provguard.toml", 'packs = ["rules/team.yaml"]\nrequires = { team = ">=1.5,<2" }\n')

    (error,) = load_project_policy(tmp_path).errors

    assert at(error) == ("provguard.toml", 2, 21)
    assert error.message == (f"this project requires team >=1.5,<2, but pack 'team' from {pack} is version 1.4.0, "
                             "which is outside that range")


def test_requires_is_met_by_selected_and_extended_packs(tmp_path: Path) -> None:
    put(tmp_path, "rules/team.yaml", "pack: team\nversion: 1.4.0\nextends: default\n")
    put(tmp_path, "provguard.toml", 'packs = ["rules/team.yaml"]\nrequires = { team = "~=1.4", default = ">=0.1" }\n')

    loaded = load_project_policy(tmp_path)

    assert loaded.errors == ()
    assert [p.id for p in loaded.policy.packs] == ["team"]


def test_requires_of_a_pack_that_is_not_selected(tmp_path: Path) -> None:
    put(tmp_path, "provguard.toml", 'requires = { defualt = ">=0.1" }\n')

    (error,) = load_project_policy(tmp_path).errors

    assert at(error) == ("provguard.toml", 1, 14)
    assert error.message == ("'requires' names pack 'defualt', which is not selected or extended; "
                             "did you mean 'default'?")


def test_a_pack_version_that_is_not_a_number_cannot_meet_a_range(tmp_path: Path) -> None:
    put(tmp_path, "team.yaml", TEAM_PACK.replace("1.4.0", "latest"))
    put(tmp_path, "provguard.toml", 'packs = ["team.yaml"]\nrequires = { team = ">=1" }\n')

    (error,) = load_project_policy(tmp_path).errors

    assert error.message.endswith("is version latest, which is not a version number")


# -- precedence: editor settings, then the project file, then the defaults -----------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    put(tmp_path, "rules/team.yaml", TEAM_PACK)
    put(tmp_path, "editor.yaml", TEAM_PACK.replace("pack: team", "pack: editor"))
    put(tmp_path, "pyproject.toml", """\
        [tool.provguard]
        packs = ["rules/team.yaml"]
        severity = { no-agents = "error", ai-output-unmarked = "off" }
    """)
    return tmp_path


def test_the_project_file_overrides_the_defaults(project: Path) -> None:
    loaded = load_project_policy(project, Settings())  # no editor setting given

    assert [p.id for p in loaded.policy.packs] == ["team"]
    assert loaded.policy.severity_overrides == {"no-agents": Severity.ERROR, "ai-output-unmarked": Severity.OFF}


def test_explicit_editor_settings_override_the_project_file(project: Path) -> None:
    raw = {"provguard": {"packs": ["editor.yaml"], "severity": {"no-agents": "hint"}}}

    loaded = load_project_policy(project, parse_settings(raw).settings, explicit=parse_settings(raw).explicit,
                                 editor_base=project)

    assert loaded.errors == ()
    assert [p.id for p in loaded.policy.packs] == ["editor"]
    assert loaded.policy.severity_overrides == {"no-agents": Severity.HINT, "ai-output-unmarked": Severity.OFF}
    assert loaded.selection is not None
    assert loaded.selection.severity_sources == {"no-agents": "editor", "ai-output-unmarked": "project"}


def test_an_editor_setting_equal_to_the_default_still_overrides_when_it_is_explicit(project: Path) -> None:
    raw = {"packs": ["default"]}

    explicit = load_project_policy(project, parse_settings(raw).settings, explicit=parse_settings(raw).explicit)
    guessed = load_project_policy(project, parse_settings(raw).settings)  # without `explicit`: differs from default?

    assert [p.id for p in explicit.policy.packs] == ["default"]
    assert [p.id for p in guessed.policy.packs] == ["team"]


def test_explicit_settings_are_the_valid_keys_the_editor_sent() -> None:
    def explicit(raw: object) -> frozenset[str]:
        return parse_settings(raw).explicit

    assert explicit({"provguard": {"packs": ["a"], "bulkInsertChars": 10}}) == {"packs", "bulk_insert_chars"}
    assert explicit({"severity": {"r": "loud"}, "packs": ["a"], "unknownThing": 1}) == {"packs"}
    assert explicit(None) == frozenset()
    assert explicit(["packs"]) == frozenset()
