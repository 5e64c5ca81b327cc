"""The learned router: a cosine-prototype head over the shared message encoder.

Each agent owns prototypes: unit vectors in the encoder's embedding space, one per sub-topic it
handles (a capability with its examples, an intent in labelled data, its own "name: description",
each agent-level example). The encoder was fine-tuned with exactly this head (scaled cosine
softmax over CLINC150's intents), so a prototype built from a sub-topic's examples behaves like a
trained class weight. A message is scored by one matrix-vector product:

    p(prototype) = softmax(scale * cos(embedding, prototypes))
    p(agent)     = sum of p over the agent's prototypes

``p(agent)`` ranks the agents. Whether the best agent is right at all (the request may fit no
agent) and whether it fits some agent at all are two calibrated logistic models over three
features, ``[logit max p(agent), logit max p(prototype), max cosine]``, fitted on held-out rows
(:mod:`mastra.selection.fit`). The first is the selection's confidence; when the second is below
the router's threshold, the fallback agent answers. Two agents that both claim a request (a math
agent and a utility agent's calculator) split the confidence but still fit it. The fallback
agent has no prototypes: "fits no
agent" is decided by the threshold, not by a class for everything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mastra.selection.base import AgentScore, Selection

HEAD_FILE, ARRAYS_FILE = "router.json", "router.npz"
FEATURES = ("logit max agent probability", "logit max prototype probability", "max prototype cosine")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))  # type: ignore[no-any-return]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))  # type: ignore[no-any-return]


@dataclass
class PrototypeRouter:
    agent_ids: list[str]  # routable agents (the fallback is not one of them)
    fallback_id: str
    prototypes: np.ndarray  # (K, dim) float32, unit rows
    owner: np.ndarray  # (K,) index into agent_ids
    labels: list[str]  # (K,) what each prototype stands for, e.g. "banking/balance"
    scale: float
    calibration: tuple[float, float, float, float]  # P(best agent is right): w1, w2, w3, b
    threshold: float  # on P(some agent fits)
    encoder: str  # digest of the encoder whose embedding space the prototypes live in
    scope: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # P(some agent fits): w1, w2, w3, b
    name: str = "prototype-v1"

    # ---- scoring --------------------------------------------------------------------------------
    def agent_probabilities(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(p(agent) (n, A), features (n, 3))`` for embeddings ``(n, dim)``."""
        return self.from_cosines(embeddings @ self.prototypes.T)

    def from_cosines(self, cos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The same from the prototype cosines ``(n, K)`` (calibration adjusts some first)."""
        z = self.scale * cos
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        per_agent = np.zeros((len(cos), len(self.agent_ids)))
        np.add.at(per_agent.T, self.owner, p.T)
        features = np.stack([_logit(per_agent.max(axis=1)), _logit(p.max(axis=1)), cos.max(axis=1)], axis=1)
        return per_agent, features

    def confidence(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probability that the best-scoring agent is the right one."""
        *w, b = self.calibration
        return sigmoid(features @ np.asarray(w) + b)

    def in_scope(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probability that the message fits some agent (two agents may both fit it:
        that lowers :meth:`confidence`, not this)."""
        *w, b = self.scope
        return sigmoid(features @ np.asarray(w) + b)

    def route_embedding(self, embedding: np.ndarray, *, floor: float, top_k: int = 5) -> Selection:
        cos = embedding[None, :].astype(np.float32) @ self.prototypes.T
        probs, features = self.from_cosines(cos)
        probs = probs[0]
        topic = self.labels[int(cos[0].argmax())]  # the kind of request: its nearest prototype
        confidence = round(float(self.confidence(features)[0]), 4)
        fits = float(self.in_scope(features)[0])
        order = np.argsort(-probs, kind="stable")[:top_k]
        ranked = [AgentScore(agent_id=self.agent_ids[i], confidence=round(float(probs[i]), 4)) for i in order]
        best = ranked[0].agent_id
        reason = None
        if fits < self.threshold:
            reason = f"no agent fits (P(some agent fits) {fits:.2f} < {self.threshold:.2f}; best {best!r})"
        elif confidence < floor:
            reason = f"best agent {best!r} below the confidence floor ({confidence:.2f} < {floor:.2f})"
        if reason is None:
            return Selection(agent_id=best, confidence=confidence, ranked=ranked, router=self.name, topic=topic)
        return Selection(
            agent_id=self.fallback_id,
            confidence=round(1.0 - confidence, 4),  # the probability that the best agent is wrong
            ranked=ranked,
            fallback=True,
            fallback_reason=reason,
            router=self.name,
            topic=topic,
        )

    # ---- artifact -------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        head = {
            "name": self.name,
            "agent_ids": self.agent_ids,
            "fallback_id": self.fallback_id,
            "labels": self.labels,
            "scale": self.scale,
            "features": FEATURES,
            "calibration": list(self.calibration),
            "scope": list(self.scope),
            "threshold": self.threshold,
            "encoder": self.encoder,
        }
        (directory / HEAD_FILE).write_text(json.dumps(head, indent=1))
        np.savez_compressed(
            directory / ARRAYS_FILE, prototypes=self.prototypes.astype(np.float16), owner=self.owner.astype(np.int32)
        )

    @classmethod
    def load(cls, directory: Path) -> PrototypeRouter:
        head = json.loads((directory / HEAD_FILE).read_text())
        with np.load(directory / ARRAYS_FILE) as arrays:
            prototypes, owner = arrays["prototypes"].astype(np.float32), arrays["owner"].astype(np.int64)
        w1, w2, w3, b = (float(x) for x in head["calibration"])
        s1, s2, s3, sb = (float(x) for x in head["scope"])
        return cls(
            agent_ids=list(head["agent_ids"]),
            fallback_id=str(head["fallback_id"]),
            prototypes=prototypes,
            owner=owner,
            labels=list(head["labels"]),
            scale=float(head["scale"]),
            calibration=(w1, w2, w3, b),
            threshold=float(head["threshold"]),
            scope=(s1, s2, s3, sb),
            encoder=str(head["encoder"]),
            name=str(head.get("name", "prototype-v1")),
        )
