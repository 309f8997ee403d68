"""Prometheus metrics of the app, served at ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.db import Database
from channels.models import InboxMessage, OutboxMessage, QueueStatus

REGISTRY = CollectorRegistry()

MESSAGES_IN = Counter(
    "loket_messages_in", "Inbound messages stored, by channel.", ["channel"], registry=REGISTRY
)
DUPLICATES_IN = Counter(
    "loket_duplicate_messages_in", "Inbound repeats acknowledged and dropped.", ["channel"], registry=REGISTRY
)
MESSAGES_OUT = Counter(
    "loket_messages_out", "Outbound messages delivered, by channel.", ["channel"], registry=REGISTRY
)
TURN_LATENCY = Histogram(
    "loket_turn_latency_seconds",
    "From an inbound message being stored to its replies being queued.",
    buckets=(0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 3, 6, 12, 30, 60),
    registry=REGISTRY,
)
ERRORS = Counter("loket_errors", "Failures, by kind.", ["kind"], registry=REGISTRY)


class QueueDepthCollector(Collector):
    """Reports unfinished inbox and outbox rows at scrape time."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "loket_queue_depth", "Unfinished messages per queue.", labels=["queue", "status"]
        )
        with self.db.reading() as session:
            for name, model in (("inbox", InboxMessage), ("outbox", OutboxMessage)):
                counts = dict(
                    session.execute(
                        select(model.status, func.count())
                        .where(model.status.in_([QueueStatus.PENDING, QueueStatus.PROCESSING]))
                        .group_by(model.status)
                    ).all()
                )
                for status in (QueueStatus.PENDING, QueueStatus.PROCESSING):
                    gauge.add_metric([name, status.value], counts.get(status, 0))
        yield gauge
