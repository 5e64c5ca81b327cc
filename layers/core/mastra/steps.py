"""The pipeline's steps: JSON in, JSON out. Each Lambda handler in ``functions/`` calls one.

Every step validates its input into domain models, does its one job with the runtime's
components and returns a JSON-serialisable dict with its own ``elapsed_ms``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal

from pydantic import BaseModel, Field

from mastra.encoder.wire import EncodedMessage
from mastra.errors import EventPublishError, MastraError
from mastra.events.build import events_for_turn
from mastra.events.consumer import event_records
from mastra.events.models import Event
from mastra.models import (
    AttemptSummary,
    ChatResponse,
    Execution,
    ReflectionSummary,
    RequestContext,
    SentimentSummary,
    StepFailure,
    ToolCallRecord,
    Trace,
)
from mastra.providers.base import ChatMessage
from mastra.reflection import AnswerFacts, Reflection
from mastra.runtime import Runtime, get_runtime
from mastra.selection import Selection
from mastra.sentiment import Sentiment
from mastra.storage.models import Message, RequestRecord, Turn

log = logging.getLogger(__name__)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


class _StepInput(BaseModel):
    request: RequestContext


def select_agent(event: dict[str, Any], runtime: Runtime | None = None) -> dict[str, Any]:
    """``{"request": ...}`` -> ``{"selection": Selection, "encoding": EncodedMessage | None}``.

    The message is encoded once, here; the encoding travels on with the state so that the
    sentiment step (and later ones) reuse it instead of encoding again.
    """
    started = time.perf_counter()
    rt = runtime or get_runtime()
    request = _StepInput.model_validate(event).request
    encoding = rt.router.encode(request.message)
    selection = rt.router.route_encoded(request.message, encoding, floor=rt.settings.confidence_floor)
    selection.elapsed_ms = _ms(started)
    return {
        "selection": selection.model_dump(),
        "encoding": None if encoding is None else EncodedMessage.of(encoding).model_dump(),
    }


class SentimentInput(_StepInput):
    encoding: EncodedMessage | None = Field(None, description="The selection step's encoding of the message.")


def analyze_sentiment(event: dict[str, Any], runtime: Runtime | None = None) -> dict[str, Any]:
    """``{"request", "encoding"?}`` -> :class:`~mastra.sentiment.Sentiment` of the user's message."""
    started = time.perf_counter()
    rt = runtime or get_runtime()
    inp = SentimentInput.model_validate(event)
    encoding = None if inp.encoding is None else inp.encoding.decode()
    sentiment = rt.sentiment.analyze(inp.request.message, encoding)
    sentiment.elapsed_ms = _ms(started)
    return sentiment.model_dump()


class ExecuteInput(_StepInput):
    agent_id: str | None = Field(None, description="None: the fallback agent.")
    encoding: EncodedMessage | None = Field(None, description="The selection step's encoding (for recall).")
    attempt: int = 1
    failure: StepFailure | None = Field(None, description="Set when this run replaces a failed agent.")
    failed_agent_id: str | None = None


def execute_agent(event: dict[str, Any], runtime: Runtime | None = None) -> dict[str, Any]:
    """``{"request", "agent_id", "attempt", "failure"?}`` -> :class:`~mastra.models.Execution`.

    With ``failure`` (the pipeline's ExecuteFallback state) no agent runs: the answer says what
    failed, honestly, and reflection may then try the next-best agent.
    """
    started = time.perf_counter()
    rt = runtime or get_runtime()
    inp = ExecuteInput.model_validate(event)
    if inp.failure is not None:
        execution = _recovery(inp, rt.agents.registry.fallback_id)
        execution.elapsed_ms = _ms(started)
        return execution.model_dump()
    request = inp.request
    spec = rt.agents.registry.get(inp.agent_id) if inp.agent_id else rt.agents.registry.fallback
    memory = rt.memory.context(
        tenant_id=request.tenant_id,
        user_id=request.user_id,
        thread_id=request.thread_id,
        new_thread=request.new_thread,
        spec=spec,
        query=None if inp.encoding is None else inp.encoding.decode(),
        message=request.message,
    )
    history = [ChatMessage(role=m.role, content=m.content) for m in memory.history]
    # Resolved on every request (one cached label read), even when the provider renders nothing:
    # the version is recorded so outcomes can be compared per prompt version.
    prompt = rt.prompts.for_agent(spec, user_id=request.user_id)
    run = rt.executor.run(
        spec,
        message=request.message,
        history=history,
        user_id=request.user_id,
        request_id=request.request_id,
        variables=memory.variables(),
        prompt=prompt,
    )
    execution = Execution(
        agent_id=spec.id,
        attempt=inp.attempt,
        answer=run.answer,
        provider=rt.providers(spec).name,
        model_id=run.model_id,
        stop_reason=run.stop_reason,
        sources=run.sources,
        tool_calls=[ToolCallRecord.model_validate(c) for c in run.tool_calls],
        input_tokens=run.usage.input_tokens,
        output_tokens=run.usage.output_tokens,
        memory=memory.use,
        prompt=run.prompt,
    )
    execution.elapsed_ms = _ms(started)
    return execution.model_dump()


