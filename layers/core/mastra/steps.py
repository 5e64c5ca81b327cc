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
from mastra.events.consumer import record_batch
from mastra.events.models import Event, EventBatch
from mastra.models import (
    AttemptRecord,
    AttemptSummary,
    CacheUse,
    ChatResponse,
    Execution,
    FastPath,
    ReflectionSummary,
    ReflectOutput,
    RequestContext,
    SentimentSummary,
    StepFailure,
    ToolCallRecord,
    Trace,
)
from mastra.providers.base import ChatMessage, Critique
from mastra.reflection import AnswerFacts, Reflection
from mastra.runtime import Runtime, get_runtime
from mastra.selection import Selection
from mastra.sentiment import Sentiment
from mastra.storage.models import Message, RequestRecord, Turn
from mastra.text.placeholders import as_words

log = logging.getLogger(__name__)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


class _StepInput(BaseModel):
    request: RequestContext


def select_agent(event: dict[str, Any], runtime: Runtime | None = None) -> dict[str, Any]:
    """``{"request": ...}`` -> ``{"selection": Selection, "encoding": EncodedMessage | None}``.

    The router scores the agents; the selection policy (the bandit over those scores, learning
    from rewards per topic) chooses the one served. The message is encoded once, here; the
    encoding travels on with the state so that the sentiment step (and later ones) reuse it
    instead of encoding again.
    """
    started = time.perf_counter()
    rt = runtime or get_runtime()
    request = _StepInput.model_validate(event).request
    text = as_words(request.message)  # a redacted request is routed by what it says, not by "[EMAIL]"
    encoding = rt.router.encode(text)
    routed = rt.router.route_encoded(text, encoding, floor=rt.settings.confidence_floor)
    selection = rt.selection_policy.choose(routed, tenant_id=request.tenant_id)  # the bandit over the scores
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
    critique: Critique | None = Field(None, description="A repair attempt: what reflection asked to fix.")
    confidence: float | None = Field(None, description="The router's confidence (attempt 1: may skip reflection).")
    sentiment_label: str | None = Field(None, description="The user's mood: an upset user's answer is always reviewed.")


