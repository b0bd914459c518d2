# An agent's edit (recorded by its hook, see marked_record.py.provenance.yaml) that its author has marked.
# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=dana@example.com
# ok: ai-output-unmarked
def area(width, height):
    return width * height
# provguard: end


# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=dana@example.com
def perimeter(width, height):
    return 2 * (width + height)
# provguard: end
def diagonal(width, height):  # expect: ai-output-unmarked fix: add-marker
    return (width**2 + height**2) ** 0.5
