//! The first collection merges tickets, events and survey answers read in
//! ticket-id order. The ids here sort differently in each database's own
//! collation (case, digits, accents), rows refer to tickets that do not
//! exist before, between and after the real ones, and the tickets relation
//! (a query) repeats a ticket: the numbers must be the hand-computed ones
//! on SQLite, PostgreSQL and MariaDB alike.

use crate::exporter::{ALL_TIME, check_against_report, report_of};
use crate::helpers::{Served, TestDb};

/// Mon 2026-01-05 to Fri 2026-01-09, UTC business hours 09–17.
const ROWS: &str = "
INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, created_by, status, updated_at) VALUES
 ('B-2', '2026-01-05T09:00:00Z', 'email', 'normal', NULL, 'c1', 'customer', 'solved', '2026-01-05T10:00:00Z'),
 ('a-1', '2026-01-08T09:00:00Z', 'chat',  'high',   NULL, 'c2', 'customer', 'new',    '2026-01-08T09:00:00Z'),
 ('Ä-3', '2026-01-06T10:00:00Z', 'email', 'normal', NULL, 'c3', 'customer', 'open',   '2026-01-06T12:00:00Z'),
 ('10',  '2026-01-07T11:00:00Z', 'web',   'low',    NULL, 'c4', 'customer', 'solved', '2026-01-07T11:20:00Z'),
 ('9',   '2026-01-09T09:00:00Z', 'web',   'low',    NULL, 'c5', 'customer', 'new',    '2026-01-09T09:00:00Z');

INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status) VALUES
 (1,  'B-2',  '2026-01-05T09:00:00Z', 'message', 'customer', 'c1', NULL, NULL, NULL),
 (14, '0-x',  '2026-01-05T09:00:00Z', 'message', 'customer', 'c9', NULL, NULL, NULL),
 (2,  'B-2',  '2026-01-05T09:00:00Z', 'assign',  'system', NULL, 'billing', NULL, NULL),
 (3,  'B-2',  '2026-01-05T09:30:00Z', 'message', 'agent', 'a1', NULL, NULL, NULL),
 (15, 'Az-x', '2026-01-05T09:40:00Z', 'message', 'customer', 'c9', NULL, NULL, NULL),
 (4,  'B-2',  '2026-01-05T10:00:00Z', 'status',  'agent', 'a1', NULL, NULL, 'solved'),
 (5,  'a-1',  '2026-01-08T09:00:00Z', 'message', 'customer', 'c2', NULL, NULL, NULL),
 (6,  'a-1',  '2026-01-08T09:00:00Z', 'assign',  'system', NULL, 'tech', NULL, NULL),
 (16, 'zz-x', '2026-01-08T09:00:00Z', 'message', 'customer', 'c9', NULL, NULL, NULL),
 (7,  'Ä-3',  '2026-01-06T10:00:00Z', 'message', 'customer', 'c3', NULL, NULL, NULL),
 (8,  'Ä-3',  '2026-01-06T10:00:00Z', 'assign',  'system', NULL, 'billing', NULL, NULL),
 (10, 'Ä-3',  '2026-01-06T11:00:00Z', 'like',    'customer', 'c3', NULL, NULL, NULL),
 (9,  'Ä-3',  '2026-01-06T12:00:00Z', 'message', 'agent', 'a1', NULL, NULL, NULL),
 (17, 'ÿ-x',  '2026-01-06T12:00:00Z', 'message', 'customer', 'c9', NULL, NULL, NULL),
 (11, '10',   '2026-01-07T11:00:00Z', 'message', 'customer', 'c4', NULL, NULL, NULL),
 (12, '10',   '2026-01-07T11:10:00Z', 'message', 'agent', 'a2', NULL, NULL, NULL),
 (13, '10',   '2026-01-07T11:20:00Z', 'status',  'agent', 'a2', NULL, NULL, 'solved');

INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score, comment) VALUES
 ('s1', 'B-2',  '2026-01-05T11:00:00Z', 'csat', 5, NULL),
 ('s2', 'Ä-3',  '2026-01-06T13:00:00Z', 'csat', 2, NULL),
 ('s3', NULL,   '2026-01-06T13:00:00Z', 'nps', 10, NULL),
 ('s4', 'nope', '2026-01-06T13:00:00Z', 'csat', 4, NULL),
 ('s5', '9',    '2026-01-09T10:00:00Z', 'ces', 3, NULL);
";

async fn backfill_merges_by_ticket_id(db: TestDb) {
    db.migrate_source();
    db.execute(ROWS).await;
    let state = format!("sqlite://{}", db.dir.path().join("state.sqlite").display());
    let mut text = std::fs::read_to_string(crate::helpers::fixture("small_helpdesk.toml"))
        .expect("fixture config");
    text.push_str(&format!(
        "\n[source]\nurl = \"{}\"\n\n[source.queries]\ntickets = \"SELECT * FROM support_tickets \
         UNION ALL SELECT * FROM support_tickets WHERE id = 'B-2'\"\n\n[state]\nurl = \"{state}\"\n\n\
         [schedule]\ncollect = \"0 0 * * * *\"\nkpi = \"0 0 * * * *\"\n",
        db.url
    ));
    let config = db.dir.path().join("backfill.toml");
    std::fs::write(&config, text).expect("config");
    let served = Served::start(db.dir.path(), &config, &[]);
    served.wait_ready();
    let m = served.scrape();
    served.stop();

    let rejected = |relation: &str, reason: &str| {
        let relation = format!("support_{relation}");
        m.sum(
            "support_rows_rejected_total",
            &[("relation", relation.as_str()), ("reason", reason)],
        )
    };
    assert_eq!(
        rejected("ticket_events", "unknown_ticket"),
        4.0,
        "0-x, Az-x, zz-x, ÿ-x"
    );
    assert_eq!(rejected("ticket_events", "unknown_kind"), 1.0);
    assert_eq!(rejected("survey_responses", "unknown_ticket"), 1.0, "nope");
    assert_eq!(rejected("tickets", "duplicate_ticket_id"), 1.0, "B-2 twice");

    assert_eq!(m.sum("support_tickets_created_total", &[]), 5.0);
    assert_eq!(m.sum("support_tickets_solved_total", &[]), 2.0, "B-2, 10");
    // B-2 30 min and Ä-3 2 h in billing; 10 min for 10, never assigned.
    assert_eq!(m.sum("support_first_response_seconds_count", &[]), 3.0);
    assert_eq!(m.sum("support_first_response_seconds_sum", &[]), 9_600.0);
    let billing = [("team", "billing")];
    assert_eq!(m.sum("support_first_response_seconds_count", &billing), 2.0);
    assert_eq!(
        m.sum("support_first_response_seconds_sum", &billing),
        9_000.0
    );
    assert_eq!(
        m.sum(
            "support_first_response_seconds_count",
            &[("team", "unassigned")]
        ),
        1.0
    );
    // s1 (5, billing) and s2 (2, billing); s3 is the relationship NPS.
    assert_eq!(m.sum("support_csat_responses_total", &billing), 2.0);
    assert_eq!(
        m.sum(
            "support_csat_responses_total",
            &[("team", "billing"), ("score", "5")]
        ),
        1.0
    );
    assert_eq!(m.sum("support_nps_responses_total", &[]), 1.0);
    assert_eq!(m.sum("support_ces_responses_total", &[]), 1.0);
    // a-1 (new), Ä-3 (open) and 9 (new) are not done.
    assert_eq!(m.sum("support_backlog_tickets", &[]), 3.0);
    assert_eq!(
        m.sum("support_backlog_tickets", &[("team", "tech")]),
        1.0,
        "a-1"
    );

    // And the same as `report`, which reads the same rows its own way.
    let r = report_of(&db, &config, &ALL_TIME, None);
    check_against_report(&m, &r, "/overall", &[]);
    db.cleanup().await;
}

#[tokio::test]
async fn backfill_merges_by_ticket_id_sqlite() {
    backfill_merges_by_ticket_id(TestDb::sqlite()).await;
}

#[tokio::test]
async fn backfill_merges_by_ticket_id_postgres() {
    if let Some(db) = TestDb::postgres("backfill_pg").await {
        backfill_merges_by_ticket_id(db).await;
    }
}