def execute_agent(event: dict[str, Any], runtime: Runtime | None = None) -> dict[str, Any]:
    """``{"request", "agent_id", "attempt", "failure"?, "critique"?}`` -> :class:`~mastra.models.Execution`.

    With ``failure`` (the pipeline's ExecuteFallback state) no agent runs: the answer says what
    failed, honestly, and reflection may then try the next-best agent. A repeated request may be
    answered from the answer cache; a confident request to a trusted agent may skip reflection
    (``fast_path``); the agent's time limit adapts to its observed latency.
    """
    from mastra.optimisation import adaptive_timeout, cache_key, fast_path, personalised
    from mastra.reflection.signals import safety
    from mastra.screening import screen_input, screen_output

    started = time.perf_counter()
    rt = runtime or get_runtime()
    inp = ExecuteInput.model_validate(event)
    if inp.failure is not None:
        execution = _recovery(inp, rt.agents.registry.fallback_id)
        execution.elapsed_ms = _ms(started)
        return execution.model_dump()
    request = inp.request
    spec = rt.agents.registry.get(inp.agent_id) if inp.agent_id else rt.agents.registry.fallback
    if screen_input(request.message).blocked(rt.settings.injection_block_threshold):
        # An obvious injection or jailbreak: no model call; reflection blocks it and says why.
        execution = _blocked(inp, spec.id)
        execution.elapsed_ms = _ms(started)
        return execution.model_dump()
    stats = rt.agent_stats.agent_stats(request.tenant_id, spec.id)
    timeout_s = adaptive_timeout(spec.timeout_s, stats, rt.settings)
    if inp.attempt > 1:  # a retry or repair gets what is left of the request's budget, within its own limit
        left_s = rt.settings.request_budget_ms / 1000 - (time.time() - request.received_at)
        timeout_s = round(max(rt.settings.timeout_floor_s, min(timeout_s, left_s)), 3)
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
    cache = _cache_use(rt, inp, spec, prompt, memory.use, cache_key, personalised)
    if cache is not None and cache.key is not None and cache.bypass is None:
        cached = rt.answer_cache.get_answer(request.tenant_id, cache.key)
        if cached is not None:
            execution = Execution.model_validate({**cached.execution, "attempt": inp.attempt})
            execution.cache = CacheUse(key=cache.key, hit=True)
            if inp.attempt == 1:  # reflected when it was stored: the Choice skips the Reflect state
                execution.fast_path = FastPath(
                    reason="cached answer (reflected when stored)", expected_score=cached.score
                )
            execution.memory, execution.critique, execution.timeout_s = memory.use, None, timeout_s
            execution.elapsed_ms = _ms(started)
            return execution.model_dump()
    run = rt.executor.run(
        spec,
        message=request.message,
        history=history,
        user_id=request.user_id,
        request_id=request.request_id,
        variables=memory.variables(),
        prompt=prompt,
        critique=inp.critique,
        timeout_s=timeout_s,
    )
    execution = Execution(
        agent_id=spec.id,
        attempt=inp.attempt,
        answer=run.answer,
        provider=run.provider or rt.providers(spec).name,
        model_id=run.model_id,
        provider_failures=run.provider_failures,
        stop_reason=run.stop_reason,
        sources=run.sources,
        tool_calls=[ToolCallRecord.model_validate(c) for c in run.tool_calls],
        input_tokens=run.usage.input_tokens,
        output_tokens=run.usage.output_tokens,
        memory=memory.use,
        prompt=run.prompt,
        critique=inp.critique,
        timeout_s=timeout_s,
        cache=cache,
        screen=screen_output(run.answer, run.system, request.message),
    )
    if inp.attempt == 1 and execution.answered and inp.sentiment_label != "negative":
        why = fast_path(inp.confidence, stats, rt.settings)
        # The safety check costs microseconds: a leak is never waved through on a fast path.
        leaks = safety(execution.answer, request.message)[1] or execution.screen.findings  # type: ignore[union-attr]
        if why is not None and not leaks:
            assert stats is not None and stats.reflection_score is not None
            execution.fast_path = FastPath(reason=why, expected_score=stats.reflection_score)
    execution.elapsed_ms = _ms(started)
    return execution.model_dump()


def _cache_use(
    rt: Runtime, inp: ExecuteInput, spec: Any, prompt: Any, memory: Any, key_of: Any, why_personal: Any
) -> CacheUse | None:
    """The attempt's cache key, or why the cache is bypassed (None: the cache is off)."""
    if rt.settings.answer_cache_ttl_s <= 0:
        return None
    if inp.critique is not None:
        return CacheUse(bypass="a repair attempt")
    if inp.sentiment_label == "negative":  # a cached answer was judged for another user's mood
        return CacheUse(bypass="the user is upset: the answer's tone is reviewed")
    personal = why_personal(spec, prompt.template, memory, new_thread=inp.request.new_thread)
    if personal is not None:
        return CacheUse(bypass=personal)
    return CacheUse(key=key_of(inp.request.tenant_id, spec.id, prompt.use().ref, inp.request.message))


def _blocked(inp: ExecuteInput, agent_id: str) -> Execution:
    from mastra.reflection.screening import REFUSAL

    return Execution(agent_id=agent_id, attempt=inp.attempt, answer=REFUSAL, provider="none", stop_reason="blocked")


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


class ReflectInput(_StepInput):
    selection: Selection
    sentiment: Sentiment | None = None
    execution: Execution
    history: list[AttemptRecord] = Field(default_factory=list, description="The earlier attempts (the loop's).")


def _facts(execution: Execution) -> AnswerFacts:
    return AnswerFacts(
        agent_id=execution.agent_id,
        answer=execution.answer,
        answered=execution.answered,
        stop_reason=execution.stop_reason,
        sources=tuple(execution.sources),
        critiqued=execution.critique is not None,
        leaks=tuple(execution.screen.findings) if execution.screen else (),
    )


