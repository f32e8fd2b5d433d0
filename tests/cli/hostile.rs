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

/// One survey id (or engagement id) on two rows is one answer: the second
/// row is rejected as `duplicate_id`, in the exporter (backfill and a later
/// collection reading the margin again) and in `report` alike.
#[tokio::test]
async fn an_answer_id_twice_is_counted_once() {
    let db = TestDb::sqlite();
    db.migrate_source();
    db.execute(
        "DROP TABLE support_survey_responses;\n\
         CREATE TABLE support_survey_responses (id TEXT, ticket_id TEXT, responded_at TEXT, \
         kind TEXT, score INTEGER, comment TEXT);\n\
         DROP TABLE support_engagement_responses;\n\
         CREATE TABLE support_engagement_responses (id TEXT, employee_id TEXT, team TEXT, \
         responded_at TEXT, question TEXT, score INTEGER)",
    )
    .await;
    let start = Utc::now() - TimeDelta::hours(1);
    let t0 = start - TimeDelta::minutes(5);
    let at = lit(&db, t0);
    db.execute(&format!(
        "{};\n\
         INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score) VALUES \
         ('r1', 'a', {at}, 'csat', 5), ('r1', 'a', {at}, 'csat', 1), ('r2', 'a', {at}, 'csat', 4);\n\
         INSERT INTO support_engagement_responses (id, employee_id, team, responded_at, question, score) \
         VALUES ('g1', 'e1', 'billing', {at}, 'enps', 9), ('g1', 'e1', 'billing', {at}, 'enps', 0)",
        ticket(&db, "a", t0)
    ))
    .await;
    let clock = Arc::new(ManualClock::new(start));
    let e = exporter(&config(&db, "state.sqlite"), Arc::clone(&clock)).await;
    collect(&e).await;
    clock.advance(TimeDelta::minutes(1));
    collect(&e).await;
    let m = scrape(&e);
    assert_eq!(
        m.sum("support_csat_responses_total", &[]),
        2.0,
        "r1 once, r2"
    );
    assert_eq!(m.sum("support_engagement_responses_total", &[]), 1.0);
    assert_eq!(
        m.sum(
            "support_rows_rejected_total",
            &[
                ("relation", "support_survey_responses"),
                ("reason", "duplicate_id")
            ]
        ),
        1.0
    );
    assert_eq!(
        m.sum(
            "support_rows_rejected_total",
            &[
                ("relation", "support_engagement_responses"),
                ("reason", "duplicate_id")
            ]
        ),
        1.0
    );

    let from = (t0 - TimeDelta::days(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let to = (start + TimeDelta::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let r = crate::helpers::run(
        db.dir.path(),
        &["report", "--from", &from, "--to", &to, "--format", "json"],
        &[("SUPPORT_METRICS__SOURCE__URL", &db.url)],
    );
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    // r1's first row (5) and r2 (4): both satisfied; r1's 1 is not read.
    crate::helpers::assert_num(&v, "/overall/csat/responses", 2.0);
    crate::helpers::assert_num(&v, "/overall/csat/satisfied", 2.0);
    crate::helpers::assert_num(&v, "/overall/enps/responses", 1.0);
    let rejected = v.pointer("/rejected").expect("rejected").to_string();
    assert!(
        rejected.matches("duplicate_id").count() == 2,
        "surveys and engagement: {rejected}"
    );
}

/// A team name holding terminal escapes and a line break: `report`'s table
/// and `digest --preview`'s listing show it escaped, never raw.
#[tokio::test]
async fn data_text_reaches_the_terminal_escaped() {
    let db = TestDb::sqlite();
    db.migrate_source();
    let t0 = Utc::now() - TimeDelta::days(2);
    let evil = "evil\u{1b}[2J\u{1b}[31m\nINFO forged";
    db.execute(&format!(
        "{};\nINSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, team) \
         VALUES (1, 'a', {}, 'assign', 'system', '{evil}')",
        ticket(&db, "a", t0),
        lit(&db, t0)
    ))
    .await;
    let from = (t0 - TimeDelta::days(1)).format("%Y-%m-%d").to_string();
    let to = (Utc::now() + TimeDelta::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let r = crate::helpers::run(
        db.dir.path(),
        &[
            "report", "--from", &from, "--to", &to, "--by", "team", "--format", "table",
        ],
        &[("SUPPORT_METRICS__SOURCE__URL", &db.url)],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(!r.stdout.contains('\u{1b}'), "{}", r.stdout.escape_debug());
    assert!(r.stdout.contains("evil\\u{1b}[2J"), "{}", r.stdout);
    assert!(!r.stdout.lines().any(|l| l.starts_with("INFO forged")));
}

/// Fifty clients trickling a request's headers a byte at a time: each is
/// closed once the header-read limit passes, and meanwhile `/healthz` and
/// `/metrics` answer at once.
#[test]
fn slow_clients_are_closed_and_starve_nobody() {
    use std::io::{Read, Write};
    let db = TestDb::sqlite();
    let config_path = config(&db, "state.sqlite");
    db.migrate_source();
    let served = crate::helpers::Served::start(db.dir.path(), &config_path, &[]);
    served.wait_ready();
    let slow: Vec<std::net::TcpStream> = (0..50)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&served.addr).expect("connect");
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .expect("write");
            s
        })
        .collect();
    let started = std::time::Instant::now();
    for path in ["/healthz", "/metrics"] {
        let (status, _) = crate::helpers::http_get(&served.addr, path);
        assert_eq!(status, 200, "{path}");
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "served beside the slow clients"
    );
    // Trickle on; the server closes each connection (read returns 0 or
    // an error) once the limit is past. Bounded by a guard, not a measure.
    let limit = support_metrics::server::connections::HEADER_READ;
    let mut closed = 0;
    for mut s in slow {
        s.set_read_timeout(Some(limit + std::time::Duration::from_secs(10)))
            .expect("timeout");
        let _ = s.write_all(b"a");
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            // hyper answers 408 or just closes: either way, not held.
            Ok(_) => closed += 1,
            Err(e)
                if e.kind() != std::io::ErrorKind::WouldBlock
                    && e.kind() != std::io::ErrorKind::TimedOut =>
            {
                closed += 1
            }
            Err(e) => panic!("a slow client was still held after the limit: {e}"),
        }
    }
    assert_eq!(closed, 50);
    assert!(
        started.elapsed() >= limit,
        "closed by the limit, not at once"
    );
    served.stop();
}

/// The SQLite state file deleted under a running exporter: collections
/// fail, saying so, instead of committing into the deleted file (which the
/// next start would never see, and backfill from scratch).
#[tokio::test]
async fn a_deleted_state_file_fails_the_jobs_loudly() {
    let db = TestDb::sqlite();
    db.migrate_source();
    let start = Utc::now() - TimeDelta::hours(1);
    db.execute(&ticket(&db, "a", start - TimeDelta::minutes(5)))
        .await;
    let clock = Arc::new(ManualClock::new(start));
    let e = exporter(&config(&db, "state.sqlite"), Arc::clone(&clock)).await;
    collect(&e).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(db.dir.path().join(format!("state.sqlite{suffix}")));
    }
    clock.advance(TimeDelta::minutes(1));
    let err = e
        .run_job(support_metrics::exporter::Job::Collect, clock.now())
        .await
        .expect_err("a collection into a deleted state file fails");
    assert!(
        err.to_string()
            .contains("was deleted while the exporter ran"),
        "{err}"
    );
    let failed = scrape(&e).sum(
        "support_job_runs_total",
        &[("job_name", "collect"), ("result", "error")],
    );
    assert_eq!(failed, 1.0);
}

