# Evaluation data must have a known, human origin.

# Pasted without a declaration (see questions.py.provenance.yaml).
# expect: unknown-origin-in-eval-data
QUESTIONS = [
    ("What is 2 + 2?", "4"),
]

# Copied from a public benchmark: it may be in the evaluated models' training data.
# expect: unknown-origin-in-eval-data
# provguard: begin kind=external
HARD_QUESTIONS = [
    ("Prove that sqrt(2) is irrational.", "..."),
]
# provguard: end

# Pasted, but declared by the annotator who wrote it elsewhere.
# ok: unknown-origin-in-eval-data
OUR_QUESTIONS = [
    ("Name a prime larger than 10.", "11"),
]

# Written here by a person.
# ok: unknown-origin-in-eval-data
EXTRA = [("1 + 1?", "2")]