def reflect(event: dict[str, Any], runtime: Runtime | None = None) -> dict[str, Any]:
    """Score the answer and decide: accept, ``retry`` (next-best agent) or ``repair`` (same agent, critique).

    Returns the :class:`~mastra.models.ReflectOutput`: the verdict and the history of attempts with
    this one appended. Within the request's budget (``max_attempts``, ``request_budget_ms``) only.
    An accepted, cacheable answer is stored in the answer cache.
    """
    from mastra.reflection.heuristic import Budget

    started = time.perf_counter()
    rt = runtime or get_runtime()
    inp = ReflectInput.model_validate(event)
    execution = inp.execution
    tried = [h.execution.agent_id for h in inp.history] + [execution.agent_id]
    tried += [e.replaces_agent_id for e in [*(h.execution for h in inp.history), execution] if e.replaces_agent_id]
    attempt = len(inp.history) + 1
    spent_ms = (time.time() - inp.request.received_at) * 1000
    budget = Budget(
        attempts_left=rt.settings.max_attempts - attempt, time_left=spent_ms < rt.settings.request_budget_ms
    )
    reflection = rt.reflector.reflect(
        inp.request.message,
        inp.selection,
        _facts(execution),
        sentiment=inp.sentiment,
        tried=tried,
        history=[(_facts(h.execution), h.reflection) for h in inp.history],
        budget=budget,
    )
    if reflection.verdict != "accept" and budget.exhausted:  # whatever a reflector says, the budget holds
        reflection = reflection.model_copy(
            update={"verdict": "accept", "reason": f"{reflection.reason}; the request's budget is spent"}
        )
    reflection.elapsed_ms = _ms(started)
    if reflection.verdict == "accept" and reflection.kept_attempt == attempt:
        _cache_answer(rt, inp.request, execution, reflection)
    output = ReflectOutput(
        **reflection.model_dump(),
        history=[*inp.history, AttemptRecord(execution=execution, reflection=reflection)],
        next_attempt=attempt + 1,
    )
    return output.model_dump()


def _cache_answer(rt: Runtime, request: RequestContext, execution: Execution, reflection: Reflection) -> None:
    """Keep an accepted answer for the same request (never a repair, a volatile tool's or an unsafe one)."""
    from mastra.cache import CachedAnswer
    from mastra.optimisation import VOLATILE_TOOLS

    cache = execution.cache
    if cache is None or cache.key is None or cache.hit or not reflection.safe:
        return
    if reflection.score < rt.reflector.threshold or any(c.name in VOLATILE_TOOLS for c in execution.tool_calls):
        return
    now = time.time()
    stored = execution.model_dump(exclude={"memory", "cache", "fast_path", "critique", "timeout_s", "elapsed_ms"})
    try:
        rt.answer_cache.put_answer(
            request.tenant_id,
            CachedAnswer(
                key=cache.key,
                agent_id=execution.agent_id,
                prompt_ref=execution.prompt.ref if execution.prompt else "",
                execution=stored,
                score=reflection.score,
                created_at=now,
                expires_at=now + rt.settings.answer_cache_ttl_s,
            ),
        )
    except MastraError as exc:  # a cache is an optimisation: never fail the request for it
        log.warning("could not cache the answer of %s: %s", request.request_id, exc.message)


class _Analysis(BaseModel):
    selection: Selection
    sentiment: Sentiment
    encoding: EncodedMessage | None = None


class RememberInput(_StepInput):
    analysis: _Analysis
    execution: Execution
    reflection: ReflectOutput
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


def _summary(e: Execution, r: Reflection) -> AttemptSummary:
    action = "answer" if e.attempt == 1 else ("repair" if e.critique is not None else "retry")
    return AttemptSummary(
        agent_id=e.agent_id,
        attempt=e.attempt,
        verdict=r.verdict,
        score=r.score,
        answer=e.answer,
        action=action,
        critique=e.critique.text if e.critique else None,
        reasons=r.reasons,
        elapsed_ms=round(e.elapsed_ms + r.elapsed_ms, 3),
    )


