"""Entry point the Pulumi CLI runs for `--policy-pack policy` (and `pulumi policy publish`).

Constructing PolicyPack starts the analyzer's gRPC server and never returns, so this file does that
and nothing else; the policies live in the importable `mlpolicies` package next to it.

`mlpolicies` is imported as a top-level package from this directory rather than as
`policy.mlpolicies`: a published pack is unpacked into a directory that is not named `policy`, and
its modules only use relative imports, so both spellings load the same code.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mlpolicies.pack import pack_arguments  # noqa: E402
from pulumi_policy import PolicyPack  # noqa: E402

PolicyPack(**pack_arguments())