#[tokio::test]
async fn backfill_merges_by_ticket_id_mariadb() {
    if let Some(db) = TestDb::mysql("backfill_my").await {
        backfill_merges_by_ticket_id(db).await;
    }
}

/// The backlog gauges of a long-running exporter come from the open tickets
/// it keeps in memory between runs; they must equal what a fresh process
/// reads back from the state store after the same collections.
#[tokio::test]
async fn backlog_kept_in_memory_equals_the_state_store() {
    use support_metrics::collect::{self, Live};
    use support_metrics::config::Settings;
    use support_metrics::source::{Access, Source};
    use support_metrics::state::StateStore;

    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let state = format!("sqlite://{}", db.dir.path().join("state.sqlite").display());
    // The schedule is not used: the test runs the collections itself.
    let path = crate::helpers::fixture_config(&db, &state, "0 0 * * * *", "gauges");
    let settings = Settings::load(Some(&path)).expect("settings");
    let source = Source::connect(&settings.source, Access::ReadOnly)
        .await
        .expect("source");
    let store = StateStore::open(&settings.state).await.expect("state");
    let now = chrono::Utc::now();
    let mut live = Live::from_loaded(store.load().await.expect("load"), &settings);
    collect::run(&source, &store, &settings, &mut live, now)
        .await
        .expect("backfill");
    let backlog = |gauges: &[(support_metrics::state::series::SeriesKey, f64)]| -> f64 {
        gauges
            .iter()
            .filter(|(k, _)| k.name == "support_backlog_tickets")
            .map(|(_, v)| v)
            .sum()
    };
    // Tickets 5 (new) and 6 (pending) are open.
    assert_eq!(backlog(&live.gauges), 2.0);

    // Ticket 5 is answered and solved; ticket 7 arrives.
    let later = now + chrono::TimeDelta::minutes(2);
    let at = (now + chrono::TimeDelta::minutes(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    db.execute(&format!(
        "UPDATE support_tickets SET status = 'solved', updated_at = '{at}' WHERE id = '5';
         INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, created_by, status, updated_at)
           VALUES ('7', '{at}', 'chat', 'low', NULL, 'c7', 'customer', 'new', '{at}');
         INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status) VALUES
           (100, '5', '{at}', 'message', 'agent', 'a1', NULL, NULL, NULL),
           (101, '5', '{at}', 'status', 'agent', 'a1', NULL, NULL, 'solved'),
           (102, '7', '{at}', 'message', 'customer', 'c7', NULL, NULL, NULL);"
    ))
    .await;
    collect::run(&source, &store, &settings, &mut live, later)
        .await
        .expect("incremental");
    assert_eq!(backlog(&live.gauges), 2.0, "6 pending, 7 new");
    let unassigned_new = live.gauges.iter().find(|(k, _)| {
        k.name == "support_backlog_tickets"
            && k.labels
                .iter()
                .any(|(n, v)| *n == "team" && v == "unassigned")
            && k.labels.iter().any(|(n, v)| *n == "status" && v == "new")
    });
    assert_eq!(unassigned_new.map(|(_, v)| *v), Some(1.0), "ticket 7");

    // Tickets 5 and 7 changed within the late-arrival margin, so the next
    // run reads their rows again; unchanged and without news, they are not
    // walked again.
    let last = later + chrono::TimeDelta::minutes(1);
    let third = collect::run(&source, &store, &settings, &mut live, last)
        .await
        .expect("quiet run");
    assert_eq!(
        third
            .rows_read
            .get(&support_metrics::model::Relation::Tickets),
        Some(&2)
    );
    assert_eq!(third.tickets_walked, 0);

    // A fresh process reads the backlog back from the store: the same.
    let mut fresh = Live::from_loaded(store.load().await.expect("load"), &settings);
    collect::run(&source, &store, &settings, &mut fresh, last)
        .await
        .expect("fresh run");
    let mut kept = live.gauges.clone();
    let mut read_back = fresh.gauges.clone();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    read_back.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(kept, read_back);
    db.cleanup().await;
}
