"""Wall time of the offline evaluation of each stack, and of the whole test suite.

Two figures per stack: `evaluate` is the program under mocks in a fresh interpreter (what the goal
measures; it includes the lazy imports of the provider SDK modules the program touches), and `plan`
is the whole `python -m stacks.plan` command (interpreter start, imports, evaluation, review).

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


EVALUATE = """
import time, warnings
warnings.simplefilter("ignore")
from stacks.offline import evaluate, read_stack_config
config, secret_keys = read_stack_config({stack!r})
start = time.perf_counter()
ev = evaluate({stack!r}, config, secret_keys)
print(time.perf_counter() - start, len(ev.resources))
"""


def evaluate_seconds(stack: str) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", EVALUATE.format(stack=stack)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-suite", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for stack in ("dev", "staging", "prod"):
        evals = [evaluate_seconds(stack) for _ in range(args.repeat)]
        best, count = min(e[0] for e in evals), evals[0][1]
        print(f"evaluate {stack:8s} best {best:6.2f} s for {count} resources and components (goal prod < 5 s)")
        runs = [timed([sys.executable, "-m", "stacks.plan", "--stack", stack]) for _ in range(args.repeat)]
        print(f"plan     {stack:8s} best {min(runs):6.2f} s  (whole command; runs: {', '.join(f'{r:.2f}' for r in runs)})")
    if not args.no_suite:
        suite = timed([sys.executable, "-m", "pytest", "-q", "-n", "2"])
        print(f"test suite     {suite:6.2f} s  (pytest -n 2; goal < 60 s)")


if __name__ == "__main__":
    main()
