"""Fitting the prototype router: from agent specs alone (cold start), labelled rows, or both.

Prototypes
    Every spec field is used, since a new user's spec is mostly *not* examples: per agent,
    "Name: description"; per capability, the mean of its text (its description, or six templates
    around its name when it has none) and its examples; each agent-level example on its own; per
    knowledge passage, the mean of its questions. The fallback agent gets none: its examples
    are requests that fit no agent, and calibrate the threshold. Labelled rows ``{"text", "domain", "intent"?}``
    add one prototype per (agent, intent), or per agent when rows carry no intent.

Calibration
    The confidence model and the reject threshold are fitted on rows the prototypes did not see:
    with labelled rows, about ``holdout`` of each group plus every ``oos`` row, never a row the
    encoder itself was trained on (it is over-confident on those); from specs alone, each example
    scored against prototypes rebuilt without it (leave-one-out, exact for means), and the
    fallback agent's examples as requests that fit no agent.

Threshold rule (declared before looking at evaluation data)
    With ``oos`` rows: the threshold maximising the smaller margin over the two targets,
    ``min(in_scope_accuracy - target_in_scope, oos_recall - target_oos)``. Without
    them: reject
    ``reject_rate`` of the held-out in-scope rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from mastra.selection.prototype import PrototypeRouter, sigmoid

if TYPE_CHECKING:
    from mastra.spec.registry import AgentRegistry

OOS = "oos"
CAPABILITY_TEMPLATES = ("{c}", "i want to {c}", "help with {c}", "question about {c}", "{n}: {c}", "{c} ({n})")


@dataclass(frozen=True)
class FitConfig:
    scale: float = 20.0  # the encoder's training scale
    holdout: float = 0.1
    target_in_scope: float = 0.95
    target_oos: float = 0.80
    reject_rate: float = 0.02
    seed: int = 0


@dataclass
class Group:
    """One prototype: the texts whose embeddings are averaged (a template set counts as one item)."""

    agent: str
    label: str
    items: list[list[str]] = field(default_factory=list)  # each item: texts averaged into one vector
    loo: list[bool] = field(default_factory=list)  # item may be held out in leave-one-out calibration


def spec_groups(registry: AgentRegistry) -> list[Group]:
    groups: list[Group] = []
    for spec in registry:
        if spec.id == registry.fallback_id:
            continue
        groups.append(Group(spec.id, f"{spec.id}/description", [[f"{spec.name}: {spec.description}"]], [False]))
        for cap in spec.capabilities:
            text = (
                [f"{cap.label}: {cap.description}"]
                if cap.description
                else [t.format(c=cap.label, n=spec.name.lower()) for t in CAPABILITY_TEMPLATES]
            )
            group = Group(spec.id, f"{spec.id}/{cap.name}", [text], [False])
            group.items += [[e] for e in cap.examples]
            group.loo += [True] * len(cap.examples)
            groups.append(group)
        for n, example in enumerate(spec.examples):
            groups.append(Group(spec.id, f"{spec.id}/example-{n}", [[example]], [True]))
        for n, passage in enumerate(spec.knowledge.passages):
            if passage.questions:
                groups.append(
                    Group(
                        spec.id,
                        f"{spec.id}/passage-{n}",
                        [[q] for q in passage.questions],
                        [True] * len(passage.questions),
                    )
                )
    return groups


def fallback_texts(registry: AgentRegistry) -> list[str]:
    """The fallback agent's examples: requests that fit no agent, to set the reject threshold."""
    spec = registry.get(registry.fallback_id)
    return [*spec.examples, *(e for cap in spec.capabilities for e in cap.examples)]


