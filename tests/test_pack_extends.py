"""Packs that extend packs: merged parameters, overrides, new rules, included rule files, metadata.

A team lead writes `extends: default` and only what differs; every mistake in doing so (a misspelt rule id
in `overrides`, a pack that is not there, a cycle, a provguard too old) is a SourceError at the file, line and
column to change. Installed packs (entry point group `provguard.packs`) are found with the entry points
monkeypatched, as installing a real distribution would make the suite slow.
"""

from __future__ import annotations

import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from pack_support import write
from provguard.policy import extends, references
from provguard.policy.errors import SourceError
from provguard.policy.extends import LoadedPack, PackIdentity
from provguard.policy.loader import load_pack
from provguard.policy.model import Severity
from provguard.policy.policy import PACK_ENTRY_POINT_GROUP, load_policy, resolve_pack, shipped_packs_dir

BASE = """\
    pack: base
    version: 1.0.0
    parameters:
      data: ["data/**"]
      agents: [ai-agent]
    rules:
      - id: agents-in-data
        severity: warning
        message: agent code in {path}
        origins: {kind: $agents}
        paths: {include: $data}
      - id: pastes
        severity: info
        message: pasted
        origins: {kind: paste}
"""


def files(tmp_path: Path, **texts: str) -> None:
    """Writes <name>.yaml for each keyword."""
    for name, text in texts.items():
        write(tmp_path, text, f"{name}.yaml")


def loaded(tmp_path: Path, name: str) -> LoadedPack:
    result = load_pack(tmp_path / f"{name}.yaml")
    assert result.errors == (), [str(e) for e in result.errors]
    assert isinstance(result.pack, LoadedPack)
    return result.pack


def failed(tmp_path: Path, name: str) -> list[SourceError]:
    result = load_pack(tmp_path / f"{name}.yaml")
    assert result.pack is None and result.errors, "expected the pack to fail"
    return list(result.errors)


def one_error(tmp_path: Path, name: str) -> SourceError:
    (error,) = failed(tmp_path, name)
    return error


def where(tmp_path: Path, error: SourceError) -> tuple[str, int, int]:
    """(file name, line, column) of an error, and it must be inside the file."""
    assert Path(error.file).parent == tmp_path
    return Path(error.file).name, error.line, error.column


# -- merging -----------------------------------------------------------------------------------------


def test_a_derived_pack_gets_the_base_rules_and_adds_its_own(tmp_path: Path) -> None:
    files(tmp_path, base=BASE, team="""\
        pack: team
        version: 2.0.0
        owner: ml-platform
        requires: ">=0.1"
        extends: base.yaml
        rules:
          - id: chat
            severity: error
            message: chat paste
            origins: {kind: ai-chat-paste}
    """)

    pack = loaded(tmp_path, "team")

    assert [r.id for r in pack.rules] == ["agents-in-data", "pastes", "chat"]
    assert (pack.id, pack.version, pack.owner, pack.requires) == ("team", "2.0.0", "ml-platform", ">=0.1")
    assert pack.bases == (PackIdentity("base", "1.0.0", str(tmp_path / "base.yaml")),)
    assert pack.files == (str(tmp_path / "team.yaml"), str(tmp_path / "base.yaml"))


def test_a_parameter_override_changes_what_a_base_rule_selects(tmp_path: Path) -> None:
    files(tmp_path, base=BASE, team="""\
        pack: team
        extends: base.yaml
        parameters:
          data: ["corpus/**"]
          agents: [ai-agent, ai-completion]
    """)

    agents = loaded(tmp_path, "team").rules[0]

    assert agents.paths.include == ("corpus/**",)
    assert agents.paths.matches("corpus/a.py") and not agents.paths.matches("data/a.py")
    assert agents.origins[0].kind == ("ai-agent", "ai-completion")
    assert loaded(tmp_path, "base").rules[0].paths.include == ("data/**",)  # the base alone is unchanged


def test_a_parameter_may_add_to_the_base_value_by_naming_itself(tmp_path: Path) -> None:
    files(tmp_path, base=BASE, team="pack: team\nextends: base.yaml\nparameters:\n  data: [$data, corpus/**]\n")

    assert loaded(tmp_path, "team").rules[0].paths.include == ("data/**", "corpus/**")


def test_base_parameters_that_use_other_parameters_see_the_override(tmp_path: Path) -> None:
    files(tmp_path, base="""\
        pack: base
        parameters:
          train: [train/**]
          everything: [$train, eval/**]
        rules:
          - {id: r, severity: error, message: m, origins: {kind: ai-agent}, paths: {include: $everything}}
    """, team="pack: team\nextends: base.yaml\nparameters:\n  train: [corpus/**]\n")

    assert loaded(tmp_path, "team").rules[0].paths.include == ("corpus/**", "eval/**")


