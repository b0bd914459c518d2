"""Rule packs: loading and validating them, and evaluating their rules against spans."""
