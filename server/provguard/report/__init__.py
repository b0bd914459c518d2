"""Reports of a check run: text for people, JSON for scripts, SARIF for code-scanning tools."""
