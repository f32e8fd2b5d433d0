//! The exporter as it runs for months beside a live helpdesk: its clock
//! moves on (an injected clock, not the machine's), ids commit out of
//! order (two real connections), and every cumulative series must equal
//! a fresh exporter's backfill of the same final data.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use sqlx::{AssertSqlSafe, Executor};
use support_metrics::clock::{Clock, ManualClock};
use support_metrics::config::Settings;
use support_metrics::exporter::{Exporter, Job, JobOutcome};
use support_metrics::exposition::Exposition;

use crate::helpers::{Scrape, TestDb, assert_same_cumulative};

/// A configuration with `db` as the source and its own SQLite state store
/// named `state`.
pub fn config(db: &TestDb, state: &str) -> PathBuf {
    let state_url = format!("sqlite://{}", db.dir.path().join(state).display());
    let text = format!(
        "[source]\nurl = \"{}\"\nlate_arrival = \"10m\"\n\n[state]\nurl = \"{state_url}\"\n",
        db.url
    );
    let path = db.dir.path().join(format!("{state}.toml"));
    std::fs::write(&path, text).expect("config");
    path
}

pub async fn exporter(config: &Path, clock: Arc<ManualClock>) -> Exporter {
    let settings = Settings::load(Some(config)).expect("settings");
    Exporter::open_with_clock(settings, clock)
        .await
        .expect("exporter opens")
}

/// One collection at the exporter's clock.
pub async fn collect(e: &Exporter) -> support_metrics::collect::Outcome {
    match e
        .run_job(Job::Collect, e.now())
        .await
        .expect("collect runs")
    {
        JobOutcome::Collect(o) => o,
        other => panic!("not a collection: {other:?}"),
    }
}

pub fn scrape(e: &Exporter) -> Scrape {
    let text = Exposition::new(e.shared())
        .expect("registry")
        .text()
        .expect("exposition");
    Scrape::parse(&String::from_utf8_lossy(&text))
}

