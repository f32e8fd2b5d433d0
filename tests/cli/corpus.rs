//! The bad-input corpus (issue 23): one helpdesk holding a row of every
//! class of bad data a backend can store, beside good rows, on SQLite,
//! PostgreSQL and MariaDB. `report`, the exporter (a backfill, then a
//! collection re-reading the late-arrival margin) and `digest --preview`
//! each end with every row measured or rejected-and-counted once — the
//! expected counts are written out by hand below — and the exposition
//! passes `promtool check metrics`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use support_metrics::clock::ManualClock;

use crate::field::{collect, config, exporter, lit, scrape};
use crate::helpers::{TestDb, assert_same_cumulative, run};

/// What the corpus holds on one backend, and what must come of it.
struct Corpus {
    sql: Vec<String>,
    /// Good tickets (each with a customer message and an agent reply).
    measured: f64,
    /// `(relation as the metrics name it, reason) → rows`.
    rejected: BTreeMap<(&'static str, &'static str), f64>,
}

const T: &str = "support_tickets";
const E: &str = "support_ticket_events";
const S: &str = "support_survey_responses";
const G: &str = "support_engagement_responses";

fn corpus(db: &TestDb, at: DateTime<Utc>) -> Corpus {
    let sqlite = db.url.starts_with("sqlite:");
    let pg = db.url.starts_with("postgres:");
    let t = |x: DateTime<Utc>| lit(db, x);
    let reply = at + TimeDelta::minutes(10);
    let ticket = |id: &str, created: &str, fields: [&str; 4]| {
        let [channel, priority, created_by, status] = fields;
        format!(
            "INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, \
             created_by, status, updated_at) VALUES ('{id}', {created}, {channel}, {priority}, 'refunds', \
             'c-{id}', {created_by}, {status}, {})",
            t(reply)
        )
    };
    let ok = ["'email'", "'normal'", "'customer'", "'open'"];
    let mut next_id = 0;
    let mut event = |ticket: &str, when: String, kind: &str, actor: &str, status: &str| {
        next_id += 1;
        format!(
            "INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, actor_id, status) \
             VALUES ({next_id}, '{ticket}', {when}, {kind}, {actor}, 'x', {status})"
        )
    };
    let mut sql = Vec::new();
    let mut rejected = BTreeMap::new();
    let mut expect = |relation, reason, n: f64| {
        *rejected.entry((relation, reason)).or_insert(0.0) += n;
    };
    // Three good tickets, answered.
    for id in ["g1", "g2", "g3"] {
        sql.push(ticket(id, &t(at), ok));
        sql.push(event(id, t(at), "'message'", "'customer'", "NULL"));
        sql.push(event(id, t(reply), "'message'", "'agent'", "NULL"));
    }
    // Bad ticket rows: each rejected; its one event then has no ticket.
    let mut bad_ticket = |id: &str, created: String, fields, reason| {
        sql.push(ticket(id, &created, fields));
        sql.push(event(id, t(at), "'message'", "'customer'", "NULL"));
        expect(T, reason, 1.0);
        expect(E, "unknown_ticket", 1.0);
    };
    bad_ticket(
        "st",
        t(at),
        ["'email'", "'normal'", "'customer'", "'weird'"],
        "unknown_status",
    );
    bad_ticket(
        "cb",
        t(at),
        ["'email'", "'normal'", "'robot'", "'open'"],
        "unknown_created_by",
    );
    bad_ticket(
        "pr",
        t(at),
        ["'email'", "'p0'", "'customer'", "'open'"],
        "unknown_priority",
    );
    bad_ticket(
        "old",
        t(DateTime::UNIX_EPOCH - TimeDelta::days(1)),
        ok,
        "timestamp_before_1970",
    );
    bad_ticket(
        "fut",
        t(at + TimeDelta::days(400)),
        ok,
        "timestamp_in_future",
    );
    bad_ticket("nul", "NULL".into(), ok, "null_timestamp");
    if sqlite {
        bad_ticket("txt", "'soon'".into(), ok, "bad_timestamp");
        bad_ticket(
            "big",
            "9300000000000000000".into(),
            ok,
            "timestamp_out_of_range",
        );
    }
    if pg {
        bad_ticket("inf", "'infinity'".into(), ok, "timestamp_out_of_range");
        bad_ticket("ninf", "'-infinity'".into(), ok, "timestamp_out_of_range");
    }
    // Bad events on a good ticket: rejected, the ticket still measured.
    sql.push(event("g1", t(at), "'poke'", "'customer'", "NULL"));
    expect(E, "unknown_kind", 1.0);
    sql.push(event("g1", t(at), "'message'", "'alien'", "NULL"));
    expect(E, "unknown_actor", 1.0);
    sql.push(event("g1", t(at), "'status'", "'agent'", "NULL"));
    expect(E, "null_status", 1.0);
    sql.push(event(
        "g2",
        t(at - TimeDelta::hours(1)),
        "'message'",
        "'customer'",
        "NULL",
    ));
    expect(E, "event_before_creation", 1.0);
    sql.push(event("nobody", t(at), "'message'", "'customer'", "NULL"));
    expect(E, "unknown_ticket", 1.0);
    let mut measured = 3.0;
    if sqlite {
        // A ticket id twice (no primary key): the last row is used.
        sql.push(ticket(
            "dup",
            &t(at),
            ["'chat'", "'normal'", "'customer'", "'open'"],
        ));
        sql.push(ticket("dup", &t(at), ok));
        sql.push(event("dup", t(at), "'message'", "'customer'", "NULL"));
        sql.push(event("dup", t(reply), "'message'", "'agent'", "NULL"));
        expect(T, "duplicate_ticket_id", 1.0);
        measured += 1.0;
        // A loosely typed table: an id SQLite keeps as text.
        sql.push(format!(
            "INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor) \
             VALUES ('abc', 'g3', {}, 'note', 'agent')",
            t(at)
        ));
        expect(E, "bad_id", 1.0);
    }
    // Survey answers.
    let answer = |id: &str, ticket: &str, kind: &str, score: &str| {
        format!(
            "INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score) \
             VALUES ('{id}', '{ticket}', {}, '{kind}', {score})",
            t(reply)
        )
    };
    sql.push(answer("a1", "g1", "csat", "5"));
    sql.push(answer("a2", "g2", "csat", "9"));
    expect(S, "score_out_of_range", 1.0);
    sql.push(answer("a3", "g2", "stars", "3"));
    expect(S, "unknown_kind", 1.0);
    sql.push(answer("a4", "nobody", "csat", "4"));
    expect(S, "unknown_ticket", 1.0);
    if sqlite {
        sql.push(answer("a1", "g1", "csat", "1"));
        expect(S, "duplicate_id", 1.0);
    }
    // Engagement answers.
    let pulse = |id: &str, question: &str, score: &str| {
        format!(
            "INSERT INTO support_engagement_responses (id, employee_id, team, responded_at, question, score) \
             VALUES ('{id}', 'e', 'billing', {}, '{question}', {score})",
            t(reply)
        )
    };
    sql.push(pulse("p1", "enps", "9"));
    sql.push(pulse("p2", "enps", "11"));
    expect(G, "score_out_of_range", 1.0);
    Corpus {
        sql,
        measured,
        rejected,
    }
}

