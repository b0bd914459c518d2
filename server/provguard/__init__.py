"""provguard: provenance of AI-written code, visible in the editor and enforced in CI."""

__version__ = "0.1.0"
