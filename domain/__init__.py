"""The domain model, the bottom layer: typed stack settings, version pins, the instance catalog.

It imports nothing of `components/` or `stacks/`; both build on it.
"""