def test_a_three_level_chain_merges_in_order(tmp_path: Path) -> None:
    files(tmp_path, base=BASE, mid="""\
        pack: mid
        version: 1.1.0
        extends: base.yaml
        parameters:
          data: [$data, mid/**]
        overrides:
          agents-in-data: {severity: error}
          pastes: {disabled: true}
        rules:
          - {id: mid-rule, severity: hint, message: m, origins: {kind: external}}
    """)
    (tmp_path / "teams").mkdir()
    write(tmp_path / "teams", """\
        pack: top
        extends: ../mid.yaml
        parameters:
          data: [$data, top/**]
        overrides:
          pastes: {disabled: false, severity: warning}
          mid-rule: {disabled: true}
    """, "top.yaml")

    top = loaded(tmp_path / "teams", "top")

    assert [(r.id, r.severity) for r in top.rules] == [("agents-in-data", Severity.ERROR),
                                                       ("pastes", Severity.WARNING)]
    assert top.rules[0].paths.include == ("data/**", "mid/**", "top/**")
    assert [b.id for b in top.bases] == ["mid", "base"]
    assert [Path(f).name for f in top.files] == ["top.yaml", "mid.yaml", "base.yaml"]
    mid = loaded(tmp_path, "mid")
    assert [(r.id, r.severity) for r in mid.rules] == [("agents-in-data", Severity.ERROR),
                                                       ("mid-rule", Severity.HINT)]


def test_the_shipped_example_tightens_the_default_pack() -> None:
    result = load_pack(shipped_packs_dir() / "examples" / "strict-team.yaml")
    assert result.errors == (), [str(e) for e in result.errors]
    pack = result.pack
    assert isinstance(pack, LoadedPack)
    default = load_pack(shipped_packs_dir() / "default.yaml").pack
    assert default is not None

    rules = {r.id: r for r in pack.rules}
    assert set(rules) == {r.id for r in default.rules} | {"unknown-origin-in-eval-data"}
    assert rules["ai-output-unreviewed"].severity is Severity.ERROR
    training = rules["rival-ai-output-in-training-data"].paths
    assert training.include[: len(default.rules[0].paths.include)] == default.rules[0].paths.include
    assert training.matches("data/corpora/web.jsonl") and training.matches("x/sft/a.py")
    assert rules["unknown-origin-in-eval-data"].paths.matches("data/eval/task.py")
    assert pack.bases[0].id == "default"


def test_a_pack_that_only_extends_needs_no_rules(tmp_path: Path) -> None:
    files(tmp_path, base=BASE, team="pack: team\nextends: base.yaml\n")

    assert [r.id for r in loaded(tmp_path, "team").rules] == ["agents-in-data", "pastes"]


def test_policy_pack_files_include_bases_and_includes_so_editing_one_reloads(tmp_path: Path) -> None:
    files(tmp_path, base=BASE, team="pack: team\nextends: base.yaml\ninclude: [more.yaml]\n",
          more="- {id: more, severity: info, message: m, origins: {kind: paste}}\n")

    policy = load_policy([str(tmp_path / "team.yaml")], {}).policy

    assert [Path(f).name for f in policy.pack_files] == ["team.yaml", "base.yaml", "more.yaml"]


# -- overrides -----------------------------------------------------------------------------------------


def test_overriding_an_unknown_rule_suggests_the_close_one(tmp_path: Path) -> None:
    files(tmp_path, base=BASE, team="""\
        pack: team
        extends: base.yaml
        overrides:
          agents-in-dat: {severity: error}
    """)

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("team.yaml", 4, 3)
    assert error.message == "'overrides' names unknown rule 'agents-in-dat'; did you mean 'agents-in-data'?"