/// Loosens the canonical tables as many helpdesks' are: nullable
/// timestamps; on SQLite, untyped event ids and no unique answer ids.
async fn loosen(db: &TestDb) {
    if db.url.starts_with("sqlite:") {
        db.execute(
            "DROP TABLE support_tickets;\n\
             CREATE TABLE support_tickets (id TEXT, created_at, channel TEXT, priority TEXT, \
             category TEXT, requester_id TEXT, created_by TEXT, status TEXT, updated_at);\n\
             DROP TABLE support_ticket_events;\n\
             CREATE TABLE support_ticket_events (id, ticket_id TEXT, occurred_at, kind TEXT, actor TEXT, \
             actor_id TEXT, team TEXT, agent_id TEXT, status TEXT);\n\
             DROP TABLE support_survey_responses;\n\
             CREATE TABLE support_survey_responses (id TEXT, ticket_id TEXT, responded_at, kind TEXT, \
             score INTEGER, comment TEXT)",
        )
        .await;
    } else if db.url.starts_with("postgres:") {
        db.execute("ALTER TABLE support_tickets ALTER COLUMN created_at DROP NOT NULL")
            .await;
    } else {
        db.execute("ALTER TABLE support_tickets MODIFY created_at DATETIME(6) NULL")
            .await;
    }
}

