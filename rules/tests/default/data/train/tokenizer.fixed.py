"""Training-data code: no rival vendor's output may be here, reviewed or not."""

# expect: rival-ai-output-in-training-data fix: strip

# No reason makes it acceptable: the rule cannot be suppressed.
# expect: suppression-forbidden
# provguard: allow[rival-ai-output-in-training-data] reason: the vendor said it was fine
# expect: rival-ai-output-in-training-data
# provguard: kind=ai-agent tool=claude-code reviewed-by=dana@example.com
def tokenize(text):
    return text.split()


# A vendor that is not a rival (an in-house model).
# ok: rival-ai-output-in-training-data
# provguard: kind=ai-agent tool=house-agent vendor=ourlab reviewed-by=dana@example.com
def pad(tokens, size):
    return tokens + [""] * (size - len(tokens))


# Written by a person.
# ok: rival-ai-output-in-training-data
def count(tokens):
    return len(tokens)
