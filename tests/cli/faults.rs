//! Faults while `serve` runs against PostgreSQL: the source unreadable at
//! start, then its connections killed by the server. The exporter stays up,
//! keeps the last good values, says `support_source_up 0`, counts the
//! failed runs, retries soon (not at the next hourly time) and catches up
//! completely: the final series equal those of an exporter that never saw a
//! fault.

use crate::exporter::recent_batch;
use crate::helpers::{Scrape, Served, TestDb, assert_same_cumulative, fixture_config, http_get};

/// Source `db`, an SQLite state store `DIR/STATE.sqlite`, collection on `collect`.
fn config(db: &TestDb, state: &str, collect: &str) -> std::path::PathBuf {
    let url = format!(
        "sqlite://{}",
        db.dir.path().join(format!("{state}.sqlite")).display()
    );
    fixture_config(db, &url, collect, state)
}

fn runs(m: &Scrape, result: &str) -> f64 {
    m.sum(
        "support_job_runs_total",
        &[("job_name", "collect"), ("result", result)],
    )
}

fn created(m: &Scrape) -> f64 {
    m.sum("support_tickets_created_total", &[])
}

const HOURLY: &str = "0 0 * * * *";
const EVERY_2S: &str = "*/2 * * * * *";

#[tokio::test]
async fn postgres_faults_are_survived_and_caught_up() {
    let Some(mut db) = TestDb::postgres("faults").await else {
        return;
    };
    // Other tests share the database: only this exporter's connections are
    // killed below.
    let name = format!("sm_faults_{}", std::process::id());
    let plain_url = db.url.clone();
    db.url = format!("{}&application_name={name}", db.url);
    db.load_fixture("small_helpdesk.sql").await;
    let away = "ALTER TABLE support_ticket_events RENAME TO events_away";
    let back = "ALTER TABLE events_away RENAME TO support_ticket_events";

    // 1. The events relation is gone when the exporter starts: it stays up,
    // says so, and — collecting hourly — retries within seconds.
    db.execute(away).await;
    let served = Served::start(db.dir.path(), &config(&db, "faulty", HOURLY), &[]);
    let m = served.scrape_until("a failed collection", |m| runs(m, "error") >= 1.0);
    assert_eq!(m.sum("support_source_up", &[]), 0.0);
    assert_eq!(http_get(&served.addr, "/readyz").0, 503);
    assert_eq!(http_get(&served.addr, "/healthz").0, 200);
    assert_eq!(created(&m), 0.0);
    db.execute(back).await;
    let started = std::time::Instant::now();
    let m = served.scrape_until("recovery", |m| runs(m, "ok") >= 1.0);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(m.sum("support_source_up", &[]), 1.0);
    assert_eq!(created(&m), 5.0, "the fixture's five tickets");
    served.stop();

    // 2. Collecting every 2 s on the same state: the server kills every
    // connection of the exporter's, new rows arrive — counted once the pool
    // reconnects.
    let served = Served::start(db.dir.path(), &config(&db, "faulty", EVERY_2S), &[]);
    served.wait_ready();
    let killed: i64 = {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&plain_url)
            .await
            .expect("connect");
        sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1) AS k",
        )
        .bind(&name)
        .fetch_one(&mut c)
        .await
        .expect("terminate")
    };
    assert!(killed >= 1, "the exporter holds pooled connections");
    db.execute(&recent_batch(100)).await;
    served.scrape_until("ticket 7 counted", |m| created(m) == 6.0);

    // 3. The relation goes away again while rows keep arriving: failed runs
    // are counted, /metrics keeps the last good values, and the catch-up
    // counts what arrived meanwhile exactly once.
    db.execute(away).await;
    let before = runs(&served.scrape(), "error");
    let m = served.scrape_until("failing again", |m| runs(m, "error") > before);
    assert_eq!(m.sum("support_source_up", &[]), 0.0);
    assert_eq!(created(&m), 6.0, "the last good values stay");
    db.execute(
        "INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, created_by, status, updated_at) \
         VALUES ('8', now(), 'email', 'low', NULL, 'c8', 'customer', 'new', now())",
    )
    .await;
    db.execute(
        "INSERT INTO events_away (id, ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status) VALUES \
         (200, '8', now(), 'message', 'customer', 'c8', NULL, NULL, NULL), \
         (201, '8', now(), 'assign', 'system', NULL, 'billing', NULL, NULL)",
    )
    .await;
    db.execute(back).await;
    let resumed = served.scrape_until("caught up", |m| {
        created(m) == 7.0 && m.sum("support_source_up", &[]) == 1.0
    });
    served.stop();

    // Against an exporter that never saw a fault: the same series.
    let served = Served::start(db.dir.path(), &config(&db, "clean", HOURLY), &[]);
    served.wait_ready();
    let clean = served.scrape();
    served.stop();
    assert_same_cumulative(&resumed, &clean);
    let sqlite = |name: &str| format!("sqlite://{}", db.dir.path().join(name).display());
    crate::facts::assert_facts_agree(
        &sqlite("faulty.sqlite"),
        &resumed,
        Some(&sqlite("clean.sqlite")),
    )
    .await;
    db.cleanup().await;
}

