# AI output known from the editor (a completion hint, see completed.py.provenance.yaml) but not marked.
# expect: ai-output-unmarked fix: add-marker
# provguard: begin kind=ai-completion tool=copilot vendor=github reviewed-by=dana@example.com
def mean(values):
    return sum(values) / len(values)
# provguard: end


# Known from the editor too, but typed by a person.
# ok: ai-output-unmarked
def median(values):
    return sorted(values)[len(values) // 2]