@pytest.mark.parametrize(
    ("override", "column", "message"),
    [
        ("{severity: erorr}", 22, "unknown severity 'erorr'; did you mean 'error'?"),
        ("{disabled: maybe}", 22, "'disabled' must be true or false"),
        ("{severty: error}", 12, "unknown key 'severty' in override of 'pastes'; did you mean 'severity'?"),
        ("{}", 11, "the override of 'pastes' changes nothing; give 'severity', 'disabled', 'suppressible' or "
              "'agent-write'"),
        ("error", 11, "override of 'pastes' must be a mapping"),
    ],
)
def test_a_bad_override_points_at_the_value(tmp_path: Path, override: str, column: int, message: str) -> None:
    files(tmp_path, base=BASE, team=f"pack: team\nextends: base.yaml\noverrides:\n  pastes: {override}\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("team.yaml", 4, column)
    assert error.message.startswith(message)


def test_redefining_a_base_rule_says_to_use_overrides(tmp_path: Path) -> None:
    files(tmp_path, base=BASE, team="""\
        pack: team
        extends: base.yaml
        rules:
          - id: pastes
            severity: error
            message: m
            origins: {kind: paste}
    """)

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("team.yaml", 4, 9)
    assert error.message.startswith(f"rule 'pastes' is already defined by an extended pack ({tmp_path}/base.yaml:12)")
    assert "'overrides'" in error.message


# -- parameters ----------------------------------------------------------------------------------------


def test_a_bad_value_in_a_derived_parameter_is_reported_there_though_a_base_rule_uses_it(tmp_path: Path) -> None:
    files(tmp_path, base=BASE, team="pack: team\nextends: base.yaml\nparameters:\n  agents: [ai-agent, robot]\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("team.yaml", 4, 22)
    assert error.message.startswith("unknown kind 'robot'")


def test_a_misspelt_parameter_override_is_an_error(tmp_path: Path) -> None:
    files(tmp_path, base=BASE, team="pack: team\nextends: base.yaml\nparameters:\n  dta: [corpus/**]\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("team.yaml", 4, 3)
    assert error.message == ("parameter 'dta' is not a parameter of the extended packs and nothing refers to it "
                             "as $dta; did you mean 'data'?")


def test_a_parameter_naming_itself_without_a_base_value_is_an_error(tmp_path: Path) -> None:
    files(tmp_path, solo="pack: solo\nparameters:\n  data: [$data, x/**]\nrules: []\n")

    error = one_error(tmp_path, "solo")

    assert where(tmp_path, error) == ("solo.yaml", 3, 10)
    assert error.message.startswith("parameter 'data' refers to itself; only a pack that extends one defining")


def test_parameters_referring_to_each_other_are_a_cycle(tmp_path: Path) -> None:
    files(tmp_path, solo="pack: solo\nparameters:\n  a: [$b]\n  b: [x, $a]\nrules: []\n")

    error = one_error(tmp_path, "solo")

    assert where(tmp_path, error) == ("solo.yaml", 4, 10)
    assert error.message == "parameters refer to each other in a cycle: $a -> $b -> $a"


def test_a_parameter_may_use_one_defined_after_it(tmp_path: Path) -> None:
    files(tmp_path, solo="""\
        pack: solo
        parameters:
          all: [$train, eval/**]
          train: [train/**]
        rules:
          - {id: r, severity: error, message: m, origins: {kind: ai-agent}, paths: {include: $all}}
    """)

    assert loaded(tmp_path, "solo").rules[0].paths.include == ("train/**", "eval/**")


# -- extends errors ------------------------------------------------------------------------------------


def test_extending_an_unknown_pack_name_lists_the_packs_there_are(tmp_path: Path) -> None:
    files(tmp_path, team="pack: team\nversion: 1\nextends: defualt\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("team.yaml", 3, 10)
    assert error.message.startswith("cannot extend: no rule pack named 'defualt'")
    assert "shipped: default" in error.message
    assert error.message.endswith("did you mean 'default'?")


def test_extending_a_missing_file_names_the_path(tmp_path: Path) -> None:
    files(tmp_path, team="pack: team\nextends: packs/base.yaml\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("team.yaml", 2, 10)
    assert error.message == f"cannot extend: rule pack 'packs/base.yaml' not found at {tmp_path}/packs/base.yaml"


def test_packs_extending_each_other_are_a_cycle_reported_where_it_closes(tmp_path: Path) -> None:
    files(tmp_path, a="pack: a\nextends: b.yaml\n", b="pack: b\nrules: []\nextends: c.yaml\n",
          c="pack: c\nextends: ./a.yaml\n")

    error = one_error(tmp_path, "a")

    assert where(tmp_path, error) == ("c.yaml", 2, 10)
    assert error.message == "packs extend each other in a cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml"


def test_a_pack_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    files(tmp_path, a="pack: a\nextends: a.yaml\n")

    error = one_error(tmp_path, "a")

    assert where(tmp_path, error) == ("a.yaml", 2, 10)
    assert error.message == "packs extend each other in a cycle: a.yaml -> a.yaml"


@pytest.mark.parametrize(("value", "column", "message"), [
    ("[base.yaml]", 10, "'extends' must be a single value"),
    ('""', 10, "'extends' names no pack"),
])
def test_a_malformed_extends(tmp_path: Path, value: str, column: int, message: str) -> None:
    files(tmp_path, base=BASE, team=f"pack: team\nextends: {value}\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("team.yaml", 2, column)
    assert error.message.startswith(message)


def test_errors_in_the_base_are_reported_in_the_base(tmp_path: Path) -> None:
    files(tmp_path, base="pack: base\nrules:\n  - {id: r, severity: loud, message: m, origins: {kind: paste}}\n",
          team="pack: team\nextends: base.yaml\nbogus: 1\n")

    found = failed(tmp_path, "team")

    assert [where(tmp_path, e) for e in found] == [("team.yaml", 3, 1), ("base.yaml", 3, 23)]
    assert found[1].message.startswith("unknown severity 'loud'")


def test_a_base_that_cannot_be_read_stops_before_the_derived_rules(tmp_path: Path) -> None:
    files(tmp_path, base="pack: [\n", team="pack: team\nextends: base.yaml\noverrides:\n  nothing: {disabled: true}\n")

    found = failed(tmp_path, "team")

    assert [Path(e.file).name for e in found] == ["base.yaml"]  # no "unknown rule 'nothing'" on top of it
    assert "YAML syntax error" in found[0].message


# -- requires ------------------------------------------------------------------------------------------


def test_a_pack_for_a_newer_provguard_is_an_error_at_requires(tmp_path: Path) -> None:
    files(tmp_path, team='pack: team\nrequires: ">=99.0"\nrules: []\n')

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("team.yaml", 2, 11)
    assert error.message == (f"pack 'team' requires provguard >=99.0, but this is provguard "
                             f"{extends.PROVGUARD_VERSION}; upgrade provguard to use this pack")


def test_a_base_pack_for_a_newer_provguard_fails_the_derived_one(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extends, "PROVGUARD_VERSION", "0.3.1")
    files(tmp_path, base="pack: base\nrequires: '>=0.2, <0.3'\nrules: []\n", team="pack: team\nextends: base.yaml\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("base.yaml", 2, 11)
    assert error.message == ("pack 'base' requires provguard >=0.2, <0.3, but this is provguard 0.3.1; "
                             "this provguard is too new for the pack")


@pytest.mark.parametrize(("value", "column", "message"), [
    ('">=0.x"', 14, "'0.x' is not a version number"),
    ("0.1", 11, "a version range needs an operator: write '>=0.1'"),
    ('">=0.1,"', 18, "version range '>=0.1,' needs a clause like >=1.2"),
    ("'~=1'", 14, "'~=' needs at least two parts"),
])
def test_a_malformed_requires_points_at_the_character(tmp_path: Path, value: str, column: int, message: str) -> None:
    files(tmp_path, team=f"pack: team\nrequires: {value}\nrules: []\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("team.yaml", 2, column)
    assert error.message.startswith(message)


# -- include -------------------------------------------------------------------------------------------


def test_rules_may_come_from_included_files(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    write(tmp_path, "- {id: b, severity: info, message: m, origins: {kind: $kinds}}\n", "rules/b.yaml")
    write(tmp_path, "- {id: c, severity: hint, message: m, origins: {kind: paste}}\n", "rules/c.yaml")
    files(tmp_path, team="""\
        pack: team
        parameters:
          kinds: [ai-agent]
        include: [rules/b.yaml, rules/c.yaml]
        rules:
          - {id: a, severity: error, message: m, origins: {kind: external}}
    """)

    pack = loaded(tmp_path, "team")

    assert [r.id for r in pack.rules] == ["a", "b", "c"]
    assert pack.rules[1].origins[0].kind == ("ai-agent",)
    assert [Path(f).name for f in pack.files] == ["team.yaml", "b.yaml", "c.yaml"]


def test_an_error_in_an_included_file_points_into_it(tmp_path: Path) -> None:
    files(tmp_path, more="- id: b\n  severity: eror\n  message: m\n  origins: {kind: paste}\n",
          team="pack: team\ninclude: more.yaml\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("more.yaml", 2, 13)
    assert error.message == "unknown severity 'eror'; did you mean 'error'?"


def test_a_duplicate_id_across_files_names_the_file_of_the_first(tmp_path: Path) -> None:
    files(tmp_path, more="- {id: a, severity: info, message: m, origins: {kind: paste}}\n",
          team="pack: team\ninclude: [more.yaml]\nrules:\n  - {id: a, severity: info, message: m, origins: {}}\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("more.yaml", 1, 8)
    assert error.message == f"duplicate rule id 'a' (first defined at {tmp_path}/team.yaml:4)"


@pytest.mark.parametrize(("include", "column", "message"), [
    ("[nope.yaml]", 11, "included rule file 'nope.yaml' not found at"),
    ("[more.yaml, ./more.yaml]", 22, "'./more.yaml' is included twice"),
    ("[[more.yaml]]", 11, "each entry of 'include' must be a single value"),
    ('[""]', 11, "'include' lists an empty file name"),
])
def test_a_bad_include_entry_points_at_it(tmp_path: Path, include: str, column: int, message: str) -> None:
    files(tmp_path, more="[]\n", team=f"pack: team\ninclude: {include}\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("team.yaml", 2, column)
    assert error.message.startswith(message)


@pytest.mark.parametrize(("text", "position", "message"), [
    ("pack: x\nrules: []\n", (1, 1), "an included file must be a list of rules, like the 'rules' of a pack"),
    ("# nothing\n", (1, 1), "an included file must be a list of rules, like the 'rules' of a pack (this one is"),
    ("- a: &x 1\n", (1, 6), "YAML anchor &x: anchors and aliases are not allowed"),
])
def test_an_included_file_must_be_a_list_of_rules(tmp_path: Path, text: str, position: tuple[int, int],
                                                   message: str) -> None:
    files(tmp_path, more=text, team="pack: team\ninclude: [more.yaml]\n")

    error = one_error(tmp_path, "team")

    assert where(tmp_path, error) == ("more.yaml", *position)
    assert error.message.startswith(message)


# -- packs from installed Python packages --------------------------------------------------------------


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package `acme_rules` on sys.path with acme.yaml, declared in the `provguard.packs` entry points."""
    package = tmp_path / "site" / "acme_rules"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('a pack is data: its package is never imported')\n")
    (package / "acme.yaml").write_text(textwrap.dedent(BASE).replace("pack: base", "pack: acme"), encoding="utf-8")
    (package / "split").mkdir()
    (package / "split" / "pack.yaml").write_text("pack: split\nextends: ../acme.yaml\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    entries = metadata.EntryPoints([
        metadata.EntryPoint(name="acme", value="acme_rules", group=PACK_ENTRY_POINT_GROUP),
        metadata.EntryPoint(name="split", value="acme_rules:anything", group=PACK_ENTRY_POINT_GROUP),
        metadata.EntryPoint(name="other", value="acme_rules", group="another.group"),
    ])

    def entry_points(**selection: str) -> metadata.EntryPoints:
        return entries.select(**selection)

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    return package


def test_an_installed_pack_is_found_by_name_without_importing_its_package(installed: Path) -> None:
    assert resolve_pack("acme") == installed / "acme.yaml"
    assert resolve_pack("split") == installed / "split" / "pack.yaml"
    assert references.installed_pack_names() == ["acme", "split"]

    loaded_policy = load_policy(["acme"], {})

    assert loaded_policy.errors == ()
    assert [p.id for p in loaded_policy.policy.packs] == ["acme"]


def test_a_pack_may_extend_an_installed_pack(installed: Path, tmp_path: Path) -> None:
    files(tmp_path, team="pack: team\nextends: acme\noverrides:\n  pastes: {disabled: true}\n")

    pack = loaded(tmp_path, "team")

    assert [r.id for r in pack.rules] == ["agents-in-data"]
    assert pack.bases == (PackIdentity("acme", "1.0.0", str(installed / "acme.yaml")),)


def test_a_shipped_name_wins_over_an_installed_one(installed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = metadata.EntryPoints([metadata.EntryPoint(name="default", value="acme_rules",
                                                        group=PACK_ENTRY_POINT_GROUP)])
    monkeypatch.setattr(metadata, "entry_points", lambda **selection: entries.select(**selection))
    (installed / "default.yaml").write_text("pack: impostor\nrules: []\n", encoding="utf-8")

    assert resolve_pack("default") == shipped_packs_dir() / "default.yaml"


def test_an_unknown_name_lists_installed_packs(installed: Path) -> None:
    (error,) = load_policy(["acm"], {}).errors

    assert "installed: acme, split" in error.message
    assert error.message.endswith("did you mean 'acme'?")


def test_an_entry_point_whose_package_has_no_such_pack_is_not_found(installed: Path) -> None:
    (installed / "acme.yaml").unlink()

    assert resolve_pack("acme") == shipped_packs_dir() / "acme.yaml"


def test_the_entry_point_group_is_documented() -> None:
    readme = (shipped_packs_dir() / "README.md").read_text(encoding="utf-8")

    assert PACK_ENTRY_POINT_GROUP == "provguard.packs"
    assert f'[project.entry-points."{PACK_ENTRY_POINT_GROUP}"]' in readme