@dataclass
class Calibration:
    """Held-out rows' embeddings, their agent index (-1: fits no agent), and per-row cosine
    overrides for leave-one-out (row, prototype, cosine)."""

    embeddings: np.ndarray
    truth: np.ndarray
    overrides: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)  # type: ignore[no-any-return]


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1e-3, iterations: int = 50) -> np.ndarray:
    """Weights ``[w..., b]`` of a logistic regression by Newton's method (numpy only: three
    features do not justify scikit-learn's ~200 MB in the layer)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(design.shape[1])
    for _ in range(iterations):
        p = sigmoid(design @ w)
        grad = design.T @ (p - y) + l2 * w
        hess = (design * (p * (1 - p))[:, None]).T @ design + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in pairwise(edges):
        m = (confidence > lo) & (confidence <= hi)
        if m.any():
            total += m.mean() * abs(confidence[m].mean() - correct[m].mean())
    return round(float(total), 4)


def choose_threshold(score: np.ndarray, correct: np.ndarray, in_scope: np.ndarray, cfg: FitConfig) -> tuple[float, str]:
    confidence = score
    target_in_scope = cfg.target_in_scope
    if (~in_scope).sum() >= 10:
        best, threshold = -np.inf, 0.5
        for t in np.unique(np.round(confidence, 4)):
            accuracy = (correct & (confidence >= t))[in_scope].mean()
            recall = (confidence < t)[~in_scope].mean()
            margin = min(accuracy - target_in_scope, recall - cfg.target_oos)
            if margin > best:
                best, threshold = margin, float(t)
        return threshold, f"max-min margin over targets ({target_in_scope:.3g} in-scope, {cfg.target_oos:g} oos)"
    rate = cfg.reject_rate
    return float(np.quantile(confidence[in_scope], rate)), f"reject {rate:g} of held-out in-scope rows"


def calibrate(router: PrototypeRouter, cal: Calibration, cfg: FitConfig) -> dict[str, Any]:
    """Fit the router's confidence model and threshold on ``cal``; return the held-out figures."""
    cos = cal.embeddings @ router.prototypes.T
    if cal.overrides is not None:
        rows, cols, values = cal.overrides
        cos[rows, cols] = values
    per_agent, features = router.from_cosines(cos)
    top = per_agent.argmax(axis=1)
    correct = top == cal.truth
    in_scope = cal.truth >= 0
    weights = fit_logistic(features, correct.astype(float))
    router.calibration = tuple(float(v) for v in weights)  # type: ignore[assignment]
    confidence = router.confidence(features)
    if (~in_scope).sum() >= 10:
        router.scope = tuple(float(v) for v in fit_logistic(features, in_scope.astype(float)))  # type: ignore[assignment]
    else:  # no requests that fit no agent: rejection reads the confidence
        router.scope = router.calibration
    fits = router.in_scope(features)
    router.threshold, rule = choose_threshold(fits, correct, in_scope, cfg)
    accepted = fits >= router.threshold
    report: dict[str, Any] = {
        "holdout_rows": len(cal.truth),
        "holdout_in_scope_accuracy": round(float((correct & accepted)[in_scope].mean()), 4) if in_scope.any() else None,
        "holdout_oos_recall": round(float((~accepted)[~in_scope].mean()), 4) if (~in_scope).any() else None,
        "holdout_ece": expected_calibration_error(confidence, correct),
        "threshold": round(router.threshold, 4),
        "threshold_rule": rule,
    }
    return report