/// The state store (PostgreSQL) fails while the source is fine: the runs
/// fail and are counted, the source stays `up`, `/metrics` keeps the last
/// good values, and once the store is back nothing is missing or doubled.
#[tokio::test]
async fn a_failing_state_store_loses_nothing() {
    let Some(state) = TestDb::postgres("faults_state").await else {
        return;
    };
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let served = Served::start(
        db.dir.path(),
        &fixture_config(&db, &state.url, EVERY_2S, "state-faults"),
        &[],
    );
    served.wait_ready();
    let m = served.scrape_until("the fixture counted", |m| created(m) == 5.0);
    let failed = runs(&m, "error");

    // A commit cannot write its counters any more.
    state
        .execute("ALTER TABLE counter_series RENAME TO counter_series_away")
        .await;
    db.execute(&recent_batch(100)).await;
    let m = served.scrape_until("a failed run", |m| runs(m, "error") > failed);
    assert_eq!(created(&m), 5.0, "the last committed values stay");
    assert_eq!(m.sum("support_source_up", &[]), 1.0, "the source is fine");

    state
        .execute("ALTER TABLE counter_series_away RENAME TO counter_series")
        .await;
    let resumed = served.scrape_until("caught up", |m| created(m) == 6.0);
    served.stop();

    let alone = format!("sqlite://{}", db.dir.path().join("alone.sqlite").display());
    let served = Served::start(
        db.dir.path(),
        &fixture_config(&db, &alone, HOURLY, "alone"),
        &[],
    );
    served.wait_ready();
    let clean = served.scrape();
    served.stop();
    assert_same_cumulative(&resumed, &clean);
    // The facts were written with the counters: they agree, and equal the
    // clean run's.
    crate::facts::assert_facts_agree(&state.url, &resumed, Some(&alone)).await;
    state.cleanup().await;
}

