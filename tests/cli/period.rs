//! A period read a chunk of ticket ids at a time (`source::period`), in
//! the shapes that stopped it: many tickets and no events (the tickets'
//! read ran ahead while the events' waited for its chunks), and integer
//! ticket ids beside a survey answer whose `ticket_id` is an empty string.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use support_metrics::config::Settings;
use support_metrics::model::Period;
use support_metrics::source::{Access, Source};

use crate::field::{config, lit};
use crate::helpers::{TestDb, assert_num};

/// `report` of `[from, to)` on `db` with `chunk` ids per statement, as
/// JSON; a read that never ends fails the test after a minute.
async fn report(
    db: &TestDb,
    chunk: usize,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> serde_json::Value {
    let mut settings = Settings::load(Some(&config(db, "state.sqlite"))).expect("settings");
    settings.source.period_chunk = chunk;
    let source = Source::connect(&settings.source, Access::ReadOnly)
        .await
        .expect("source");
    let period = Period { from, to };
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        support_metrics::report::build(&source, None, &settings, period, None, to),
    )
    .await
    .expect("the period is read within a minute")
    .expect("report");
    serde_json::to_value(&report).expect("JSON")
}

#[tokio::test]
async fn many_tickets_without_events_are_all_read() {
    let db = TestDb::sqlite();
    db.migrate_source();
    let monday = Utc
        .with_ymd_and_hms(2026, 11, 16, 9, 0, 0)
        .single()
        .expect("t");
    // 30,000 open tickets created on Monday, one a second, and no events:
    // more ticket rows than the readers hold ahead (16 batches of 1,024).
    db.execute(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 29999) \
         INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, \
         created_by, status, updated_at) \
         SELECT printf('T%05d', i), {at}, 'email', 'normal', NULL, 'c', 'customer', 'open', \
         {at} FROM n",
        at = format!(
            "strftime('%Y-%m-%dT%H:%M:%SZ', {}, '+' || i || ' seconds')",
            lit(&db, monday)
        ),
    ))
    .await;
    let from = monday - TimeDelta::hours(9);
    let to = from + TimeDelta::days(7);
    for chunk in [1_000, 7] {
        let v = report(&db, chunk, from, to).await;
        assert_num(&v, "/overall/tickets_created", 30_000.0);
        assert_num(&v, "/overall/backlog/tickets", 30_000.0);
    }
    db.cleanup().await;
}

#[tokio::test]
async fn integer_ticket_ids_beside_an_empty_survey_ticket_id() {
    let Some(db) = TestDb::postgres("period_integer_ids").await else {
        return;
    };
    db.migrate_source();
    // A helpdesk whose ticket ids are integers; its survey answers name
    // their ticket as text, one of them none ('').
    db.execute(
        "ALTER TABLE support_ticket_events ALTER COLUMN ticket_id TYPE bigint USING ticket_id::bigint;\n\
         ALTER TABLE support_tickets ALTER COLUMN id TYPE bigint USING id::bigint",
    )
    .await;
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 17, 10, 0, 0)
        .single()
        .expect("t");
    let at = lit(&db, t0);
    let answered = lit(&db, t0 + TimeDelta::minutes(30));
    db.execute(&format!(
        "INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, \
         created_by, status, updated_at) VALUES \
         (41, {at}, 'email', 'normal', NULL, 'c', 'customer', 'open', {answered}), \
         (42, {at}, 'email', 'normal', NULL, 'c', 'customer', 'open', {answered});\n\
         INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor) VALUES \
         (1, 41, {at}, 'message', 'customer'), (2, 41, {answered}, 'message', 'agent'), \
         (3, 42, {at}, 'message', 'customer');\n\
         INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score) VALUES \
         ('s1', '41', {answered}, 'csat', 5), ('s2', '', {answered}, 'nps', 9)"
    ))
    .await;
    let from = Utc
        .with_ymd_and_hms(2026, 11, 16, 0, 0, 0)
        .single()
        .expect("t");
    let to = from + TimeDelta::days(7);
    for chunk in [1_000, 1] {
        let v = report(&db, chunk, from, to).await;
        assert_num(&v, "/overall/tickets_created", 2.0);
        assert_num(&v, "/overall/first_response_seconds/count", 1.0);
        assert_num(&v, "/overall/first_response_seconds/mean", 1800.0);
        assert_num(&v, "/overall/csat/responses", 1.0);
        assert_num(&v, "/overall/nps/responses", 1.0);
    }
    db.cleanup().await;
}

