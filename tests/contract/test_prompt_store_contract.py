"""One contract for the prompt registry on every backend (SQLite and DynamoDB under moto)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.contract.conftest import TABLE

from mastra.errors import ConflictError, NotFoundError, PromptRenderError
from mastra.prompts import LabelTarget, PromptDraft, PromptService, PromptStore, Split, Variable
from mastra.storage.sqlite_db import SQLiteDatabase

StoreFactory = Callable[[], PromptStore]


@pytest.fixture
def open_store(backend: str, tmp_path: Path) -> Iterator[StoreFactory]:
    """Opens the backend on the same underlying data each time it is called (a 'restart')."""
    opened: list[SQLiteDatabase] = []

    def open_() -> PromptStore:
        if backend == "dynamodb":
            import boto3

            from mastra.prompts.dynamodb import DynamoDBPromptStore

            return DynamoDBPromptStore(TABLE, client=boto3.client("dynamodb"))
        from mastra.prompts.sqlite import SQLitePromptStore

        db = SQLiteDatabase(tmp_path / "mastra.db")
        opened.append(db)
        return SQLitePromptStore(db)

    yield open_
    for db in opened:
        db.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(open_store: StoreFactory, clock: Clock) -> PromptService:
    return PromptService(open_store(), ttl_s=30, clock=clock)


GREETING = PromptDraft(
    template="Hello {{ name }}, I am {{ agent.name }}.",
    variables=[Variable(name="name", type="string")],
    author="ada",
    note="first",
)


def test_create_list_get(service: PromptService, open_store: StoreFactory) -> None:
    v1 = service.create("greeter", GREETING)
    v2 = service.create("greeter", GREETING.model_copy(update={"template": "Hi {{ name }}.", "note": "shorter"}))
    service.create("other", PromptDraft(template="Plain."))
    assert (v1.version, v2.version, v1.ref) == (1, 2, "greeter@1")
    assert [v.version for v in service.versions("greeter")] == [1, 2]
    # a "restart" reads the same records
    fresh = PromptService(open_store())
    got = fresh.get("greeter", 2)
    assert got == v2 and got.author == "ada" and got.note == "shorter" and got.variables[0].name == "name"
    assert [p.id for p in fresh.list_prompts()] == ["greeter", "other"]
    assert fresh.list_prompts()[0].latest_version == 2
    with pytest.raises(NotFoundError):
        fresh.get("greeter", 3)
    with pytest.raises(NotFoundError):
        fresh.versions("missing")


def test_versions_are_immutable(service: PromptService) -> None:
    v1 = service.create("greeter", GREETING)
    with pytest.raises(ConflictError):
        service.create("greeter", GREETING.model_copy(update={"template": "Changed {{ name }}"}), version=1)
    with pytest.raises(Exception, match="frozen"):
        v1.template = "changed"  # type: ignore[misc]
    assert service.store.get_version("greeter", 1) == v1
    assert service.create("greeter", GREETING, version=5).version == 5
    assert service.create("greeter", GREETING).version == 6


def test_no_next_number_after_the_last_is_a_conflict_and_stores_nothing(service: PromptService) -> None:
    """Found by the API fuzzing: version MAX_VERSION, then an unnumbered create stored an unreadable version."""
    from mastra.prompts.models import MAX_VERSION

    service.create("greeter", GREETING, version=MAX_VERSION)
    with pytest.raises(ConflictError, match="every version number"):
        service.create("greeter", GREETING)
    assert [v.version for v in service.versions("greeter")] == [MAX_VERSION]


def test_concurrent_creates_get_distinct_numbers(service: PromptService, open_store: StoreFactory) -> None:
    stores = [open_store() for _ in range(6)]
    numbers: list[int] = []
    errors: list[Exception] = []

    def create(store: PromptStore) -> None:
        try:
            numbers.append(PromptService(store).create("busy", GREETING).version)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]
    assert service.store.prompt_ids() == ["busy"]


def test_label_moves_optimistic_concurrency_and_rollback(service: PromptService) -> None:
    for _ in range(3):
        service.create("greeter", GREETING)
    service.move_label("greeter", "production", LabelTarget(version=1), expect_new=True, by="ada")
    with pytest.raises(ConflictError):
        service.move_label("greeter", "production", LabelTarget(version=2), expect_new=True)
    service.move_label("greeter", "production", LabelTarget(version=2), expected=LabelTarget(version=1), by="bob")
    with pytest.raises(ConflictError, match="points at v2, not v1"):  # someone else moved it first
        service.move_label("greeter", "production", LabelTarget(version=3), expected=LabelTarget(version=1))
    with pytest.raises(NotFoundError):
        service.move_label("greeter", "production", LabelTarget(version=9))
    # rollback: move it back; the history says who and when, from and to
    service.move_label("greeter", "production", LabelTarget(version=1), by="carol", note="rollback")
    label = service.get_label("greeter", "production")
    assert (label.target.version, label.revision, label.updated_by) == (1, 3, "carol")
    history = service.history("greeter", "production")
    assert [(m.from_target.version if m.from_target else None, m.to_target.version, m.by) for m in history] == [
        (None, 1, "ada"),
        (1, 2, "bob"),
        (2, 1, "carol"),
    ]
    assert history[-1].note == "rollback"
    assert service.resolve("greeter@production", user_id="u").version.version == 1


def test_a_lost_race_on_the_store_is_a_conflict(service: PromptService) -> None:
    service.create("greeter", GREETING)
    service.create("greeter", GREETING)
    store = service.store
    stale = store.get_label("greeter", "production")
    store.move_label("greeter", "production", LabelTarget(version=1), current=stale)
    with pytest.raises(ConflictError):  # written between our read and our write
        store.move_label("greeter", "production", LabelTarget(version=2), current=stale)
    current = store.get_label("greeter", "production")
    store.move_label("greeter", "production", LabelTarget(version=2), current=current)
    with pytest.raises(ConflictError):
        store.move_label("greeter", "production", LabelTarget(version=1), current=current)
    assert len(store.history("greeter", "production")) == 2


def test_concurrent_label_moves_one_wins(service: PromptService, open_store: StoreFactory) -> None:
    for _ in range(2):
        service.create("greeter", GREETING)
    service.move_label("greeter", "production", LabelTarget(version=1))
    outcomes: list[str] = []

    def move(store: PromptStore, to: int) -> None:
        try:
            PromptService(store).move_label(
                "greeter", "production", LabelTarget(version=to), expected=LabelTarget(version=1)
            )
            outcomes.append("moved")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=move, args=(open_store(), 2)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "moved"]


def test_ttl_cache_sees_a_moved_label_after_the_ttl_not_before(
    service: PromptService, open_store: StoreFactory, clock: Clock
) -> None:
    service.create("greeter", GREETING)
    service.create("greeter", GREETING)
    service.move_label("greeter", "production", LabelTarget(version=1))
    assert service.resolve("greeter@production", user_id="u").version.version == 1
    # another process (the CLI, the API) moves the label
    PromptService(open_store()).move_label("greeter", "production", LabelTarget(version=2))
    clock.now += 29.9
    assert service.resolve("greeter@production", user_id="u").version.version == 1
    clock.now += 0.2
    assert service.resolve("greeter@production", user_id="u").version.version == 2
    # rollback reaches it the same way
    PromptService(open_store()).move_label("greeter", "production", LabelTarget(version=1))
    assert service.resolve("greeter@production", user_id="u").version.version == 2
    clock.now += 30
    assert service.resolve("greeter@production", user_id="u").version.version == 1
    # a pinned version needs no label read at all
    assert service.resolve("greeter@2", user_id="u").version.version == 2


def test_ab_split_is_deterministic_and_close_to_the_weights(service: PromptService, open_store: StoreFactory) -> None:
    service.create("greeter", GREETING)
    service.create("greeter", GREETING)
    split = LabelTarget(split=[Split(version=1, weight=80), Split(version=2, weight=20)])
    service.move_label("greeter", "production", split)
    other = PromptService(open_store())
    counts = {1: 0, 2: 0}
    for i in range(10_000):
        user = f"user-{i}"
        chosen = service.resolve("greeter@production", user_id=user)
        counts[chosen.version.version] += 1
        if i % 500 == 0:  # the same user gets the same version every time, from any process
            again = other.resolve("greeter@production", user_id=user)
            assert (again.version.version, again.arm) == (chosen.version.version, chosen.arm)
            assert again.label == "production"
    assert abs(counts[1] / 10_000 - 0.8) < 0.02, counts


def test_template_errors_are_refused_at_create(service: PromptService) -> None:
    with pytest.raises(PromptRenderError, match="undeclared variable"):
        service.create("bad", PromptDraft(template="Hi {{ name }}"))
    with pytest.raises(PromptRenderError, match="syntax error"):
        service.create("bad", PromptDraft(template="{% if %}"))
    assert service.store.prompt_ids() == []


def test_render_through_the_service(service: PromptService) -> None:
    service.create("greeter", GREETING)
    text, use = service.render("greeter", {"name": "Ada"}, version=1)
    assert text == "Hello Ada, I am greeter."
    assert (use.ref, use.version, use.label) == ("greeter@1", 1, None)
    with pytest.raises(PromptRenderError, match="missing variable"):
        service.render("greeter", {}, version=1)
    with pytest.raises(PromptRenderError, match="must be string"):
        service.render("greeter", {"name": 3}, version=1)
    with pytest.raises(PromptRenderError, match="undeclared variable"):
        service.render("greeter", {"name": "Ada", "typo": 1}, version=1)