def fit_router(
    embed: Callable[[list[str]], np.ndarray],
    *,
    registry: AgentRegistry | None = None,
    rows: Sequence[dict[str, Any]] = (),
    trained_on: Callable[[list[str]], np.ndarray] | None = None,
    encoder: str,
    fallback_id: str = "fallback",
    cfg: FitConfig | None = None,
) -> tuple[PrototypeRouter, dict[str, Any]]:
    """A calibrated router from specs and/or labelled rows; ``embed`` maps texts to unit vectors."""
    cfg = cfg or FitConfig()
    rng = np.random.default_rng(cfg.seed)
    groups = spec_groups(registry) if registry is not None else []
    if registry is not None:
        fallback_id = registry.fallback_id
        rows = [*rows, *({"text": t, "domain": OOS} for t in fallback_texts(registry))]
    texts = [str(r["text"]) for r in rows]
    labels = [str(r.get("domain", r.get("agent", ""))) for r in rows]
    if any(not label for label in labels):
        raise ValueError('router rows are {"text": ..., "domain": <agent id or "oos">}')
    agents = list(dict.fromkeys([g.agent for g in groups] + [a for a in labels if a not in (OOS, fallback_id)]))
    if not agents:
        raise ValueError("nothing to route to: give agent specs or labelled rows")

    # Every text is embedded once.
    all_texts = sorted({t for g in groups for item in g.items for t in item} | set(texts))
    index = {t: i for i, t in enumerate(all_texts)}
    vectors = embed(all_texts)

    def vec(item: list[str]) -> np.ndarray:
        return vectors[[index[t] for t in item]].mean(axis=0)  # type: ignore[no-any-return]

    # Labelled rows: oos rows and a held-out share of each group calibrate; the rest are prototypes.
    cal_rows: list[int] = []
    if rows:
        seen = trained_on(texts) if trained_on is not None else np.zeros(len(texts), dtype=bool)
        by_group: dict[tuple[str, str], list[int]] = {}
        for i, (row, agent) in enumerate(zip(rows, labels, strict=True)):
            if agent in (OOS, fallback_id):
                cal_rows.append(i)
            else:
                by_group.setdefault((agent, str(row.get("intent") or "*")), []).append(i)
        for (agent, intent), members in sorted(by_group.items()):
            unseen = [i for i in members if not seen[i]]
            n_cal = min(len(unseen), round(cfg.holdout * len(members))) if len(members) >= 5 else 0
            held = set(rng.permutation(unseen)[:n_cal].tolist()) if n_cal else set()
            cal_rows += sorted(held)
            group = Group(agent, f"{agent}/{intent}" if intent != "*" else f"{agent}/rows")
            group.items = [[texts[i]] for i in members if i not in held]
            group.loo = [False] * len(group.items)
            groups.append(group)

    sums = np.stack([np.sum([vec(item) for item in g.items], axis=0) for g in groups])
    prototypes = _unit(sums).astype(np.float16).astype(np.float32)  # what ships is float16
    owner = np.array([agents.index(g.agent) for g in groups])
    router = PrototypeRouter(
        agent_ids=agents,
        fallback_id=fallback_id,
        prototypes=prototypes,
        owner=owner,
        labels=[g.label for g in groups],
        scale=cfg.scale,
        calibration=(0.0, 0.0, 0.0, 0.0),
        threshold=0.0,
        encoder=encoder,
    )
    if cal_rows and any(labels[i] not in (OOS, fallback_id) for i in cal_rows):
        truth = np.array([agents.index(labels[i]) if labels[i] in agents else -1 for i in cal_rows])
        cal = Calibration(vectors[[index[texts[i]] for i in cal_rows]], truth)
    else:
        loo = _leave_one_out(groups, sums, vec, agents)
        if loo is None:
            raise ValueError("nothing to calibrate on: give each agent some examples or labelled rows")
        cal = loo
        if cal_rows:  # oos rows still calibrate the threshold
            extra = vectors[[index[texts[i]] for i in cal_rows]]
            cal = Calibration(
                np.vstack([cal.embeddings, extra]),
                np.concatenate([cal.truth, -np.ones(len(extra), int)]),
                cal.overrides,
            )
    report = calibrate(router, cal, cfg)
    report |= {"agents": len(agents), "prototypes": len(groups), "prototype_rows": int(len(texts) - len(cal_rows))}
    return router, report


def _leave_one_out(
    groups: list[Group], sums: np.ndarray, vec: Callable[[list[str]], np.ndarray], agents: list[str]
) -> Calibration | None:
    """Each example scored with its own contribution taken out of its prototype."""
    embeddings: list[np.ndarray] = []
    truth: list[int] = []
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for g, group in enumerate(groups):
        for item, loo in zip(group.items, group.loo, strict=True):
            if not loo:
                continue
            e = vec(item)
            rest = sums[g] - e
            norm = np.linalg.norm(rest)
            rows.append(len(embeddings))
            cols.append(g)
            values.append(float(e @ rest / norm) if norm > 1e-6 and len(group.items) > 1 else -1.0)
            embeddings.append(e)
            truth.append(agents.index(group.agent))
    if not embeddings:
        return None
    return Calibration(
        np.array(embeddings, dtype=np.float32), np.array(truth), (np.array(rows), np.array(cols), np.array(values))
    )
