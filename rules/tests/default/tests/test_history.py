"""Test-task lines git blames on a commit made with Codex: whole-commit evidence (side file)."""


# expect: ai-commit-in-test-task-file
def test_totals_add_up():
    assert sum([1, 2, 3]) == 6
