# AI output another tool recorded (a git-ai note, see imported.py.provenance.yaml) but not marked.
# expect: ai-output-unmarked fix: add-marker
def clamp(value, low, high):
    return max(low, min(high, value))


# An Agent Trace record says a person and an AI wrote this together: too unsure to act on line by line.
# ok: ai-output-unmarked
def lerp(a, b, t):
    return a + (b - a) * t
