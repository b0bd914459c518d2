"""Provenance exchanged with other tools: their records read into the ledger as evidence, ours written out.

One module per foreign format. Reading turns another tool's claim about lines into agent edits (fingerprints
and line hashes of the lines it names, with the tool's own confidence), so check, the editor and the
corpus filter find those lines through the same matcher as edits provguard saw itself.
"""