def _recovery(inp: ExecuteInput, fallback_id: str) -> Execution:
    assert inp.failure is not None
    who = f"the {inp.failed_agent_id} agent" if inp.failed_agent_id else "the agent"
    return Execution(
        agent_id=fallback_id,
        attempt=inp.attempt,
        answer=f"Sorry, I couldn't answer that just now: {who} failed ({inp.failure.error}). Please try again shortly.",
        provider="none",
        stop_reason="no_match",
        recovered_from=inp.failure,
        replaces_agent_id=inp.failed_agent_id,
    )


class _Attempt(BaseModel):
    execution: Execution
    reflection: Reflection


class ReflectInput(_StepInput):
    selection: Selection
    sentiment: Sentiment
    execution: Execution
    previous: _Attempt | None = None


def reflect(event: dict[str, Any], runtime: Runtime | None = None) -> dict[str, Any]:
    """Score the answer; ``retry`` names the next-best agent. With ``previous``, keep the better answer."""
    started = time.perf_counter()
    rt = runtime or get_runtime()
    inp = ReflectInput.model_validate(event)
    execution = inp.execution
    tried = [execution.agent_id]
    if inp.previous is not None:
        tried.append(inp.previous.execution.agent_id)
    if execution.replaces_agent_id is not None:  # the agent that failed is not worth a retry
        tried.append(execution.replaces_agent_id)
    reflection = rt.reflector.reflect(
        inp.request.message,
        inp.selection,
        AnswerFacts(agent_id=execution.agent_id, answer=execution.answer, answered=execution.answered),
        tried=tried,
        previous=inp.previous.reflection if inp.previous else None,
    )
    reflection.elapsed_ms = _ms(started)
    return reflection.model_dump()


class _Analysis(BaseModel):
    selection: Selection
    sentiment: Sentiment
    encoding: EncodedMessage | None = None


class RememberInput(_StepInput):
    analysis: _Analysis
    execution: Execution
    reflection: Reflection
    first: _Attempt | None = None
    failure: StepFailure | None = None
    reflection_error: StepFailure | None = None
    retry_error: StepFailure | None = None


def _errors(event: dict[str, Any], inp: RememberInput) -> list[StepFailure]:
    found = [
        StepFailure.model_validate(event["analysis"][k]["error"])
        for k in ("selection", "sentiment")
        if isinstance(event["analysis"].get(k), dict) and "error" in event["analysis"][k]
    ]
    found += [e for e in (inp.failure, inp.reflection_error, inp.retry_error) if e is not None]
    return found


