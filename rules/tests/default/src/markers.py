# Problems with markers and suppressions are findings of built-in rules.
# expect: marker-invalid
# provguard: kind=robot tool=claude-code
def first():
    return 1


# expect: suppression-invalid
# provguard: allow[ai-output-unreviewed]
# provguard: kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=dana@example.com
def second():
    return 2


# expect: suppression-unused
# provguard: allow[ai-output-unreviewed] reason: it was reviewed in PR 12
def third():
    return 3
