"""Retries for the server backend: only transient errors, exponential back-off with a cap, a bounded number of
attempts, then a clear IndexUnavailableError; writes land once the server answers again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from qdrant_client import QdrantClient
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from kb.storage.backends.base import ChunkPoint, IndexUnavailableError, SparseVec
from kb.storage.backends.server import ServerBackend
from kb.storage.retry import RetryPolicy, is_transient
from kb.storage.schema import DENSE_VECTOR


def http_error(status: int) -> UnexpectedResponse:
    return UnexpectedResponse(status, "errore", b'{"status": "error"}', httpx.Headers())


def refused() -> ResponseHandlingException:
    return ResponseHandlingException(httpx.ConnectError("connessione rifiutata"))


class Recorder:
    """A policy's sleep: records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def policy(recorder: Recorder, attempts: int = 5) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, base_delay=0.5, max_delay=3.0, jitter=0.0, sleep=recorder)


def failing(errors: list[BaseException], result: str = "fatto") -> tuple[Callable[[], str], list[int]]:
    """A call that raises `errors` one by one, then returns `result`; and the list counting its calls."""
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return call, calls


@pytest.mark.parametrize(("error", "transient"), [
    (http_error(502), True), (http_error(503), True), (http_error(504), True),
    (http_error(500), False), (http_error(400), False), (http_error(404), False), (http_error(409), False),
    (refused(), True), (ResponseHandlingException(httpx.ReadTimeout("lento")), True),
    (ResponseHandlingException(ValueError("risposta illeggibile")), False),
    (httpx.ConnectTimeout("lento"), True), (ConnectionResetError(), True), (TimeoutError(), True),
    (ValueError("no"), False), (KeyError("x"), False),
], ids=repr)
def test_only_transient_errors_are_retried(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def test_backoff_doubles_up_to_the_cap() -> None:
    recorder = Recorder()
    assert [policy(recorder).delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    jittered = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=0.25, rand=lambda: 1.0)
    assert jittered.delay(2) == pytest.approx(2.5)


def test_transient_failures_then_success() -> None:
    recorder = Recorder()
    call, calls = failing([refused(), http_error(503), ResponseHandlingException(httpx.ReadTimeout("lento"))])
    assert policy(recorder).call(call) == "fatto"
    assert len(calls) == 4
    assert recorder.waits == [0.5, 1.0, 2.0]


def test_a_permanent_error_is_raised_at_once() -> None:
    recorder = Recorder()
    call, calls = failing([http_error(400)])
    with pytest.raises(UnexpectedResponse):
        policy(recorder).call(call)
    assert len(calls) == 1 and recorder.waits == []


def test_attempts_are_bounded_and_the_last_error_is_raised() -> None:
    recorder = Recorder()
    last = http_error(504)
    call, calls = failing([refused(), refused(), last, refused()])
    with pytest.raises(UnexpectedResponse) as raised:
        policy(recorder, attempts=3).call(call)
    assert raised.value is last
    assert len(calls) == 3 and recorder.waits == [0.5, 1.0]


@pytest.mark.parametrize("kwargs", [{"attempts": 0}, {"base_delay": -1}, {"base_delay": 2, "max_delay": 1},
                                    {"jitter": 1.5}])
def test_bad_policies_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


# -- the backend ----------------------------------------------------------------------------------------------
class FlakyClient:
    """A real qdrant-client (local mode) whose named methods fail with `errors` first, as a server in trouble."""

    def __init__(self, failures: dict[str, list[BaseException]]) -> None:
        self._real = QdrantClient(location=":memory:")
        self._failures = {name: list(errors) for name, errors in failures.items()}
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._real, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            pending = self._failures.get(name)
            if pending:
                raise pending.pop(0)
            return method(*args, **kwargs)

        return call


def make_backend(client: Any, recorder: Recorder) -> ServerBackend:
    return ServerBackend(":memory:", "prova", client=client, read_retry=policy(recorder, attempts=3),
                         write_retry=policy(recorder, attempts=5))


def points(n: int) -> list[ChunkPoint]:
    return [ChunkPoint(f"00000000-0000-0000-0000-{i:012d}", {"doc_id": f"d{i}", "text": f"testo {i}"},
                       [1.0, float(i), 0.5, 0.25], SparseVec([i + 1], [1.0])) for i in range(n)]


def test_upsert_lands_after_transient_failures() -> None:
    recorder = Recorder()
    client = FlakyClient({"upsert": [refused(), http_error(503)], "count": [http_error(502)]})
    backend = make_backend(client, recorder)
    backend.ensure_collection(4)
    backend.upsert(points(5))
    assert client.calls["upsert"] == 3
    assert backend.count() == 5, "written exactly once, read after one retry"
    assert recorder.waits == [0.5, 1.0, 0.5]
    hits = backend.query(DENSE_VECTOR, [1.0, 2.0, 0.5, 0.25], None, 1)
    assert hits[0].id == points(5)[2].id


def test_a_server_that_stays_down_gives_a_clear_error() -> None:
    recorder = Recorder()
    client = FlakyClient({"upsert": [refused()] * 10})
    backend = make_backend(client, recorder)
    backend.ensure_collection(4)
    with pytest.raises(IndexUnavailableError, match=r"non raggiungibile.*upsert, 5 tentativi"):
        backend.upsert(points(2))
    assert client.calls["upsert"] == 5 and len(recorder.waits) == 4


def test_reads_give_up_sooner_than_writes() -> None:
    recorder = Recorder()
    client = FlakyClient({"query_points": [http_error(503)] * 10})
    backend = make_backend(client, recorder)
    backend.ensure_collection(4)
    with pytest.raises(IndexUnavailableError, match="query, 3 tentativi"):
        backend.query(DENSE_VECTOR, [1.0, 0.0, 0.0, 0.0], None, 3)
    assert client.calls["query_points"] == 3


def test_a_bad_request_is_not_retried_nor_disguised() -> None:
    recorder = Recorder()
    client = FlakyClient({"delete": [http_error(400)]})
    backend = make_backend(client, recorder)
    backend.ensure_collection(4)
    with pytest.raises(UnexpectedResponse):
        backend.delete_ids(["00000000-0000-0000-0000-000000000001"])
    assert client.calls["delete"] == 1 and recorder.waits == []


class RacingClient(FlakyClient):
    """Another API replica creates the collection between our existence check and our create: we get a 409."""

    def __init__(self, their_dimension: int) -> None:
        super().__init__({})
        self.their_dimension = their_dimension

    def create_collection(self, *args: Any, **kwargs: Any) -> None:
        ServerBackend(":memory:", "prova", client=self._real).ensure_collection(self.their_dimension)
        raise http_error(409)


def test_replicas_starting_together_share_one_collection() -> None:
    backend = make_backend(RacingClient(4), Recorder())
    backend.ensure_collection(4)
    backend.upsert(points(3))
    assert backend.count() == 3


def test_a_collection_made_meanwhile_with_another_dimension_is_refused() -> None:
    with pytest.raises(IndexUnavailableError, match="4 dimensioni, il modello ne produce 8"):
        make_backend(RacingClient(4), Recorder()).ensure_collection(8)
