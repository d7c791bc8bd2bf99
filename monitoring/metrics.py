"""Prometheus metrics for the clinic's own monitoring, read from the database at each scrape.

A collector (prometheus_client's custom-collector API) rather than in-process counters, because the
texts are written by several processes (gunicorn workers, the scheduler): the database is the one
place where they all add up. Names follow Prometheus conventions (`_total` counters, `_seconds`).
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from monitoring import health, operator
from monitoring.clinic import Clinic

log = logging.getLogger("crswatch.metrics")

# Seconds from an alert to its acknowledgement: a minute, the ack timeout, the first re-pages, an hour.
ACK_BUCKETS = (60, 300, 900, 1800, 3600, 7200)


class ClinicCollector:
    """Yields every crswatch metric for one clinic at `now`."""

    def __init__(self, clinic: Clinic, now: datetime):
        self.clinic = clinic
        self.now = now

    def collect(self) -> Iterator[Metric]:
        """The clinic's gauges and counters, read from the store at each scrape (prometheus_client's custom
        collector protocol)."""
        db = self.clinic.db
        texts = CounterMetricFamily("crswatch_texts", "Texts in and out, by direction and kind",
                                    labels=["direction", "kind"])
        for direction, kind, count in db.execute(
                "SELECT direction, kind, COUNT(*) FROM messages GROUP BY direction, kind ORDER BY 1, 2"):
            texts.add_metric([direction, kind], count)
        yield texts

        pages = CounterMetricFamily("crswatch_pages", "Pages to staff, by outcome", labels=["status"])
        for status, count in db.execute(
                "SELECT status, COUNT(*) FROM messages WHERE kind = 'alert' GROUP BY status ORDER BY 1"):
            pages.add_metric([status], count)
        yield pages

        alerts = CounterMetricFamily("crswatch_alerts", "Alerts opened, by level", labels=["level"])
        for level, count in db.execute("SELECT level, COUNT(*) FROM alerts GROUP BY level ORDER BY 1"):
            alerts.add_metric([level], count)
        yield alerts

        waits = [row[0] for row in db.execute(
            "SELECT (julianday(acknowledged_at) - julianday(created_at)) * 86400 FROM alerts "
            "WHERE acknowledged_at IS NOT NULL")]
        ack = HistogramMetricFamily("crswatch_alert_ack_seconds", "Time from an alert to its acknowledgement",
                                    labels=[])
        buckets = [(str(bound), float(sum(1 for wait in waits if wait <= bound))) for bound in ACK_BUCKETS]
        ack.add_metric([], buckets + [("+Inf", float(len(waits)))], sum(waits))
        yield ack

        backlog = GaugeMetricFamily("crswatch_outbox_backlog", "Texts waiting to be sent, by kind", labels=["kind"])
        for kind, count in db.execute(
                "SELECT kind, COUNT(*) FROM messages WHERE direction = 'out' AND status IN ('queued', 'sending') "
                "GROUP BY kind ORDER BY 1"):
            backlog.add_metric([kind], count)
        yield backlog

        page_wait, text_wait, _ = health.oldest_due(self.clinic, self.now)
        oldest = GaugeMetricFamily("crswatch_outbox_oldest_due_seconds",
                                   "How long the oldest due text has waited (pages apart)", labels=["class"])
        oldest.add_metric(["page"], page_wait.total_seconds() if page_wait else 0.0)
        oldest.add_metric(["text"], text_wait.total_seconds() if text_wait else 0.0)
        yield oldest

        try:
            waited, _ = health.oldest_waiting(self.clinic, self.now)
        except sqlite3.Error:  # the queue file cannot be read (/healthz says why): the gauge is absent, the rest stays
            log.warning("the hand-over queue cannot be read for crswatch_inbound_oldest_waiting_seconds", exc_info=True)
        else:
            waiting = GaugeMetricFamily("crswatch_inbound_oldest_waiting_seconds",
                                        "How long the oldest text handed over to the scheduler has waited unread")
            waiting.add_metric([], waited.total_seconds() if waited else 0.0)
            yield waiting

        errors = CounterMetricFamily("crswatch_gateway_errors", "SMS gateway failures by Twilio error code and scope",
                                     labels=["code", "scope"])
        for code, scope, count in db.execute("SELECT code, scope, count FROM gateway_errors ORDER BY 1, 2"):
            errors.add_metric([code, scope], count)
        yield errors

        state = operator.gateway_health(db)
        failing = GaugeMetricFamily("crswatch_gateway_failing",
                                    "1 while the account or network refuses every text")
        failing.add_metric([], 1.0 if state.failing_since else 0.0)
        yield failing

        refused = GaugeMetricFamily("crswatch_pager_refused",
                                    "1 while Twilio refuses [sms] pager_number: pages go from sms.from_number")
        refused.add_metric([], 1.0 if operator.pager_refusal(db, self.clinic.own_pager) else 0.0)
        yield refused

        beat = operator.heartbeat(db)
        heartbeat = GaugeMetricFamily("crswatch_scheduler_heartbeat_age_seconds",
                                      "Seconds since the scheduler last finished a pass (-1: never)")
        heartbeat.add_metric([], (self.now - beat).total_seconds() if beat else -1.0)
        yield heartbeat

        held = GaugeMetricFamily("crswatch_clock_step_hold", "1 while episode ends are held after a clock step")
        held.add_metric([], 1.0 if operator.clock_hold(db, self.now) else 0.0)
        yield held


def exposition(clinic: Clinic, now: datetime) -> bytes:
    """The Prometheus text format for one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClinicCollector(clinic, now))
    return generate_latest(registry)
