"""A peer a support analyst might reach for instead of support-metrics: polars
over a CSV export of the helpdesk tables (written by benches/scale.rs).

Computes, over all history, what the exporter's backfill counts:
first-response time (first agent message after creation; calendar time, no
business hours, no bots), resolution time (first `solved` status), their
p50/p90, and CSAT (share of 4-5 answers). Prints one JSON line.
"""

import json
import sys
import time
from pathlib import Path

import polars as pl

started = time.perf_counter()
d = Path(sys.argv[1])
ts = pl.Datetime("us", "UTC")
# Ids are compared as text (the contract's rule): some are not numbers.
tickets = pl.scan_csv(d / "tickets.csv", schema_overrides={"id": pl.Utf8}).with_columns(
    pl.col("created_at").str.to_datetime(time_zone="UTC").cast(ts)
)
events = pl.scan_csv(d / "events.csv", schema_overrides={"ticket_id": pl.Utf8}).with_columns(
    pl.col("occurred_at").str.to_datetime(time_zone="UTC").cast(ts),
)
surveys = pl.scan_csv(d / "surveys.csv", schema_overrides={"id": pl.Utf8, "ticket_id": pl.Utf8})

joined = events.join(
    tickets.select(pl.col("id").alias("ticket_id"), "created_at"), on="ticket_id"
)
first_response = (
    joined.filter(
        (pl.col("kind") == "message")
        & (pl.col("actor") == "agent")
        & (pl.col("occurred_at") >= pl.col("created_at"))
    )
    .group_by("ticket_id")
    .agg(((pl.col("occurred_at").min() - pl.col("created_at").first()).dt.total_seconds()).alias("s"))
)
resolution = (
    joined.filter((pl.col("kind") == "status") & (pl.col("status") == "solved"))
    .group_by("ticket_id")
    .agg(((pl.col("occurred_at").min() - pl.col("created_at").first()).dt.total_seconds()).alias("s"))
)
frt, res, csat = pl.collect_all(
    [
        first_response.select(
            pl.len().alias("n"),
            pl.col("s").quantile(0.5, "linear").alias("p50"),
            pl.col("s").quantile(0.9, "linear").alias("p90"),
        ),
        resolution.select(
            pl.len().alias("n"),
            pl.col("s").quantile(0.5, "linear").alias("p50"),
            pl.col("s").quantile(0.9, "linear").alias("p90"),
        ),
        surveys.filter(pl.col("kind") == "csat").select(
            pl.len().alias("n"), (pl.col("score") >= 4).mean().alias("ratio")
        ),
    ]
)
print(
    json.dumps(
        {
            "first_response": frt.to_dicts()[0],
            "resolution": res.to_dicts()[0],
            "csat": csat.to_dicts()[0],
            "seconds": round(time.perf_counter() - started, 2),
        }
    )
)
