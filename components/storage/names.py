"""Deterministic, length-bounded names for AWS resources derived from the cluster name."""

from __future__ import annotations

import hashlib
import re


def partition(region: str) -> str:
    """The ARN partition of a region: aws, aws-us-gov or aws-cn."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def bounded_name(parts: list[str], max_length: int) -> str:
    """Join lowercase parts with '-'; if too long, shorten the first part and add a stable hash.

    The hash is of the full name, so two long cluster names that share a prefix stay distinct.
    """
    cleaned = [re.sub(r"[^a-z0-9-]+", "-", p.lower()).strip("-") for p in parts]
    cleaned = [re.sub(r"-{2,}", "-", p) for p in cleaned if p]
    name = "-".join(cleaned)
    if len(name) <= max_length:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    tail = "-".join(cleaned[1:])
    room = max_length - len(tail) - len(digest) - 2
    if room < 1:
        return f"{name[: max_length - len(digest) - 1].rstrip('-')}-{digest}"
    return f"{cleaned[0][:room].rstrip('-')}-{digest}-{tail}"
