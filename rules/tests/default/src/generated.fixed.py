# AI output must be reviewed by a person; the fix writes who did.
# expect: ai-output-unreviewed fix: mark-reviewed
# provguard: kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=reviewer@example.com
def parse(text):
    return [line.split(",") for line in text.splitlines()]


# ok: ai-output-unreviewed
# provguard: kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=dana@example.com
def join(rows):
    return "\n".join(",".join(row) for row in rows)


# A suppression with its reason silences the finding.
# provguard: allow[ai-output-unreviewed] reason: vendored from the upstream parser, reviewed there
# ok: ai-output-unreviewed
# provguard: kind=ai-agent tool=codex vendor=openai
def split(text):
    return text.split(",")
