"""The events of a finished request, derived from its response.

Events are deterministic: ids are ``<request>:<type>[:<attempt>]`` and times are the request's
arrival plus the measured durations of the steps before each event. When Step Functions retries
the step that publishes them, the very same events are published again and stored once.
"""

from __future__ import annotations

from mastra.events.models import (
    AgentCompleted,
    AgentSelected,
    Event,
    ReflectionVerdict,
    RequestCompleted,
    RequestFailed,
    RequestReceived,
)
from mastra.models import ChatResponse, RequestContext


def events_for_turn(request: RequestContext, response: ChatResponse) -> list[Event]:
    rid, tenant = request.request_id, request.tenant_id
    trace = response.trace
    sel = trace.selection
    # Each event's time: arrival plus the measured durations of the steps before it (reflection k
    # follows execution k), so a re-published event is identical to the first.
    selected_at = request.received_at + sel.elapsed_ms / 1000
    completed_at, verdict_at, clock = [], [], selected_at
    for k, e in enumerate(trace.executions):
        clock += e.elapsed_ms / 1000
        completed_at.append(clock)
        if k < len(trace.reflections):
            clock += trace.reflections[k].elapsed_ms / 1000
            verdict_at.append(clock)
    events: list[Event] = [
        RequestReceived(
            event_id=f"{rid}:request.received",
            tenant_id=tenant,
            request_id=rid,
            occurred_at=request.received_at,
            user_id=request.user_id,
            thread_id=request.thread_id,
            message_chars=len(request.message),
        ),
        AgentSelected(
            event_id=f"{rid}:agent.selected",
            occurred_at=selected_at,
            tenant_id=tenant,
            request_id=rid,
            agent_id=sel.agent_id,
            confidence=sel.confidence,
            fallback=sel.fallback,
            fallback_reason=sel.fallback_reason,
            router=sel.router,
            ranked=sel.ranked[:3],
            topic=sel.topic,
            router_agent_id=sel.router_agent_id,
            explored=sel.bandit is not None and sel.bandit.explored,
        ),
    ]
    for k, e in enumerate(trace.executions):
        events.append(
            AgentCompleted(
                occurred_at=completed_at[k],
                event_id=f"{rid}:agent.completed:{e.attempt}",
                tenant_id=tenant,
                request_id=rid,
                agent_id=e.agent_id,
                attempt=e.attempt,
                provider=e.provider,
                model_id=e.model_id,
                stop_reason=e.stop_reason,
                answered=e.answered,
                elapsed_ms=e.elapsed_ms,
                tools=[c.name for c in e.tool_calls],
                input_tokens=e.input_tokens,
                output_tokens=e.output_tokens,
                recovered_from=e.recovered_from,
                prompt_ref=e.prompt.ref if e.prompt else None,
                prompt_label=e.prompt.label if e.prompt else None,
                prompt_arm=e.prompt.arm if e.prompt else None,
            )
        )
    for attempt, (execution, r) in enumerate(zip(trace.executions, trace.reflections, strict=False), start=1):
        events.append(
            ReflectionVerdict(
                event_id=f"{rid}:reflection.verdict:{attempt}",
                occurred_at=verdict_at[attempt - 1],
                tenant_id=tenant,
                request_id=rid,
                agent_id=execution.agent_id,
                attempt=attempt,
                verdict=r.verdict,
                score=r.score,
                signals=r.signals,
                retry_agent_id=r.retry_agent_id,
                chosen=r.chosen,
                findings=r.findings,
            )
        )
    kept = next((e for e in reversed(trace.executions) if e.agent_id == response.agent), None)
    blocked = response.reflection.verdict == "block"
    k = response.reflection.kept_attempt - 1
    kept_findings = trace.reflections[k].findings if 0 <= k < len(trace.reflections) else []
    # The steps before Remember (which publishes this): what a rebuilt response also holds.
    timings = {k: v for k, v in response.timings_ms.items() if k not in ("remember", "total")}
    events.append(
        RequestCompleted(
            event_id=f"{rid}:request.completed",
            occurred_at=clock,
            tenant_id=tenant,
            request_id=rid,
            agent_id=response.agent,
            topic=sel.topic or sel.agent_id or response.agent,  # None reads as the selected agent
            prompt_ref=kept.prompt.ref if kept and kept.prompt else None,
            attempts=len(trace.executions),
            reflection_score=response.reflection.score if trace.reflections else None,
            latency_ms=round(sum(timings.values()), 3),
            timings_ms=timings,
            errors=len(trace.errors),
            blocked=blocked,
            redacted=bool(kept_findings) and not blocked,
        )
    )
    return events


def request_failed(request: RequestContext, error: str, message: str) -> RequestFailed:
    return RequestFailed(
        event_id=f"{request.request_id}:request.failed",
        tenant_id=request.tenant_id,
        request_id=request.request_id,
        error=error,
        message=message,
    )