def build_response(event: dict[str, Any], inp: RememberInput) -> ChatResponse:
    """The response for a finished pipeline state (whichever path it took); ``inp`` is ``event`` parsed."""
    first, final = inp.first, inp.reflection
    if first is None:  # accepted at once
        executions, reflections = [inp.execution], [final]
        kept, kept_score, reason = inp.execution, final.score, final.reason
    elif inp.retry_error is not None:  # the retry failed: the first answer stands
        executions, reflections = [first.execution], [first.reflection]
        if inp.execution.attempt == 2:  # the retry answered, but reflecting on it failed
            executions.append(inp.execution)
        kept, kept_score = first.execution, first.reflection.score
        reason = f"{first.reflection.reason}; the retry failed ({inp.retry_error.error}), so the first answer stands"
    else:  # retried: the better answer is kept
        executions, reflections = [first.execution, inp.execution], [first.reflection, final]
        keep_first = final.chosen == "first"
        kept = first.execution if keep_first else inp.execution
        kept_score = first.reflection.score if keep_first else final.score
        reason = final.reason
    attempts = [
        AttemptSummary(agent_id=e.agent_id, attempt=i + 1, verdict=r.verdict, score=r.score, answer=e.answer)
        for i, (e, r) in enumerate(zip(executions, reflections, strict=False))
    ]
    if inp.retry_error is not None and first is not None:
        retry_agent = first.reflection.retry_agent_id or "?"
        attempts.append(AttemptSummary(agent_id=retry_agent, attempt=2, verdict="failed", score=0.0, answer=""))
    summary = ReflectionSummary(verdict="retry" if first else final.verdict, score=kept_score, reason=reason)
    selection, sentiment = inp.analysis.selection, inp.analysis.sentiment
    return ChatResponse(
        request_id=inp.request.request_id,
        thread_id=inp.request.thread_id,
        user_id=inp.request.user_id,
        answer=kept.answer,
        agent=kept.agent_id,
        confidence=next((s.confidence for s in selection.ranked if s.agent_id == kept.agent_id), 0.0)
        if kept.agent_id != selection.agent_id
        else selection.confidence,
        sentiment=SentimentSummary(label=sentiment.label, score=sentiment.score),
        reflection=summary,
        attempts=attempts,
        sources=kept.sources,
        timings_ms={
            "select_agent": selection.elapsed_ms,
            "analyze_sentiment": sentiment.elapsed_ms,
            "execute_agent": round(sum(e.elapsed_ms for e in executions), 3),
            "reflect": round(sum(r.elapsed_ms for r in reflections), 3),
        },
        trace=Trace(
            selection=selection,
            sentiment=sentiment,
            executions=executions,
            reflections=reflections,
            errors=_errors(event, inp),
        ),
    )


def remember(event: dict[str, Any], runtime: Runtime | None = None) -> dict[str, Any]:
    """Store the turn (idempotent on the request id) and return the response."""
    started = time.perf_counter()
    rt = runtime or get_runtime()
    inp = RememberInput.model_validate(event)
    request = inp.request
    response = build_response(event, inp)
    now = time.time()
    body = response.model_dump()

    encoding = inp.analysis.encoding

    def message(role: Literal["user", "assistant"], content: str, suffix: str, at: float) -> Message:
        # Each message is stored with its embedding (for recall), in the same write as the message.
        # The user's comes from the selection step; the answer is encoded here.
        embedding = rt.memory.embed(content, encoding.decode() if role == "user" and encoding else None)
        return Message(
            tenant_id=request.tenant_id,
            thread_id=request.thread_id,
            message_id=f"{request.request_id}.{suffix}",
            role=role,
            content=content,
            user_id=request.user_id,
            request_id=request.request_id,
            agent_id=response.agent if role == "assistant" else None,
            created_at=at,
            embedding=embedding,
        )

    rt.store.record_turn(
        Turn(
            request=RequestRecord(
                tenant_id=request.tenant_id,
                request_id=request.request_id,
                user_id=request.user_id,
                thread_id=request.thread_id,
                created_at=request.received_at,
                response=body,
            ),
            user_message=message("user", request.message, "0", request.received_at),
            assistant_message=message("assistant", response.answer, "1", now),
        )
    )
    events = events_for_turn(request, response)
    try:  # outcomes: this answer's first reward, implicit signals on the thread's previous answer
        events += rt.feedback.on_turn(request, response, encoding.decode() if encoding else None)
    finally:  # one batch per request, sent even if the outcome write failed (the step is then retried)
        _publish(rt, events)
    spec = rt.agents.registry.get(response.agent)
    rt.memory.after_turn(
        tenant_id=request.tenant_id,
        user_id=request.user_id,
        thread_id=request.thread_id,
        request_id=request.request_id,
        message=request.message,
        settings=spec.memory,
        new_thread=request.new_thread,
    )
    body["timings_ms"]["remember"] = _ms(started)
    return body


def _publish(rt: Runtime, events: list[Event]) -> None:
    """Publish a stored turn's events; if the queue is unreachable, store them directly.

    The consumer's only job is to store events, so writing them to the store is the same outcome
    without the queue. Only if both fail does the step fail (``EventPublishError``), and Step
    Functions retries it: the turn is not written twice and the events (deterministic ids) are
    stored once.
    """
    try:
        rt.publisher.publish(events)
    except EventPublishError as exc:
        log.warning("publishing %d events failed (%s); storing them directly", len(events), exc.message)
        try:
            rt.store.record_events(event_records(events))
        except MastraError as fallback:
            raise EventPublishError(f"{exc.message}; storing them directly failed too: {fallback.message}") from exc
