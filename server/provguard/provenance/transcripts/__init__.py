"""Agent edits learnt from coding agents' own records: Claude Code session transcripts and Codex CLI rollouts.

Each format has a parser that turns complete JSON lines into `AgentEdit`s; `importer` reads files
incrementally (a cursor per file in the ledger) and `discovery` finds the agents' default folders.
"""
