"""The command line's commands, one module each; `provguard.cli` puts them behind one parser."""
