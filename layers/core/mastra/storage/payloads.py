"""Payloads too large for a record: a message or response over ``LARGE_BYTES`` is kept here and the
record holds a pointer (DynamoDB caps an item at 400 KB, and a transaction at 4 MB).

Keys are ``<tenant>/<user>/<kind>/<id>``: erasing a user deletes their prefix; a thread's deletion
deletes the keys its messages point to. Locally files under the data dir; on AWS the artifacts bucket.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from mastra import aws
from mastra.errors import NotFoundError, StorageError

LARGE_BYTES = 64 * 1024  # well under the item cap; larger items cost a write unit per KB anyway
PREVIEW_CHARS = 1000  # what the record keeps of an offloaded message


class PayloadStore(ABC):
    @abstractmethod
    def put(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def get(self, key: str) -> bytes: ...

    @abstractmethod
    def delete(self, keys: list[str]) -> None: ...

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int: ...


class LocalPayloads(PayloadStore):
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        # Keys are built from validated ids; still, a segment that is empty, "." or ".." (or a
        # separator) could reach another user's files, so none is accepted.
        parts = key.rstrip("/").split("/")
        if not key or any(p in {"", ".", ".."} or "\\" in p for p in parts):
            raise StorageError(f"not a payload key: {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)  # atomic: a reader never sees half a payload
        except OSError as exc:
            raise StorageError(f"cannot write payload {key}: {exc.strerror}") from exc

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"payload {key} is missing") from None
        except OSError as exc:
            raise StorageError(f"cannot read payload {key}: {exc.strerror}") from exc

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        if len(prefix.rstrip("/").split("/")) < 2:  # never a whole tenant, never the root
            raise StorageError(f"refusing to delete payload prefix {prefix!r}")
        path = self._path(prefix.rstrip("/"))
        if not path.exists():
            return 0
        count = sum(1 for p in path.rglob("*") if p.is_file())
        shutil.rmtree(path)
        return count


class S3Payloads(PayloadStore):
    def __init__(self, bucket: str, prefix: str = "memory/", *, client: Any | None = None) -> None:
        self.bucket, self.prefix, self._client = bucket, prefix, client

    @property
    def client(self) -> Any:
        return self._client or aws.client("s3")

    def _call(self, what: str, fn: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise NotFoundError(f"payload missing: {kwargs.get('Key')}") from None
            raise StorageError(f"s3: cannot {what}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"s3: cannot {what}: {exc}") from exc

    def put(self, key: str, data: bytes) -> None:
        self._call("store a payload", self.client.put_object, Key=self.prefix + key, Body=data)

    def get(self, key: str) -> bytes:
        body = self._call("read a payload", self.client.get_object, Key=self.prefix + key)["Body"]
        return bytes(body.read())

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            objects = [{"Key": self.prefix + k} for k in keys[start : start + 1000]]
            self._call("delete payloads", self.client.delete_objects, Delete={"Objects": objects, "Quiet": True})

    def delete_prefix(self, prefix: str) -> int:
        def listed(Bucket: str, Prefix: str) -> list[str]:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=Bucket, Prefix=Prefix)
            return [o["Key"][len(self.prefix) :] for page in pages for o in page.get("Contents", [])]

        keys: list[str] = self._call("list payloads", listed, Prefix=self.prefix + prefix)
        self.delete(keys)
        return len(keys)