/// Whether a statement of the exporter reading the survey answers is still
/// running on the server.
async fn survey_statement_running(db: &TestDb) -> bool {
    use sqlx::Connection;
    let mut watcher = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'support-metrics' \
         AND state = 'active' AND query LIKE '%support_survey_responses%' \
         AND query NOT LIKE '%period_id%' AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut watcher)
    .await
    .expect("pg_stat_activity");
    n > 0
}

/// A period's survey answers are read before its walk: their statement
/// ends as soon as the server has sent them, not when the walk reaches
/// the last ticket. Streamed in step with the walk, it stayed open for
/// the whole read — 38 s for a digest at a million tickets — and ran into
/// `source.statement_timeout` on a slower machine. Here ticket `B` has
/// 200,000 answers (far more than the readers hold ahead, and than the
/// socket's buffers); after the first ticket `A` is handed over, no
/// statement on the answers may still be running, and every answer
/// arrives, in order, with `B`.
#[tokio::test]
async fn a_period_s_survey_answers_are_read_before_its_walk() {
    use support_metrics::rejects::Rejects;
    use support_metrics::source::Rows;
    use support_metrics::source::merge::{ByTicket, Reads};
    let Some(db) = TestDb::postgres("period_surveys_first").await else {
        return;
    };
    db.migrate_source();
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 17, 10, 0, 0)
        .single()
        .expect("t");
    let at = lit(&db, t0);
    db.execute(&format!(
        "INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, \
         created_by, status, updated_at) VALUES \
         ('A', {at}, 'email', 'normal', NULL, 'c', 'customer', 'open', {at}), \
         ('B', {at}, 'email', 'normal', NULL, 'c', 'customer', 'open', {at});\n\
         INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score) \
         SELECT 's' || i, 'B', CAST({at} AS timestamptz) + i * interval '1 millisecond', 'csat', 1 + i % 5 \
         FROM generate_series(1, 200000) AS i"
    ))
    .await;
    let settings = Settings::load(Some(&config(&db, "state.sqlite"))).expect("settings");
    let source = Source::connect(&settings.source, Access::ReadOnly)
        .await
        .expect("source");
    let from = t0 - TimeDelta::days(1);
    let period = Rows::Active {
        from,
        to: from + TimeDelta::days(7),
    };
    let mut merged = ByTicket::open(
        &source,
        &Reads {
            tickets: period,
            events: Some(period),
            surveys: period,
        },
    );
    let (mut rejects, mut unmatched) = (Rejects::default(), Vec::new());
    let a = merged
        .next(&mut rejects, &mut unmatched)
        .await
        .expect("read")
        .expect("ticket A");
    assert_eq!((a.ticket.id.as_str(), a.surveys.len()), ("A", 0));
    // The answers' statement ends while B waits to be taken.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while survey_statement_running(&db).await {
        assert!(
            std::time::Instant::now() < deadline,
            "the answers' statement is still running while the walk waits"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b = merged
        .next(&mut rejects, &mut unmatched)
        .await
        .expect("read")
        .expect("ticket B");
    assert_eq!((b.ticket.id.as_str(), b.surveys.len()), ("B", 200_000));
    assert!(
        merged
            .next(&mut rejects, &mut unmatched)
            .await
            .expect("end")
            .is_none()
    );
    assert_eq!(rejects.total(), 0);
    db.cleanup().await;
}
