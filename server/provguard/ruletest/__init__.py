"""`provguard rules test`: a pack's rules checked against annotated fixtures, like a test runner."""
