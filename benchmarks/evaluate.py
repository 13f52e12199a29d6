"""Wall time of the offline evaluation of each stack, and of the whole test suite.

    python benchmarks/evaluate.py            # stacks and suite
    python benchmarks/evaluate.py --no-suite # stacks only

Each stack is planned in a fresh interpreter (imports included), as a user runs it.
Goals on a 2-core machine: prod < 5 s, whole suite < 60 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-suite", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for stack in ("dev", "staging", "prod"):
        runs = [timed([sys.executable, "-m", "stacks.plan", "--stack", stack]) for _ in range(args.repeat)]
        print(f"plan {stack:8s} best {min(runs):6.2f} s  (runs: {', '.join(f'{r:.2f}' for r in runs)}; goal prod < 5 s)")
    if not args.no_suite:
        suite = timed([sys.executable, "-m", "pytest", "-q", "-n", "2"])
        print(f"test suite     {suite:6.2f} s  (pytest -n 2; goal < 60 s)")


if __name__ == "__main__":
    main()
