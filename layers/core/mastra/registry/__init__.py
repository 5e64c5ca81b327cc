"""The model registry: versions of the request-path models, their artifacts, and which one serves."""

from mastra.registry.artifacts import ArtifactStore, LocalArtifacts, S3Artifacts
from mastra.registry.registry import ChampionCache, ModelRegistry, PromotionDecision

__all__ = ["ArtifactStore", "ChampionCache", "LocalArtifacts", "ModelRegistry", "PromotionDecision", "S3Artifacts"]