/// A PostgreSQL database in SQL_ASCII with bytes that are not UTF-8 in a
/// category and a team: each such row is rejected as `bad_text` (report and
/// exporter), the rest read — not a failed read of the whole relation.
#[tokio::test]
async fn bytes_that_are_not_utf8_are_rejected_rows() {
    use sqlx::{Connection, Executor};
    let Some(probe) = TestDb::postgres("sql_ascii").await else {
        return;
    };
    let base = probe
        .url
        .split('?')
        .next()
        .unwrap_or(&probe.url)
        .to_string();
    probe.cleanup().await;
    let name = format!("sm_ascii_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect");
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} ENCODING 'SQL_ASCII' TEMPLATE template0 \
             LC_COLLATE 'C' LC_CTYPE 'C'"
        )))
        .await
        .expect("create an SQL_ASCII database");
    let url = format!(
        "{}/{name}",
        base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s)
    );
    let dir = tempfile::tempdir().expect("dir");
    let r = crate::helpers::run(
        dir.path(),
        &["migrate", "source"],
        &[("SUPPORT_METRICS__SOURCE__URL", &url)],
    );
    assert!(r.ok, "{}", r.stderr);
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
    conn.execute(
        "INSERT INTO support_tickets VALUES \
         ('bad', now() - interval '1 day', 'email', 'normal', E'refunds\\xff', 'c', 'customer', 'open', now()), \
         ('good', now() - interval '1 day', 'email', 'normal', 'refunds', 'c', 'customer', 'open', now()); \
         INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, team) VALUES \
         (1, 'good', now() - interval '1 day', 'message', 'customer', NULL), \
         (2, 'good', now() - interval '1 day', 'assign', 'system', E'bill\\xffing'), \
         (3, 'good', now() - interval '23 hours', 'message', 'agent', NULL)",
    )
    .await
    .expect("rows");
    conn.close().await.ok();

    let from = (Utc::now() - TimeDelta::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let to = (Utc::now() + TimeDelta::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let r = crate::helpers::run(
        dir.path(),
        &["report", "--from", &from, "--to", &to, "--format", "json"],
        &[("SUPPORT_METRICS__SOURCE__URL", &url)],
    );
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    crate::helpers::assert_num(&v, "/overall/tickets_created", 1.0);
    crate::helpers::assert_num(&v, "/overall/first_response_seconds/count", 1.0);
    let rejected = v["rejected"].to_string();
    assert!(rejected.contains("bad_text"), "{rejected}");

    let text = format!(
        "[source]\nurl = \"{url}\"\n[state]\nurl = \"sqlite://{}\"\n",
        dir.path().join("state.sqlite").display()
    );
    let config_path = dir.path().join("c.toml");
    std::fs::write(&config_path, text).expect("config");
    let e = exporter(&config_path, Arc::new(ManualClock::new(Utc::now()))).await;
    collect(&e).await;
    let m = scrape(&e);
    assert_eq!(m.sum("support_tickets_created_total", &[]), 1.0);
    assert_eq!(rejected_in(&m, "support_tickets", "bad_text"), 1.0);
    assert_eq!(rejected_in(&m, "support_ticket_events", "bad_text"), 1.0);
    drop(e);
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {name} WITH (FORCE)"
        )))
        .await
        .expect("drop");
}

fn rejected_in(m: &crate::helpers::Scrape, relation: &str, reason: &str) -> f64 {
    m.sum(
        "support_rows_rejected_total",
        &[("relation", relation), ("reason", reason)],
    )
}
