//! Hostile rows against the long-running exporter: each bad row is
//! rejected and counted once — however often a later collection reads it
//! again — and none stops the collection (issue 23).

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use support_metrics::clock::{Clock, ManualClock};

use crate::field::{collect, config, exporter, lit, scrape, ticket, ticket_updated};
use crate::helpers::{TestDb, assert_same_cumulative};

fn rejected(m: &crate::helpers::Scrape, reason: &str) -> f64 {
    m.sum("support_rows_rejected_total", &[("reason", reason)])
}

/// Bad rows read again and again (inside `late_arrival`, and as part of a
/// ticket walked again) are counted once; an event id SQLite stores as text
/// or a real does not stop the collection; a NULL event id is counted.
#[tokio::test]
async fn bad_rows_read_again_are_counted_once_and_stop_nothing() {
    let db = TestDb::sqlite();
    db.migrate_source();
    // A helpdesk's own events table, as loosely typed as SQLite allows.
    db.execute(
        "DROP TABLE support_ticket_events;\n\
         CREATE TABLE support_ticket_events (id, ticket_id TEXT, occurred_at TEXT, kind TEXT, \
         actor TEXT, actor_id TEXT, team TEXT, agent_id TEXT, status TEXT)",
    )
    .await;
    let start = Utc::now() - TimeDelta::hours(1);
    let t0 = start - TimeDelta::minutes(30);
    let ev = |id: &str, ticket: &str, at| {
        format!(
            "INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor) \
             VALUES ({id}, '{ticket}', {}, 'message', 'customer')",
            lit(&db, at)
        )
    };
    db.execute(
        &[
            ticket_updated(&db, "good", t0, t0 + TimeDelta::minutes(4)),
            ev("1", "good", t0),
            // A ticket row with a status outside the contract.
            ticket(&db, "odd", t0).replace("'open'", "'weird'"),
            ev("2", "odd", t0),
            // Events with ids no watermark can order.
            ev("'abc'", "good", t0 + TimeDelta::minutes(1)),
            ev("60000.5", "good", t0 + TimeDelta::minutes(2)),
            ev("NULL", "good", t0 + TimeDelta::minutes(3)),
            ev("3", "good", t0 + TimeDelta::minutes(4)),
        ]
        .join(";\n"),
    )
    .await;
    let clock = Arc::new(ManualClock::new(start));
    let e = exporter(&config(&db, "state.sqlite"), Arc::clone(&clock)).await;
    let first = collect(&e).await;
    assert_eq!(
        first.last_event_id,
        Some(3),
        "the watermark counts integers only"
    );

    // Minutes later, inside late_arrival (10 min): the bad ticket row is
    // read again by time, the good ticket walked again (a new event and a
    // moved updated_at) with its bad events.
    for minute in 1..=3 {
        clock.advance(TimeDelta::minutes(1));
        let at = start + TimeDelta::minutes(minute);
        db.execute(&format!(
            "{};\nUPDATE support_tickets SET updated_at = {} WHERE id = 'good'",
            ev(
                &(10 + minute).to_string(),
                "good",
                at - TimeDelta::seconds(30)
            ),
            lit(&db, at)
        ))
        .await;
        let o = collect(&e).await;
        assert_eq!(o.rows_rejected, 0, "minute {minute}: nothing new is bad");
    }
    let m = scrape(&e);
    assert_eq!(rejected(&m, "unknown_status"), 1.0);
    assert_eq!(rejected(&m, "bad_id"), 2.0, "'abc' and 60000.5");
    assert_eq!(rejected(&m, "null_id"), 1.0);
    assert_eq!(m.sum("support_tickets_created_total", &[]), 1.0);
    assert_eq!(
        m.sum("support_first_response_seconds_count", &[]),
        0.0,
        "only customer messages"
    );

    // A fresh exporter's backfill of the same rows counts the same.
    let fresh = exporter(
        &config(&db, "fresh.sqlite"),
        Arc::new(ManualClock::new(clock.now())),
    )
    .await;
    collect(&fresh).await;
    assert_same_cumulative(&m, &scrape(&fresh));
}

/// A bad row inside the re-read margin after a restart: the exporter
/// remembers it in its state store, not in memory.
#[tokio::test]
async fn a_bad_row_is_not_counted_again_after_a_restart() {
    let db = TestDb::sqlite();
    db.migrate_source();
    let start = Utc::now() - TimeDelta::hours(1);
    db.execute(
        &ticket_updated(
            &db,
            "odd",
            start - TimeDelta::minutes(2),
            start - TimeDelta::minutes(1),
        )
        .replace("'customer', 'open'", "'robot', 'open'"),
    )
    .await;
    let path = config(&db, "state.sqlite");
    let clock = Arc::new(ManualClock::new(start));
    let e = exporter(&path, Arc::clone(&clock)).await;
    collect(&e).await;
    assert_eq!(rejected(&scrape(&e), "unknown_created_by"), 1.0);
    drop(e);
    clock.advance(TimeDelta::minutes(2));
    let again = exporter(&path, Arc::clone(&clock)).await;
    let o = collect(&again).await;
    assert_eq!(o.rows_rejected, 0);
    assert_eq!(rejected(&scrape(&again), "unknown_created_by"), 1.0);
}
