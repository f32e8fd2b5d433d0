//! Ticket ids that a MySQL collation holds equal — differing only by case
//! or by trailing spaces, under the case- and pad-insensitive
//! `utf8mb4_general_ci` — are different tickets to every reader: the first
//! collection, an incremental one, `report` and `digest`.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use support_metrics::clock::{Clock, ManualClock};
use support_metrics::config::Settings;
use support_metrics::digest::analysis::KpiKey;
use support_metrics::digest::week::IsoWeek;
use support_metrics::source::{Access, Source};

use crate::field::{collect, config, exporter, lit, scrape, ticket_updated};
use crate::helpers::{TestDb, assert_num, assert_same_cumulative, report_with};

/// Three tickets whose ids the collation holds equal, each asked at `at`
/// (event ids from `first`, interleaved across the tickets as a busy
/// helpdesk writes them) and answered 60, 120 and 180 s later.
fn three_tickets(db: &TestDb, ids: [&str; 3], first: i64, at: DateTime<Utc>) -> String {
    let updated = at + TimeDelta::minutes(10);
    let mut sql: Vec<String> = ids
        .iter()
        .map(|id| ticket_updated(db, id, at, updated))
        .collect();
    for (n, id) in ids.iter().enumerate() {
        let n = n as i64;
        sql.push(format!(
            "INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor) VALUES \
             ({}, '{id}', {}, 'message', 'customer'), ({}, '{id}', {}, 'message', 'agent')",
            first + n,
            lit(db, at),
            first + 3 + n,
            lit(db, at + TimeDelta::seconds(60 * (n + 1))),
        ));
    }
    sql.join(";\n")
}

