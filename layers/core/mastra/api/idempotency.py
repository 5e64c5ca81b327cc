"""``Idempotency-Key`` for POST endpoints: one decorator line per route.

    @router.post("/things", response_model=Thing, status_code=201)
    @idempotent
    def create_thing(body: NewThing, principal: PrincipalDep, runtime: RuntimeDep) -> Thing: ...

The decorator adds an optional ``Idempotency-Key`` header (documented in the OpenAPI schema) and
the caller's ``Principal`` to the endpoint's parameters. Without the header the endpoint runs as
before. With it, the call runs through ``runtime.idempotency`` (Powertools) scoped by tenant,
actor, method, path and key: a retry gets the first response back (status, body and headers,
plus ``Idempotent-Replayed: true``) and runs nothing; the same key with another body or query is
a 422; a retry while the first call still runs is a 409. Mastra errors that are final (4xx, not
retryable) are stored and replayed like successes; 5xx and retryable ones are not (a retry runs).

The response is rendered here (``jsonable_encoder`` of the endpoint's return, which is its
``response_model``; the route's ``status_code``; headers the endpoint set on its ``Response``),
so the first response and every replay are the same bytes.

The Powertools handler is synchronous: it runs on a pool of its own, and an ``async`` endpoint's
coroutine is sent back to the event loop. The pool is not the event loop's worker pool (which the
endpoint may itself use), so a full pool can delay calls but never deadlock them.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
import typing
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, TypeVar

from fastapi import Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder

from mastra.api.deps import PrincipalDep, RuntimeDep
from mastra.api.errors import error_response
from mastra.errors import MastraError
from mastra.idempotency import StoredResponse, canonical_payload
from mastra.security.principal import Principal

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_POOL = ThreadPoolExecutor(max_workers=32, thread_name_prefix="idempotent")
_SKIP_HEADERS = {"content-length", "content-type"}

KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry-safe POST: a retry with the same key returns the first response and runs nothing "
        "twice (same key, other body: 422; first still running: 409). Kept 24 h.",
    ),
]

F = TypeVar("F", bound=Callable[..., Any])


def _param_of(sig: inspect.Signature, hints: dict[str, Any], kind: type) -> str | None:
    return next((name for name in sig.parameters if hints.get(name) is kind), None)


def idempotent(endpoint: F) -> F:
    """Make a POST endpoint honour ``Idempotency-Key`` (see the module's doc)."""
    sig = inspect.signature(endpoint)
    hints = typing.get_type_hints(endpoint, include_extras=True)  # the route module's names, resolved now
    params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()]
    is_async = inspect.iscoroutinefunction(endpoint)
    request_name = _param_of(sig, hints, Request)
    response_name = _param_of(sig, hints, Response)
    extra = {
        "idempotency_key": KeyHeader,
        "idem_principal_": PrincipalDep,
        "idem_runtime_": RuntimeDep,
    }
    if request_name is None:
        request_name = "idem_request_"
        extra[request_name] = Request
    if response_name is None:
        response_name = "idem_response_"
        extra[response_name] = Response
    taken = set(extra) & set(sig.parameters)
    if taken:
        raise TypeError(f"@idempotent: {endpoint.__name__} already has parameters named {sorted(taken)}")
    params += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=None)
        if name == "idempotency_key"
        else inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
        for name, annotation in extra.items()
    ]
    own = set(extra)  # ours to drop before calling the endpoint (its own Request/Response stay)

    @functools.wraps(endpoint)
    async def wrapper(**kwargs: Any) -> Any:
        key: str | None = kwargs["idempotency_key"]
        principal: Principal = kwargs["idem_principal_"]
        runtime = kwargs["idem_runtime_"]
        request: Request = kwargs[request_name]
        sub: Response = kwargs[response_name]
        call_kwargs = {k: v for k, v in kwargs.items() if k not in own}
        if key is None:
            if is_async:
                return await endpoint(**call_kwargs)
            return await run_in_threadpool(endpoint, **call_kwargs)
        loop = asyncio.get_running_loop()
        route = request.scope.get("route")
        status = getattr(route, "status_code", None) or 200

        def produce() -> StoredResponse:
            try:
                if is_async:
                    result = asyncio.run_coroutine_threadsafe(endpoint(**call_kwargs), loop).result()
                else:
                    result = endpoint(**call_kwargs)
            except MastraError as exc:
                rendered = error_response(exc)
                stored = _stored(rendered, {})
                if exc.retryable or not stored.final:
                    raise  # not replayed: Powertools drops the claim and the app renders the error
                return stored
            if isinstance(result, Response):
                return _stored(result, dict(sub.headers))
            body = json.dumps(jsonable_encoder(result), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            return StoredResponse(sub.status_code or status, body, "application/json", _headers(sub.headers))

        scope = {
            "tenant": principal.tenant_id,
            "actor": principal.actor,
            "method": request.method,
            "path": request.url.path,
            "key": key,
        }
        payload = canonical_payload(await request.body(), request.url.query)
        run = functools.partial(
            runtime.idempotency.run, scope, payload, produce, context=request.scope.get("aws.context")
        )
        response, replayed = await loop.run_in_executor(_POOL, functools.partial(contextvars.copy_context().run, run))
        headers = dict(response.headers)
        if replayed:
            headers[REPLAYED] = "true"
        return Response(response.body, status_code=response.status, media_type=response.media_type, headers=headers)

    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params} | {"return": hints.get("return", Any)}
    return typing.cast(F, wrapper)


def _headers(headers: Any) -> dict[str, str]:
    return {k: v for k, v in dict(headers).items() if k.lower() not in _SKIP_HEADERS}


def _stored(response: Response, extra: dict[str, str]) -> StoredResponse:
    body = bytes(response.body).decode("utf-8")
    media = response.media_type or response.headers.get("content-type", "application/json")
    return StoredResponse(response.status_code, body, media, _headers(extra) | _headers(response.headers))


__all__ = ["HEADER", "REPLAYED", "idempotent"]
