"""Where model artifacts live: a directory of files per version, content-addressed and immutable.

An artifact is uploaded before its version is registered, under the SHA-256 of its files, so a
registration that fails leaves at most an unreferenced copy, never a version without its files,
and uploading the same model twice stores it once. One file per backend would be overkill for
two small classes; both follow the same three-method contract (``tests/functional/test_registry.py``).
"""

from __future__ import annotations

import hashlib
import shutil
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from mastra import aws
from mastra.errors import NotFoundError, StorageError


def digest(directory: Path) -> str:
    """SHA-256 over the directory's file names and contents (sorted, so it is stable)."""
    h = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        h.update(path.relative_to(directory).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


class ArtifactStore(ABC):
    @abstractmethod
    def put(self, kind: str, directory: Path) -> str:
        """Store the directory's files; returns the artifact's URI."""

    @abstractmethod
    def _download(self, uri: str, dest: Path) -> None:
        """Copy the artifact's files into ``dest`` (which does not exist yet)."""

    def fetch(self, uri: str, cache_dir: Path) -> Path:
        """A local directory with the artifact's files (downloaded once per cache dir)."""
        local = cache_dir / hashlib.sha256(uri.encode()).hexdigest()[:24]
        if not local.exists():
            partial = local.with_name(local.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            self._download(uri, partial)
            partial.rename(local)  # atomic: a half-downloaded artifact is never used
        return local


class LocalArtifacts(ArtifactStore):
    """Artifacts under the data dir: ``<root>/<kind>/<sha256>/`` (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, kind: str, directory: Path) -> str:
        target = self.root / kind / digest(directory)
        if not target.exists():
            partial = target.with_name(target.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            shutil.copytree(directory, partial)
            partial.rename(target)
        return target.relative_to(self.root).as_posix()

    def _download(self, uri: str, dest: Path) -> None:
        source = self.root / uri
        if not source.is_dir():
            raise NotFoundError(f"no artifact {uri} under {self.root}")
        shutil.copytree(source, dest)

    def fetch(self, uri: str, cache_dir: Path) -> Path:
        source = self.root / uri  # already local and immutable: no copy
        if not source.is_dir():
            raise NotFoundError(f"no artifact {uri} under {self.root}")
        return source


class S3Artifacts(ArtifactStore):
    """Artifacts in S3: ``s3://<bucket>/<prefix><kind>/<sha256>/<file>`` (the stack's artifacts bucket)."""

    def __init__(self, bucket: str, prefix: str = "models/", *, client: Any | None = None) -> None:
        self.bucket, self.prefix, self._client = bucket, prefix, client

    @property
    def client(self) -> Any:
        return self._client or aws.client("s3")

    def put(self, kind: str, directory: Path) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        key = f"{self.prefix}{kind}/{digest(directory)}/"
        try:
            for path in sorted(p for p in directory.rglob("*") if p.is_file()):
                self.client.upload_file(str(path), self.bucket, key + path.relative_to(directory).as_posix())
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"s3: cannot upload the {kind} artifact: {exc}") from exc
        return f"s3://{self.bucket}/{key}"

    def _download(self, uri: str, dest: Path) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, key = uri.removeprefix("s3://").partition("/")
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
            objects = [o["Key"] for page in pages for o in page.get("Contents", [])]
            if not objects:
                raise NotFoundError(f"no artifact at {uri}")
            for name in objects:
                target = dest / name[len(key) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                self.client.download_file(bucket, name, str(target))
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"s3: cannot download {uri}: {exc}") from exc
