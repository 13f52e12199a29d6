"""Reusable Pulumi components of the ML platform, one per concern."""
