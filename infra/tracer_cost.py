"""What Powertools' Tracer adds to a cold start: fresh-process timings of Logger + Metrics, with and without it.

    python infra/tracer_cost.py [runs]

Each case runs in a new interpreter with Lambda's environment variables set (so the Tracer is
enabled), timing from before the Powertools import to after the objects are built.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

BASE = "import time; t = time.perf_counter(); from aws_lambda_powertools import Logger, Metrics; Logger(); Metrics(); "
CASES = {
    "Logger + Metrics": BASE,
    "+ import Tracer": BASE + "from aws_lambda_powertools import Tracer; ",
    "+ Tracer()": BASE + "from aws_lambda_powertools import Tracer; Tracer(); ",
    "+ Tracer(auto_patch=False)": BASE + "from aws_lambda_powertools import Tracer; Tracer(auto_patch=False); ",
    "boto3 loaded first, + Tracer()": "import boto3; " + BASE + "from aws_lambda_powertools import Tracer; Tracer(); ",
}
ENV = dict(
    os.environ,
    AWS_LAMBDA_FUNCTION_NAME="x",
    AWS_REGION="us-east-1",
    POWERTOOLS_SERVICE_NAME="mastra",
    POWERTOOLS_METRICS_NAMESPACE="Mastra",
)


def main(runs: int = 11) -> None:
    for name, code in CASES.items():
        times = []
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", code + "print((time.perf_counter() - t) * 1000)"],
                env=ENV,
                capture_output=True,
                text=True,
                check=True,
            )
            times.append(float(out.stdout.strip().splitlines()[-1]))
        print(f"{name:<34} min {min(times):7.1f} ms   median {statistics.median(times):7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 11)
