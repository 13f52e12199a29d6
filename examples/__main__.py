"""Pulumi entry point of the examples project (examples/Pulumi.yaml), separate from the platform stacks.

    cd examples && pulumi stack init dev && pulumi preview --policy-pack ../policy \
        --policy-pack-config policy-config.json
    pulumi config set includeBroken true   # the broken twins too: the preview must then fail
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi  # noqa: E402

from examples.program import build_examples  # noqa: E402

config = pulumi.Config()
build_examples(config.get("researchNamespace") or "ml-research", config.get("servingNamespace") or "ml-serving",
               include_broken=config.get_bool("includeBroken") or False)
