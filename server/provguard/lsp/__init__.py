"""The language server: a thin protocol layer over the analysis core (see ../session.py)."""
