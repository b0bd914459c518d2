"""Guarding agent writes: judge the text a coding agent is about to write, before it lands, and answer in the
agent's own pre-tool-use protocol (`provguard guard <agent>`), plus installing that hook into each agent's
configuration. The judging is the analysis core's (`provguard.analysis.analyze`), with the write's new lines as
a span of the agent's origin."""

DEFAULT_TIMEOUT = 5.0
"""Seconds a guard call may take before the write is let through (`provguard guard --timeout`); kept here, free
of imports, because the daemon's client bounds its wait by it too."""