/// A source so slow that queries outlast `source.statement_timeout` (here
/// a transaction holds an exclusive lock on the events table): the runs
/// are stopped by the server and counted, and the exporter catches up once
/// the lock is gone.
#[tokio::test]
async fn a_slow_source_times_out_and_catches_up() {
    use sqlx::{Connection, Executor};
    let Some(db) = TestDb::postgres("faults_slow").await else {
        return;
    };
    db.load_fixture("small_helpdesk.sql").await;
    let state = format!("sqlite://{}", db.dir.path().join("slow.sqlite").display());
    let served = Served::start(
        db.dir.path(),
        &fixture_config(&db, &state, EVERY_2S, "slow"),
        &[("SUPPORT_METRICS__SOURCE__STATEMENT_TIMEOUT", "1s")],
    );
    served.wait_ready();
    let m = served.scrape_until("the fixture counted", |m| created(m) == 5.0);
    let failed = runs(&m, "error");

    let mut locker = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    locker.execute("BEGIN").await.expect("begin");
    locker
        .execute("LOCK TABLE support_ticket_events IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let m = served.scrape_until("a timed-out run", |m| runs(m, "error") > failed);
    assert_eq!(m.sum("support_source_up", &[]), 0.0);
    assert_eq!(created(&m), 5.0, "the last good values stay");
    locker.execute("COMMIT").await.expect("commit");
    db.execute(&recent_batch(100)).await;
    let m = served.scrape_until("caught up", |m| {
        created(m) == 6.0 && m.sum("support_source_up", &[]) == 1.0
    });
    served.stop();
    assert!(runs(&m, "error") > failed);
    db.cleanup().await;
}

/// The server's connection slots for the exporter's role are used up (a
/// role limited to three connections — what a backfill reads with at once —
/// all held by someone else): the run fails like any unreachable source,
/// and the exporter catches up once the slots are free.
#[tokio::test]
async fn exhausted_connections_are_waited_out() {
    use sqlx::{Connection, Executor};
    let Some(db) = TestDb::postgres("faults_slots").await else {
        return;
    };
    db.load_fixture("small_helpdesk.sql").await;
    let role = format!("sm_slots_{}", std::process::id());
    db.execute(&format!(
        "CREATE ROLE {role} LOGIN CONNECTION LIMIT 3; \
         GRANT USAGE ON SCHEMA {schema} TO {role}; \
         GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role};",
        schema = db.schema().expect("a PostgreSQL schema")
    ))
    .await;
    let as_role = db.url.replacen("://postgres@", &format!("://{role}@"), 1);
    assert_ne!(as_role, db.url, "the test URL names its user");

    // Someone else holds the role's slots when the exporter starts.
    let mut holders = Vec::new();
    for _ in 0..3 {
        let mut c = sqlx::PgConnection::connect(&as_role)
            .await
            .expect("connect");
        c.execute("SELECT 1").await.expect("holds a slot");
        holders.push(c);
    }
    let state = format!("sqlite://{}", db.dir.path().join("slots.sqlite").display());
    let config = fixture_config(&db, &state, HOURLY, "slots");
    let served = Served::start(
        db.dir.path(),
        &config,
        &[("SUPPORT_METRICS__SOURCE__URL", &as_role)],
    );
    let m = served.scrape_until("a failed collection", |m| runs(m, "error") >= 1.0);
    assert_eq!(m.sum("support_source_up", &[]), 0.0);
    assert_eq!(created(&m), 0.0);

    for c in holders {
        c.close().await.expect("slot freed");
    }
    let m = served.scrape_until("recovery", |m| runs(m, "ok") >= 1.0);
    assert_eq!(m.sum("support_source_up", &[]), 1.0);
    assert_eq!(created(&m), 5.0);
    served.stop();
    db.execute(&format!("DROP OWNED BY {role}")).await;
    db.cleanup().await;
    let admin = crate::helpers::TestDb::postgres("faults_slots_drop").await;
    if let Some(admin) = admin {
        admin.execute(&format!("DROP ROLE IF EXISTS {role}")).await;
        admin.cleanup().await;
    }
}

/// The source stops answering between two collections (its role may no
/// longer log in, its sessions are cut): within seconds `support_source_up`
/// is 0 and `/readyz` says why, with no collection having run; once the
/// role may log in again both recover.
#[tokio::test]
async fn a_source_outage_between_collections_is_reported_at_once() {
    let Some(db) = TestDb::postgres("faults_outage").await else {
        return;
    };
    db.load_fixture("small_helpdesk.sql").await;
    let role = format!("sm_outage_{}", std::process::id());
    db.execute(&format!(
        "CREATE ROLE {role} LOGIN; \
         GRANT USAGE ON SCHEMA {schema} TO {role}; \
         GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role};",
        schema = db.schema().expect("a PostgreSQL schema")
    ))
    .await;
    let as_role = db.url.replacen("://postgres@", &format!("://{role}@"), 1);
    let state = format!("sqlite://{}", db.dir.path().join("outage.sqlite").display());
    let served = Served::start(
        db.dir.path(),
        &fixture_config(&db, &state, HOURLY, "outage"),
        &[("SUPPORT_METRICS__SOURCE__URL", &as_role)],
    );
    served.wait_ready();
    let m = served.scrape();
    assert_eq!(m.sum("support_source_up", &[]), 1.0);
    let collections = runs(&m, "ok") + runs(&m, "error");

    db.execute(&format!(
        "ALTER ROLE {role} NOLOGIN; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
    ))
    .await;
    let m = served.scrape_until("the outage seen", |m| {
        m.sum("support_source_up", &[]) == 0.0
    });
    assert_eq!(
        runs(&m, "ok") + runs(&m, "error"),
        collections,
        "no job ran"
    );
    assert_eq!(created(&m), 5.0, "the last values stay");
    let (status, body) = http_get(&served.addr, "/readyz");
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("the source database does not answer"),
        "{body}"
    );

    db.execute(&format!("ALTER ROLE {role} LOGIN")).await;
    served.scrape_until("the source back", |m| {
        m.sum("support_source_up", &[]) == 1.0
    });
    assert_eq!(http_get(&served.addr, "/readyz").0, 200);
    served.stop();
    db.execute(&format!("DROP OWNED BY {role}")).await;
    db.cleanup().await;
    if let Some(admin) = TestDb::postgres("faults_outage_drop").await {
        admin.execute(&format!("DROP ROLE IF EXISTS {role}")).await;
        admin.cleanup().await;
    }
}