/// A timestamp literal each backend reads as that UTC instant.
pub fn lit(db: &TestDb, t: DateTime<Utc>) -> String {
    if db.url.starts_with("mysql:") {
        t.format("'%Y-%m-%d %H:%M:%S'").to_string()
    } else {
        format!("'{}'", t.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

pub fn ticket(db: &TestDb, id: &str, at: DateTime<Utc>) -> String {
    ticket_updated(db, id, at, at)
}

/// A ticket row last updated at `updated`.
pub fn ticket_updated(db: &TestDb, id: &str, at: DateTime<Utc>, updated: DateTime<Utc>) -> String {
    format!(
        "INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, \
         created_by, status, updated_at) VALUES ('{id}', {}, 'email', 'normal', NULL, 'c', \
         'customer', 'open', {})",
        lit(db, at),
        lit(db, updated)
    )
}

/// An event whose id the database hands out (a sequence or
/// auto-increment), as helpdesks do.
pub fn message(db: &TestDb, ticket: &str, actor: &str, at: DateTime<Utc>) -> String {
    format!(
        "INSERT INTO support_ticket_events (ticket_id, occurred_at, kind, actor, actor_id) \
         VALUES ('{ticket}', {}, 'message', '{actor}', 'x')",
        lit(db, at)
    )
}

#[tokio::test]
async fn a_quiet_weekend_inside_one_serve_loses_no_row() {
    let db = TestDb::sqlite();
    db.migrate_source();
    // The clock of the exporter: now, then three days later.
    let start = Utc::now() - TimeDelta::minutes(5);
    db.execute(&format!(
        "{};\nINSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor) VALUES \
         (1, 'fri', {}, 'message', 'customer')",
        ticket(&db, "fri", start - TimeDelta::hours(1)),
        lit(&db, start - TimeDelta::hours(1))
    ))
    .await;
    let clock = Arc::new(ManualClock::new(start));
    let e = exporter(&config(&db, "state.sqlite"), Arc::clone(&clock)).await;
    collect(&e).await;
    assert_eq!(scrape(&e).sum("support_tickets_created_total", &[]), 1.0);

    // Monday, 72 h later: a ticket created half an hour ago, answered.
    clock.advance(TimeDelta::days(3));
    let monday = clock.now() - TimeDelta::minutes(30);
    db.execute(&format!(
        "{};\nINSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor) VALUES \
         (2, 'mon', {}, 'message', 'customer'), (3, 'mon', {}, 'message', 'agent')",
        ticket_updated(&db, "mon", monday, monday + TimeDelta::minutes(10)),
        lit(&db, monday),
        lit(&db, monday + TimeDelta::minutes(10)),
    ))
    .await;
    let o = collect(&e).await;
    let m = scrape(&e);
    assert_eq!(
        o.rows_rejected, 0,
        "nothing is in the future of the job's clock"
    );
    assert_eq!(m.sum("support_tickets_created_total", &[]), 2.0);
    assert_eq!(m.sum("support_first_response_seconds_count", &[]), 1.0);
    assert_eq!(m.sum("support_first_response_seconds_sum", &[]), 600.0);
    assert_eq!(m.sum("support_rows_rejected_total", &[]), 0.0);
}

/// Writer A takes an event id and holds its transaction across several
/// collections while writer B commits a later id; a third transaction
/// rolls back. Every series ends equal to a fresh backfill's.
async fn ids_committed_out_of_order_are_counted_once(db: TestDb) {
    let mysql = db.url.starts_with("mysql:");
    db.migrate_source();
    let auto_ids = if mysql {
        "ALTER TABLE support_ticket_events MODIFY id BIGINT NOT NULL AUTO_INCREMENT"
    } else {
        "CREATE SEQUENCE event_ids; \
         ALTER TABLE support_ticket_events ALTER COLUMN id SET DEFAULT nextval('event_ids')"
    };
    db.execute(auto_ids).await;
    let t0 = Utc::now() - TimeDelta::hours(2);
    db.execute(&format!(
        "{}; {}; {}; {}",
        ticket(&db, "A", t0),
        ticket(&db, "B", t0),
        message(&db, "A", "customer", t0),
        message(&db, "B", "customer", t0),
    ))
    .await;

    // Writer A: its event takes id 3, not committed yet.
    let pool_a = writer_pool(&db).await;
    let a = pool_a
        .hold(message(&db, "A", "agent", t0 + TimeDelta::minutes(5)))
        .await;
    // Writer B commits id 4 meanwhile.
    let pool_b = writer_pool(&db).await;
    pool_b
        .commit(message(&db, "B", "agent", t0 + TimeDelta::minutes(7)))
        .await;

    let clock = Arc::new(ManualClock::new(Utc::now()));
    let e = exporter(&config(&db, "state.sqlite"), Arc::clone(&clock)).await;
    let o = collect(&e).await;
    assert_eq!(o.last_event_id, Some(4));
    assert_eq!(o.awaited_event_ids, 1, "id 3 is awaited");
    let frt = |e: &Exporter| scrape(e).sum("support_first_response_seconds_count", &[]);
    assert_eq!(frt(&e), 1.0, "B only: A's reply is not committed");

    // A's transaction stays open over two more collections.
    for _ in 0..2 {
        clock.advance(TimeDelta::minutes(1));
        let o = collect(&e).await;
        assert_eq!(o.awaited_event_ids, 1);
        assert_eq!(frt(&e), 1.0);
    }
    // A commits: its reply is counted, once.
    a.commit().await;
    clock.advance(TimeDelta::minutes(1));
    let o = collect(&e).await;
    assert_eq!(o.new_events, 1);
    assert_eq!(o.awaited_event_ids, 0);
    assert_eq!(frt(&e), 2.0);
    assert_eq!(
        scrape(&e).sum("support_first_response_seconds_sum", &[]),
        300.0 + 420.0
    );

    // Above the watermark too: C's event (id 5) waits while D's (id 6)
    // commits, and a rolled-back insert (id 7) leaves a hole for good.
    db.execute(&ticket(&db, "C", t0)).await;
    let c = pool_a.hold(message(&db, "C", "customer", t0)).await;
    pool_b
        .commit(message(&db, "A", "customer", t0 + TimeDelta::minutes(20)))
        .await;
    let r = pool_b.hold(message(&db, "B", "customer", t0)).await;
    r.rollback().await;
    pool_b
        .commit(message(&db, "A", "agent", t0 + TimeDelta::minutes(30)))
        .await;
    clock.advance(TimeDelta::minutes(1));
    let o = collect(&e).await;
    assert_eq!(o.last_event_id, Some(8));
    assert_eq!(o.awaited_event_ids, 2, "5 (open) and 7 (rolled back)");
    c.commit().await;
    clock.advance(TimeDelta::minutes(1));
    let o = collect(&e).await;
    assert_eq!(o.awaited_event_ids, 1, "7 only");
    // Past source.late_arrival, 7 is taken for a rolled-back insert.
    clock.advance(TimeDelta::minutes(11));
    let o = collect(&e).await;
    assert_eq!(o.awaited_event_ids, 0);
    let resumed = scrape(&e);
    assert_eq!(resumed.sum("support_tickets_created_total", &[]), 3.0);

    // A fresh exporter's backfill of the final data: the same series.
    let fresh = exporter(&config(&db, "fresh.sqlite"), Arc::clone(&clock)).await;
    collect(&fresh).await;
    assert_same_cumulative(&resumed, &scrape(&fresh));
    pool_a.close().await;
    pool_b.close().await;
    db.cleanup().await;
}

/// A helpdesk writer: its own connection to the test database.
enum Writer {
    Pg(sqlx::PgPool),
    My(sqlx::MySqlPool),
}

/// A writer's transaction, open until committed or rolled back.
enum Held {
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
    My(sqlx::Transaction<'static, sqlx::MySql>),
}

async fn writer_pool(db: &TestDb) -> Writer {
    if db.url.starts_with("mysql:") {
        Writer::My(
            sqlx::MySqlPool::connect(&db.url)
                .await
                .expect("writer connects"),
        )
    } else {
        Writer::Pg(
            sqlx::PgPool::connect(&db.url)
                .await
                .expect("writer connects"),
        )
    }
}

impl Writer {
    /// Runs `sql` in a transaction left open.
    async fn hold(&self, sql: String) -> Held {
        match self {
            Writer::Pg(p) => {
                let mut tx = p.begin().await.expect("begin");
                tx.execute(AssertSqlSafe(sql)).await.expect("insert");
                Held::Pg(tx)
            }
            Writer::My(p) => {
                let mut tx = p.begin().await.expect("begin");
                tx.execute(AssertSqlSafe(sql)).await.expect("insert");
                Held::My(tx)
            }
        }
    }

    /// Runs `sql` and commits.
    async fn commit(&self, sql: String) {
        self.hold(sql).await.commit().await;
    }

    async fn close(self) {
        match self {
            Writer::Pg(p) => p.close().await,
            Writer::My(p) => p.close().await,
        }
    }
}

impl Held {
    async fn commit(self) {
        match self {
            Held::Pg(tx) => tx.commit().await.expect("commit"),
            Held::My(tx) => tx.commit().await.expect("commit"),
        }
    }

    async fn rollback(self) {
        match self {
            Held::Pg(tx) => tx.rollback().await.expect("rollback"),
            Held::My(tx) => tx.rollback().await.expect("rollback"),
        }
    }
}

#[tokio::test]
async fn ids_committed_out_of_order_postgres() {
    if let Some(db) = TestDb::postgres("order").await {
        ids_committed_out_of_order_are_counted_once(db).await;
    }
}

#[tokio::test]
async fn ids_committed_out_of_order_mariadb() {
    if let Some(db) = TestDb::mysql("order").await {
        ids_committed_out_of_order_are_counted_once(db).await;
    }
}

/// Every timestamp form of DESIGN.md §2 that `db`'s column type can hold,
/// as `(form, measured)`: each ticket is created at 2026-03-24 08:00 UTC
/// in that form. `measured: false` forms must be rejected and counted.
fn timestamp_forms(db: &TestDb) -> Vec<(&'static str, bool)> {
    let mut forms = vec![
        ("'2026-03-24T08:00:00Z'", true),
        ("'2026-03-24 08:00:00'", true),
        ("'2026-03-24 08:00'", true),
    ];
    if !db.url.starts_with("mysql:") {
        forms.push(("'2026-03-24T10:00:00+02:00'", true));
    }
    if db.url.starts_with("sqlite:") {
        // Text columns: every spelling reaches the decoder.
        forms.extend([
            ("'2026-03-24 08:00:00+00'", true),
            ("'2026-03-24T09:00:00+0100'", true),
            ("'2026-03-24t08:00:00z'", true),
            ("'2026-03-24T08:00:00.000000Z'", true),
            ("'1774339200'", true),
            ("1774339200", true),
            ("1774339200.0", true),
            ("'24/03/2026 08:00'", false),
            ("'soon'", false),
            // Unix seconds past any calendar: timestamp_out_of_range.
            ("9300000000000000000", false),
        ]);
    } else if db.url.starts_with("postgres:") {
        forms.extend([
            ("'2026-03-24 08:00:00+00'", true),
            ("'2026-03-24T09:00:00+0100'", true),
            ("'2026-03-24 08:00:00.000000+00'", true),
            // PostgreSQL holds these; no instant is them: timestamp_out_of_range.
            ("'infinity'", false),
            ("'-infinity'", false),
            ("'294276-01-01 00:00:00+00'", false),
        ]);
    } else {
        forms.extend([("'2026-03-24 08:00:00.000000'", true)]);
    }
    forms
}

/// `report` and the exporter both measure every readable form and reject
/// and count every other one: no ticket is absent from both.
async fn every_timestamp_form_is_measured_or_counted(db: TestDb) {
    db.migrate_source();
    let pg = db.url.starts_with("postgres:");
    let sqlite = db.url.starts_with("sqlite:");
    if !sqlite {
        // A NULL the canonical table would refuse: the column allows it, as
        // many helpdesks' do.
        let alter = if pg {
            "ALTER TABLE support_tickets ALTER COLUMN created_at DROP NOT NULL"
        } else {
            "ALTER TABLE support_tickets MODIFY created_at DATETIME(6) NULL"
        };
        db.execute(alter).await;
    }
    let mut forms = timestamp_forms(&db);
    if !sqlite {
        forms.push(("NULL", false));
    }
    let mut sql = String::new();
    for (i, (form, _)) in forms.iter().enumerate() {
        let reply = lit(&db, "2026-03-24T08:10:00Z".parse().expect("instant"));
        sql.push_str(&format!(
            "INSERT INTO support_tickets (id, created_at, channel, priority, category, \
             requester_id, created_by, status, updated_at) VALUES ('t{i}', {form}, 'email', \
             'normal', NULL, 'c', 'customer', 'open', {reply});\n\
             INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, actor_id) \
             VALUES ({id}, 't{i}', {reply}, 'message', 'agent', 'a');\n",
            id = i + 1
        ));
    }
    db.execute(&sql).await;
    let good = forms.iter().filter(|(_, ok)| *ok).count() as f64;
    let bad = forms.len() as f64 - good;

    let config = config(&db, "state.sqlite");
    let period = [
        "--from",
        "2026-03-23T00:00:00Z",
        "--to",
        "2026-03-30T00:00:00Z",
    ];
    let r = crate::exporter::report_of(&db, &config, &period, None);
    let rejected = |relation: &str| -> f64 {
        r["rejected"]
            .as_array()
            .expect("rejected list")
            .iter()
            .filter(|x| x["relation"] == relation)
            .map(|x| x["count"].as_f64().unwrap_or(0.0))
            .sum()
    };
    assert_eq!(r["overall"]["tickets_created"].as_f64(), Some(good), "{r}");
    assert_eq!(
        r["overall"]["first_response_seconds"]["count"].as_f64(),
        Some(good)
    );
    assert_eq!(
        r["overall"]["first_response_seconds"]["mean"].as_f64(),
        Some(600.0)
    );
    assert_eq!(rejected("tickets"), bad, "{}", r["rejected"]);
    // The rejected tickets' replies belong to no ticket: counted too.
    assert_eq!(rejected("events"), bad, "{}", r["rejected"]);

    let clock = Arc::new(ManualClock::new("2026-03-25T00:00:00Z".parse().expect("t")));
    let e = exporter(&config, clock).await;
    collect(&e).await;
    let m = scrape(&e);
    assert_eq!(m.sum("support_tickets_created_total", &[]), good);
    assert_eq!(m.sum("support_first_response_seconds_count", &[]), good);
    assert_eq!(
        m.sum(
            "support_rows_rejected_total",
            &[("relation", "support_tickets")]
        ),
        bad
    );
    assert_eq!(
        m.sum(
            "support_rows_rejected_total",
            &[("relation", "support_ticket_events")]
        ),
        bad
    );
    let out_of_range = if pg {
        3.0
    } else if sqlite {
        1.0
    } else {
        0.0
    };
    assert_eq!(
        m.sum(
            "support_rows_rejected_total",
            &[("reason", "timestamp_out_of_range")]
        ),
        out_of_range
    );
    db.cleanup().await;
}

#[tokio::test]
async fn every_timestamp_form_sqlite() {
    every_timestamp_form_is_measured_or_counted(TestDb::sqlite()).await;
}

#[tokio::test]
async fn every_timestamp_form_postgres() {
    if let Some(db) = TestDb::postgres("forms").await {
        every_timestamp_form_is_measured_or_counted(db).await;
    }
}

#[tokio::test]
async fn every_timestamp_form_mariadb() {
    if let Some(db) = TestDb::mysql("forms").await {
        every_timestamp_form_is_measured_or_counted(db).await;
    }
}

/// A mail server that accepts connections and never answers: the digest
/// waits on it (up to its SMTP timeout, then retries) while collection goes
/// on.
#[tokio::test]
async fn a_hung_mail_server_does_not_stall_collection() {
    let db = TestDb::sqlite();
    db.migrate_source();
    let now = Utc::now();
    db.execute(&ticket(&db, "a", now - TimeDelta::hours(1)))
        .await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (accepted_tx, accepted_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
            let _ = accepted_tx.send(());
        }
    });
    let path = config(&db, "state.sqlite");
    let mut text = std::fs::read_to_string(&path).expect("config");
    text.push_str(&format!(
        "\n[digest]\nfrom = \"digest@support.example\"\nrecipients = [\"lead@support.example\"]\n\
         [digest.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
         timeout = \"10m\"\nattempts = 1\n"
    ));
    std::fs::write(&path, text).expect("config");
    let e = Arc::new(exporter(&path, Arc::new(ManualClock::new(now))).await);

    let digest = tokio::spawn({
        let e = Arc::clone(&e);
        async move { e.run_job(Job::Digest, e.now()).await }
    });
    // The digest is connected to the hung server: it is mid-send.
    tokio::task::spawn_blocking(move || {
        accepted_rx.recv_timeout(std::time::Duration::from_secs(60))
    })
    .await
    .expect("join")
    .expect("the digest connects to the mail server");
    // A guard, not a measure: without the fix this waits the 10 minutes.
    let o = tokio::time::timeout(std::time::Duration::from_secs(60), collect(&e))
        .await
        .expect("collection runs while the digest waits on SMTP");
    assert_eq!(o.rows_rejected, 0);
    assert_eq!(scrape(&e).sum("support_tickets_created_total", &[]), 1.0);
    assert!(!digest.is_finished(), "the digest is still waiting on SMTP");
    digest.abort();
}

/// `serve` itself, its scheduler timed by an injected clock: the loop
/// sleeps on that clock, so moving it three days wakes the collection at
/// Monday's time, which counts Monday's rows.
#[tokio::test]
async fn the_scheduler_loop_runs_on_the_injected_clock() {
    let db = TestDb::sqlite();
    db.migrate_source();
    // Friday 10:00:05 (UTC): the collection runs every minute at :00.
    let start = DateTime::parse_from_rfc3339("2026-12-04T10:00:05Z")
        .expect("time")
        .with_timezone(&Utc);
    db.execute(&ticket(&db, "fri", start - TimeDelta::hours(1)))
        .await;
    let path = config(&db, "state.sqlite");
    let mut settings = Settings::load(Some(&path)).expect("settings");
    settings.schedule.kpi = support_metrics::config::parse_cron("0 0 0 1 1 *").expect("cron");
    let clock = Arc::new(ManualClock::new(start));
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(support_metrics::service::serve_with_clock(
        settings,
        Arc::clone(&clock) as Arc<dyn Clock>,
        "127.0.0.1:0".parse().expect("addr"),
        async move {
            let _ = stop_rx.await;
        },
        move |addr| {
            let _ = addr_tx.send(addr);
        },
    ));
    let addr = addr_rx.await.expect("serve binds").to_string();
    let runs = |m: &Scrape| m.sum("support_job_runs_total", &[("job_name", "collect")]);
    let m = scrape_until(&addr, |m| runs(m) >= 1.0).await;
    assert_eq!(m.sum("support_tickets_created_total", &[]), 1.0);

    // Monday's rows are in the future of Friday's clock until it moves.
    let monday = start + TimeDelta::days(3);
    db.execute(&format!(
        "{};\n{}",
        ticket(&db, "mon", monday - TimeDelta::minutes(30)),
        message(&db, "mon", "customer", monday - TimeDelta::minutes(30))
    ))
    .await;
    clock.advance(TimeDelta::days(3));
    let m = scrape_until(&addr, |m| runs(m) >= 2.0).await;
    assert_eq!(
        runs(&m),
        2.0,
        "one wake-up for the three days, not one per minute missed"
    );
    assert_eq!(m.sum("support_tickets_created_total", &[]), 2.0);
    assert_eq!(m.sum("support_rows_rejected_total", &[]), 0.0);
    assert_eq!(
        m.sum(
            "support_job_last_success_timestamp_seconds",
            &[("job_name", "collect")]
        ),
        monday.timestamp() as f64,
        "the run is stamped with the clock's time"
    );
    // Nothing more runs until the clock reaches the next minute.
    clock.advance(TimeDelta::seconds(55));
    let m = scrape_until(&addr, |m| runs(m) >= 3.0).await;
    assert_eq!(runs(&m), 3.0);
    let _ = stop_tx.send(());
    served.await.expect("join").expect("serve stops cleanly");
}

/// Scrapes `/metrics` at `addr` until `done` holds (a condition, not a
/// sleep: at most a minute, then the test fails).
async fn scrape_until(addr: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let addr = addr.to_string();
        let (status, body) =
            tokio::task::spawn_blocking(move || crate::helpers::http_get(&addr, "/metrics"))
                .await
                .expect("join");
        if status == 200 {
            let m = Scrape::parse(&body);
            if done(&m) {
                return m;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "condition not reached in 60 s; last /metrics ({status}):\n{body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
