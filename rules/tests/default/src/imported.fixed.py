# AI output another tool recorded (a git-ai note, see imported.py.provenance.yaml) but not marked.
# expect: ai-output-unmarked fix: add-marker
# provguard: begin kind=ai-agent tool=cursor vendor=anthropic model=claude-sonnet-4-5 reviewed-by=dana@example.com
def clamp(value, low, high):
    return max(low, min(high, value))
# provguard: end


# An Agent Trace record says a person and an AI wrote this together: too unsure to act on line by line.
# ok: ai-output-unmarked
def lerp(a, b, t):
    return a + (b - a) * t
