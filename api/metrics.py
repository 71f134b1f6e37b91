"""Prometheus metrics at ``/metrics``: counts and durations only, never a value from a document or request.

- Requests per route: Litestar's Prometheus middleware, labelled by route *template* (so a document id
  in a path never becomes a label), method and status code; latencies as a histogram.
- Generation: a counter of finished generations and their prompt and generated tokens, kept by
  wrapping the ``complete`` and ``stream`` methods of the one loaded generator (``count_generations``).
- Everything else is read when Prometheus scrapes: the generation queue's depth, documents per
  collection and status and redactions per entity type (from the ledger), chunks per collection
  (from the store), and whether the store answers.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.middleware import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from api.security import RequestContext
from api.services import Services
from rag.errors import EnclaveError
from rag.types import Completion, DocumentStatus

# Answers on CPU take seconds: the default buckets stop at 10 s.
LATENCY_BUCKETS: list[str | float] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120]


def http_metrics_middleware() -> DefineMiddleware:
    """Request counts, errors, in-flight requests and latencies per route template, method and status."""
    return PrometheusConfig(
        app_name="enclave", prefix="enclave_http", group_path=True, buckets=LATENCY_BUCKETS
    ).middleware


class GenerationCounter:
    """Finished generations and their tokens since the process started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.generations = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0

    def record(self, completion: Completion) -> None:
        with self._lock:
            self.generations += 1
            self.prompt_tokens += completion.prompt_tokens
            self.completion_tokens += completion.completion_tokens


_COUNTER_ATTRIBUTE = "_enclave_generation_counter"


def count_generations(generator: Any) -> GenerationCounter | None:
    """Count what ``generator`` generates, by wrapping its ``complete`` and ``stream`` on this instance.

    Idempotent (several apps may share one loaded model); None if the object cannot be wrapped.
    A stream abandoned before its end (client gone) is not counted.
    """
    existing: GenerationCounter | None = getattr(generator, _COUNTER_ATTRIBUTE, None)
    if existing is not None:
        return existing
    counter = GenerationCounter()
    complete = generator.complete
    stream = generator.stream

    def counted_complete(*args: Any, **kwargs: Any) -> Any:
        completion = complete(*args, **kwargs)
        if isinstance(completion, Completion):
            counter.record(completion)
        return completion

    def counted_stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for item in stream(*args, **kwargs):
            if isinstance(item, Completion):
                counter.record(item)
            yield item

    try:
        setattr(generator, "complete", counted_complete)  # noqa: B010  (instance attribute shadows the method)
        setattr(generator, "stream", counted_stream)  # noqa: B010
        setattr(generator, _COUNTER_ATTRIBUTE, counter)
    except AttributeError:  # __slots__ or a read-only proxy: no token counts, everything else works
        return None
    return counter


class EnclaveCollector(Collector):
    """Gauges computed from the services at scrape time, limited to the collections the caller sees."""

    def __init__(self, services: Services, visible: Callable[[list[str]], list[str]]) -> None:
        self._services = services
        self._visible = visible

    def collect(self) -> Iterable[Metric]:
        services = self._services
        yield GaugeMetricFamily(
            "enclave_generation_queue_depth",
            "Generation requests running or waiting for the language model.",
            value=services.queue.depth,
        )
        yield GaugeMetricFamily(
            "enclave_generation_queue_capacity",
            "Generation requests that may wait; beyond that the API answers 503.",
            value=services.queue.capacity,
        )
        counter: GenerationCounter | None = getattr(services.generator, _COUNTER_ATTRIBUTE, None)
        if counter is not None:
            yield CounterMetricFamily(
                "enclave_generations", "Finished generations (answers, labels, summaries).", value=counter.generations
            )
            yield CounterMetricFamily(
                "enclave_generated_tokens", "Tokens generated by the language model.", value=counter.completion_tokens
            )
            yield CounterMetricFamily(
                "enclave_prompt_tokens", "Prompt tokens given to the language model.", value=counter.prompt_tokens
            )
        yield from self._ledger_metrics()
        yield from self._store_metrics()

    def _ledger_metrics(self) -> Iterator[Metric]:
        documents: Counter[tuple[str, str]] = Counter()
        redactions: Counter[tuple[str, str]] = Counter()
        entries = self._services.ledger.entries()
        visible = set(self._visible(sorted({entry.collection for entry in entries})))
        for entry in entries:
            if entry.collection not in visible:
                continue
            documents[(entry.collection, entry.status)] += 1
            if entry.status is DocumentStatus.DONE:
                for entity_type, count in entry.redactions.items():
                    redactions[(entry.collection, entity_type)] += count
        family = GaugeMetricFamily(
            "enclave_documents", "Documents in the ledger, by collection and status.", labels=["collection", "status"]
        )
        for (collection, status), count in sorted(documents.items()):
            family.add_metric([collection, status], count)
        yield family
        family = GaugeMetricFamily(
            "enclave_redactions",
            "Personal-data entities redacted in the stored documents, by collection and entity type.",
            labels=["collection", "entity_type"],
        )
        for (collection, entity_type), count in sorted(redactions.items()):
            family.add_metric([collection, entity_type], count)
        yield family

    def _store_metrics(self) -> Iterator[Metric]:
        chunks = GaugeMetricFamily(
            "enclave_chunks", "Chunks in the vector store, by collection.", labels=["collection"]
        )
        try:
            for name in self._visible(self._services.store.collections()):
                chunks.add_metric([name], self._services.store.count(name))
            up = 1
        except EnclaveError:
            up = 0
        yield GaugeMetricFamily("enclave_store_up", "1 if the vector store answered this scrape, else 0.", value=up)
        if up:
            yield chunks


@get("/metrics", sync_to_thread=True, include_in_schema=False, tags=["health"])
def metrics(services: NamedDependency[Services], context: NamedDependency[RequestContext]) -> Response[bytes]:
    """Prometheus text exposition: process, HTTP and Enclave metrics."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(EnclaveCollector(services, context.visible))
    return Response(generate_latest(REGISTRY) + generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
