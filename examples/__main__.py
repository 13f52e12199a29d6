"""Pulumi entry point of the examples project (examples/Pulumi.yaml): a team's serving program.

    cd examples && pulumi stack select dev
    pulumi preview --policy-pack ../policy --policy-pack-config policy-config.json
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from examples.program import build  # noqa: E402

build()
