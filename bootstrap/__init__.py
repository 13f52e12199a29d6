"""Account bootstrap: the one-off Pulumi project an administrator runs before the platform (README)."""
