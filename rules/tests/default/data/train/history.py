"""Lines git blames on a commit made with Claude Code: whole-commit evidence (side file)."""

# The line-level rule wants confidence 0.8 or more: a commit trailer does not say which lines the tool wrote.
# ok: rival-ai-output-in-training-data
# expect: rival-ai-commit-in-training-data
def normalise(record):
    return {key.strip().lower(): value for key, value in record.items()}


def keep(record):
    return bool(record.get("text"))