#[tokio::test]
async fn ids_equal_in_the_collation_stay_apart_in_every_reader() {
    let Some(db) = TestDb::mysql("collation").await else {
        return;
    };
    db.migrate_source();
    // A helpdesk's own tables: case- and pad-insensitive text, ticket ids
    // unique only as the helpdesk writes them (no key the collation judges).
    db.execute(
        "ALTER TABLE support_tickets DROP PRIMARY KEY, \
           CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;\n\
         ALTER TABLE support_ticket_events \
           CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;\n\
         ALTER TABLE support_survey_responses \
           CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
    )
    .await;
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 18, 9, 0, 0)
        .single()
        .expect("t0");
    db.execute(&three_tickets(&db, ["K", "k", "k "], 1, t0))
        .await;
    // The premise: the database holds the three ids equal.
    let pool = sqlx::MySqlPool::connect(&db.url).await.expect("mysql");
    let equal: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM support_tickets WHERE id = 'k'")
        .fetch_one(&pool)
        .await
        .expect("count");
    pool.close().await;
    assert_eq!(equal, 3, "utf8mb4_general_ci holds 'K', 'k' and 'k ' equal");

    // The first collection, then an incremental one that reads three more
    // such tickets and a solve of `k`.
    let clock = Arc::new(ManualClock::new(t0 + TimeDelta::hours(1)));
    let cfg = config(&db, "state.sqlite");
    let e = exporter(&cfg, Arc::clone(&clock)).await;
    collect(&e).await;
    let m = scrape(&e);
    assert_eq!(m.sum("support_tickets_created_total", &[]), 3.0);
    assert_eq!(m.sum("support_first_response_seconds_count", &[]), 3.0);

    let t1 = t0 + TimeDelta::hours(2);
    db.execute(&format!(
        "{};\nINSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, status) \
         VALUES (13, 'k', {t1}, 'status', 'agent', 'solved');\n\
         UPDATE support_tickets SET status = 'solved', updated_at = {t1} WHERE BINARY id = 'k'",
        three_tickets(&db, ["Q", "q", "q "], 7, t1),
        t1 = lit(&db, t1),
    ))
    .await;
    clock.advance(TimeDelta::hours(2));
    let o = collect(&e).await;
    assert_eq!(o.rows_rejected, 0, "{o:?}");
    let m = scrape(&e);
    assert_eq!(m.sum("support_tickets_created_total", &[]), 6.0);
    assert_eq!(m.sum("support_first_response_seconds_count", &[]), 6.0);
    assert_eq!(
        m.sum("support_first_response_seconds_sum", &[]),
        2.0 * (60.0 + 120.0 + 180.0)
    );
    assert_eq!(m.sum("support_tickets_solved_total", &[]), 1.0);
    assert_eq!(m.sum("support_rows_rejected_total", &[]), 0.0);
    // The same as one collection of the final rows.
    let whole = exporter(&config(&db, "whole.sqlite"), Arc::clone(&clock)).await;
    collect(&whole).await;
    assert_same_cumulative(&m, &scrape(&whole));

    // The same rows collected into a MySQL state store: its keys compare bytes without padding, so
    // `k` and `k ` are two tickets there too — the backlog holds the five
    // open ones, and `report --from-state` below reads all six. (Under
    // MariaDB's PAD SPACE `utf8mb4_bin` they shared one row.)
    let state_db = TestDb::mysql("collation_state")
        .await
        .expect("a second database on the MySQL that holds the first");
    let in_mysql = db.dir.path().join("mysql-state.toml");
    std::fs::write(
        &in_mysql,
        format!(
            "[source]\nurl = \"{}\"\nlate_arrival = \"10m\"\n\n[state]\nurl = \"{}\"\n",
            db.url, state_db.url
        ),
    )
    .expect("config");
    // After the week's end and `late_arrival`: the store is current for it.
    clock.advance(TimeDelta::days(5));
    let mine = exporter(&in_mysql, Arc::clone(&clock)).await;
    collect(&mine).await;
    let mm = scrape(&mine);
    assert_same_cumulative(&m, &mm);
    let pool = sqlx::MySqlPool::connect(&state_db.url)
        .await
        .expect("mysql");
    let stored: Vec<(String, i16)> =
        sqlx::query_as("SELECT id, is_open FROM ticket_state ORDER BY CAST(id AS BINARY)")
            .fetch_all(&pool)
            .await
            .expect("stored tickets");
    pool.close().await;
    let expected: Vec<(String, i16)> = ["K", "Q", "k", "k ", "q", "q "]
        .iter()
        .map(|id| (id.to_string(), i16::from(*id != "k")))
        .collect();
    assert_eq!(stored, expected, "one row per ticket, `k` solved");

    // `report` and `digest` of the week, reading the period's ids in one
    // chunk, then one and two ids per statement: the collation's equal ids
    // fall in different statements, each of which returns the rows of all
    // three.
    let text = std::fs::read_to_string(&cfg).expect("config");
    let week_report = |cfg: &std::path::Path, more: &[&str]| {
        let mut args = vec![
            "--from",
            "2026-11-16T00:00:00Z",
            "--to",
            "2026-11-23T00:00:00Z",
            "--format",
            "json",
        ];
        args.extend_from_slice(more);
        report_with(db.dir.path(), cfg, &args)
    };
    for chunk in [None, Some(1), Some(2)] {
        let cfg = match chunk {
            None => cfg.clone(),
            Some(n) => {
                let path = db.dir.path().join(format!("chunk-{n}.toml"));
                let chunked =
                    text.replacen("[source]\n", &format!("[source]\nperiod_chunk = {n}\n"), 1);
                std::fs::write(&path, chunked).expect("config");
                path
            }
        };
        let r = week_report(&cfg, &[]);
        assert!(
            r.ok,
            "report ({chunk:?} ids per statement) failed: {}",
            r.stderr
        );
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
        assert_num(&v, "/overall/tickets_created", 6.0);
        assert_num(&v, "/overall/tickets_solved", 1.0);
        assert_num(&v, "/overall/first_response_seconds/count", 6.0);
        assert_num(&v, "/overall/first_response_seconds/mean", 120.0);
        if chunk.is_none() {
            let r = week_report(&in_mysql, &["--from-state"]);
            assert!(r.ok, "report --from-state failed: {}", r.stderr);
            let s: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
            assert_eq!(s, v, "the MySQL store's report is the source's");
        }

        // `digest` of the week.
        let settings = Settings::load(Some(&cfg)).expect("settings");
        assert_eq!(settings.source.period_chunk, chunk.unwrap_or(1_000));
        let source = Source::connect(&settings.source, Access::ReadOnly)
            .await
            .expect("source");
        let week = IsoWeek::of(t0.date_naive());
        let analysis =
            support_metrics::digest::analyse(&source, None, &settings, week, clock.now())
                .await
                .expect("digest");
        let all = analysis.scope("all").expect("the digest of all teams");
        let kpi = |key: KpiKey| {
            all.headline
                .iter()
                .find(|k| k.key == key)
                .and_then(|k| k.week)
        };
        assert_eq!(kpi(KpiKey::Volume), Some(6.0));
        assert_eq!(kpi(KpiKey::FirstResponseP50), Some(120.0));
        assert!(analysis.rejected.is_empty(), "{:?}", analysis.rejected);
    }
    db.cleanup().await;
    state_db.cleanup().await;
}