def build_response(event: dict[str, Any], inp: RememberInput) -> ChatResponse:
    """The response for a finished pipeline state (whichever path it took); ``inp`` is ``event`` parsed.

    ``inp.reflection.history`` holds every reflected attempt; the kept answer is the last
    reflection's ``kept_attempt``. An attempt whose execution or reflection failed is recorded as
    such, and the best reflected answer stands. A kept answer with a safety finding (the budget ran
    out before a repair) is redacted: it is never returned as it was.
    """
    from mastra.reflection.screening import REFUSAL
    from mastra.reflection.signals import redact
    from mastra.screening.screens import redact_output

    final = inp.reflection
    history = final.history
    executions = [h.execution for h in history]
    reflections: list[Reflection] = [h.reflection for h in history]
    attempts = [_summary(e, r) for e, r in zip(executions, reflections, strict=True)]
    last = reflections[-1] if reflections else None
    if not history:  # accepted at once: reflected, skipped, or reflection unavailable
        executions, reflections = [inp.execution], [Reflection.model_validate(final.model_dump())]
        attempts = [_summary(inp.execution, reflections[0])]
        kept, kept_refl, reason = inp.execution, reflections[0], final.reason
    else:
        assert last is not None
        kept_refl = reflections[last.kept_attempt - 1]
        kept = executions[last.kept_attempt - 1]
        reason = last.reason
        if inp.retry_error is not None and last.verdict != "accept":  # the next attempt failed to run
            attempts.append(
                AttemptSummary(
                    agent_id=last.retry_agent_id or "?",
                    attempt=last.attempt + 1,
                    verdict="failed",
                    score=0.0,
                    answer="",
                    action=last.verdict,
                    critique=last.critique.text if last.critique else None,
                )
            )
            failed = f"the {last.verdict} failed ({inp.retry_error.error})"
            reason = f"{reason}; {failed}, so attempt {last.kept_attempt}'s answer stands"
        elif inp.reflection_error is not None and inp.execution.attempt > last.attempt:  # its reflection failed
            executions.append(inp.execution)
            attempts.append(
                AttemptSummary(
                    agent_id=inp.execution.agent_id,
                    attempt=inp.execution.attempt,
                    verdict="unreviewed",
                    score=0.0,
                    answer=inp.execution.answer,
                    action="repair" if inp.execution.critique else "retry",
                )
            )
            failed = f"reflecting on attempt {inp.execution.attempt} failed"
            reason = f"{reason}; {failed}, so attempt {last.kept_attempt}'s answer stands"
    answer = kept.answer
    if kept_refl.verdict == "block":  # whatever an earlier attempt said, a blocked request gets the refusal
        answer = REFUSAL
    elif kept_refl.findings:
        if kept.screen is not None:  # the output screen's spans first: they index the answer as it came
            answer = redact_output(answer, kept.screen)
        answer = redact(answer, inp.request.message)
        reason = f"{reason}; leaks redacted"
    verdict = reflections[0].verdict if len(attempts) > 1 else final.verdict
    summary = ReflectionSummary(
        verdict=verdict,
        score=kept_refl.score,
        reason=reason,
        attempts=len(attempts),
        kept_attempt=kept.attempt,
        skipped=final.skipped,
    )
    selection, sentiment = inp.analysis.selection, inp.analysis.sentiment
    return ChatResponse(
        request_id=inp.request.request_id,
        thread_id=inp.request.thread_id,
        user_id=inp.request.user_id,
        answer=answer,
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


def _outbound(rt: Runtime, tenant_id: str, response: ChatResponse) -> ChatResponse:
    """The response with the tenant's privacy policy applied to every answer in it (the answer, each
    attempt's, each execution's) before it is stored and returned. The user's own data was redacted
    at the entry; this catches what an agent, a tool or a knowledge base added."""
    redact = rt.privacy.outbound
    response.answer = redact(tenant_id, response.answer)
    for attempt in response.attempts:
        attempt.answer = redact(tenant_id, attempt.answer)
    for execution in response.trace.executions:
        execution.answer = redact(tenant_id, execution.answer)
    return response


def remember(event: dict[str, Any], runtime: Runtime | None = None) -> dict[str, Any]:
    """Store the turn (idempotent on the request id) and return the response."""
    started = time.perf_counter()
    rt = runtime or get_runtime()
    inp = RememberInput.model_validate(event)
    request = inp.request
    response = _outbound(rt, request.tenant_id, build_response(event, inp))
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
            record_batch(EventBatch(events=events), rt.store)  # stored and counted, as the consumer would
        except MastraError as fallback:
            raise EventPublishError(f"{exc.message}; storing them directly failed too: {fallback.message}") from exc