async fn corpus_on(db: TestDb) {
    db.migrate_source();
    loosen(&db).await;
    let at = Utc::now() - TimeDelta::days(2);
    let c = corpus(&db, at);
    db.execute(&c.sql.join(";\n")).await;
    let total_rejected: f64 = c.rejected.values().sum();

    // report
    let period = [
        "--from".to_string(),
        (at - TimeDelta::days(1))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        "--to".to_string(),
        (at + TimeDelta::days(1))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    ];
    let mut args: Vec<&str> = vec!["report"];
    args.extend(period.iter().map(String::as_str));
    args.extend(["--format", "json"]);
    let r = run(
        db.dir.path(),
        &args,
        &[("SUPPORT_METRICS__SOURCE__URL", &db.url)],
    );
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    crate::helpers::assert_num(&v, "/overall/tickets_created", c.measured);
    crate::helpers::assert_num(&v, "/overall/first_response_seconds/count", c.measured);
    let mut reported: BTreeMap<(String, String), f64> = BTreeMap::new();
    for x in v["rejected"].as_array().expect("rejected") {
        let relation = format!("support_{}", x["relation"].as_str().unwrap_or_default())
            .replace("support_events", E)
            .replace("support_surveys", S)
            .replace("support_engagement", G);
        *reported
            .entry((
                relation,
                x["reason"].as_str().unwrap_or_default().to_string(),
            ))
            .or_default() += x["count"].as_f64().unwrap_or(0.0);
    }
    let expected: BTreeMap<(String, String), f64> = c
        .rejected
        .iter()
        .map(|((r, why), n)| ((r.to_string(), why.to_string()), *n))
        .collect();
    assert_eq!(reported, expected, "report's rejections on {}", db.url);

    // The exporter: a backfill, then a collection re-reading the margin.
    let path = config(&db, "state.sqlite");
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let e = exporter(&path, Arc::clone(&clock)).await;
    collect(&e).await;
    clock.advance(TimeDelta::minutes(1));
    let again = collect(&e).await;
    assert_eq!(again.rows_rejected, 0, "nothing counted twice");
    let m = scrape(&e);
    assert_eq!(m.sum("support_tickets_created_total", &[]), c.measured);
    assert_eq!(
        m.sum("support_first_response_seconds_count", &[]),
        c.measured
    );
    for ((relation, reason), n) in &c.rejected {
        assert_eq!(
            m.sum(
                "support_rows_rejected_total",
                &[("relation", relation), ("reason", reason)]
            ),
            *n,
            "{relation}/{reason} on {}",
            db.url
        );
    }
    assert_eq!(m.sum("support_rows_rejected_total", &[]), total_rejected);
    let fresh = exporter(&config(&db, "fresh.sqlite"), Arc::clone(&clock)).await;
    collect(&fresh).await;
    assert_same_cumulative(&m, &scrape(&fresh));

    // promtool accepts the exposition.
    if let Some(promtool) = crate::helpers::tool("promtool", "PROMTOOL", "corpus") {
        let text = support_metrics::exposition::Exposition::new(e.shared())
            .expect("registry")
            .text()
            .expect("exposition");
        crate::helpers::promtool_check_metrics(&promtool, &text);
    }

    // The digest of that week, previewed.
    let week = support_metrics::digest::IsoWeek::of(at.date_naive()).to_string();
    let out = db.dir.path().join("preview");
    let r = run(
        db.dir.path(),
        &[
            "digest",
            "--week",
            &week,
            "--preview",
            out.to_str().expect("utf-8"),
        ],
        &[("SUPPORT_METRICS__SOURCE__URL", &db.url)],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(std::fs::read_dir(&out).expect("preview dir").count() >= 3);
    db.cleanup().await;
}

#[tokio::test]
async fn corpus_sqlite() {
    corpus_on(TestDb::sqlite()).await;
}

#[tokio::test]
async fn corpus_postgres() {
    if let Some(db) = TestDb::postgres("corpus").await {
        corpus_on(db).await;
    }
}

#[tokio::test]
async fn corpus_mariadb() {
    if let Some(db) = TestDb::mysql("corpus").await {
        corpus_on(db).await;
    }
}
