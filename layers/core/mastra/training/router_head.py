"""Train the router (prototype head over the shared encoder): a script-mode entry point.

Channels (at least one of ``agents`` and ``train``):
    ``agents``      agent spec files (YAML/JSON): every field becomes prototypes (cold start).
    ``train``       JSONL rows ``{"text", "domain", "intent"?}``; ``domain`` is the agent id,
                    ``oos`` a request no agent fits.
    ``validation``  optional JSONL rows, same format: the metrics in ``metrics.json``.

Writes ``router.json`` + ``router.npz`` to ``SM_MODEL_DIR``. Needs numpy, onnxruntime and tokenizers
only (the package's own requirements), so it runs in any Python training image; no torch.

    mastra train router --agents my_agents/ --data labelled.jsonl --validation val.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mastra.training.contract import ScriptModePaths, channel_rows, write_metrics


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holdout", type=float, default=0.1, help="share of each labelled group kept to calibrate")
    parser.add_argument("--target-in-scope", "--target_in_scope", type=float, default=0.95)
    parser.add_argument("--target-oos", "--target_oos", type=float, default=0.80)
    parser.add_argument("--reject-rate", "--reject_rate", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from mastra.encoder import MessageEncoder
    from mastra.selection.fit import FitConfig, fit_router
    from mastra.spec.registry import AgentRegistry

    paths = ScriptModePaths.from_env()
    if paths.agents is None and paths.train is None:
        sys.exit("router training needs agent specs (the agents channel), labelled rows (train), or both")
    registry = AgentRegistry.from_directory(paths.agents) if paths.agents is not None else None
    rows = channel_rows(paths.train) if paths.train is not None else []
    encoder = MessageEncoder()
    cfg = FitConfig(
        holdout=args.holdout,
        target_in_scope=args.target_in_scope,
        target_oos=args.target_oos,
        reject_rate=args.reject_rate,
        seed=args.seed,
    )
    router, report = fit_router(
        lambda texts: encoder.embed(texts, progress=True),
        registry=registry,
        rows=rows,
        trained_on=encoder.was_trained_on,
        encoder=encoder.digest,
        cfg=cfg,
    )
    router.save(paths.model_dir)
    metrics: dict[str, Any] = {k: v for k, v in report.items() if isinstance(v, int | float)}
    if paths.validation is not None:
        from mastra.training.evaluation import router_metrics

        val = router_metrics(
            lambda t: router.route_embedding(encoder.encode(t).embedding, floor=0.0), channel_rows(paths.validation)
        )
        metrics |= {f"validation_{k}": v for k, v in val.items() if isinstance(v, int | float)}
    write_metrics(paths, metrics)
    print(json.dumps(metrics), file=sys.stderr)


if __name__ == "__main__":
    main()
