# An agent's write that reached the open editor as one bulk insertion (see agent_in_editor.py.provenance.yaml):
# the agent's hook recorded it, so there is nothing left to declare.
# ok: undeclared-insertion
# expect: ai-output-unmarked fix: add-marker
# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=dana@example.com
def volume(width, height, depth):
    return width * height * depth
# provguard: end


# A paste no record accounts for still asks where it came from.
# expect: undeclared-insertion
def density(mass, volume):
    return mass / volume
