//! Safe reading of a production database: source connections cannot
//! write, and a query that runs longer than `source.statement_timeout` is
//! stopped by the server with an error naming the relation.

use support_metrics::config::SourceSettings;
use support_metrics::source::{Access, Pool, Source};

use crate::helpers::{TestDb, run};

/// A `report` whose events query outlasts a 1 s statement timeout.
fn slow_report(db: &TestDb, slow_events: &str) -> crate::helpers::Run {
    let config = db.dir.path().join("slow.toml");
    std::fs::write(
        &config,
        format!(
            "[source]\nurl = \"{}\"\nstatement_timeout = \"1s\"\n[source.queries]\nevents = \"{slow_events}\"\n",
            db.url
        ),
    )
    .expect("config written");
    let started = std::time::Instant::now();
    let r = run(
        db.dir.path(),
        &[
            "--config",
            config.to_str().expect("utf-8"),
            "report",
            "--from",
            "2026-01-05",
            "--to",
            "2026-01-12",
        ],
        &[],
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "the query was not stopped"
    );
    r
}

async fn write_refused(db: &TestDb) -> String {
    let settings = SourceSettings::with_url(&db.url);
    let source = Source::connect(&settings, Access::ReadOnly)
        .await
        .expect("connect");
    let sql = "INSERT INTO support_tickets (id, created_at, channel, priority, created_by, status, updated_at) \
               VALUES ('x', '2026-01-01 00:00:00', 'email', 'normal', 'customer', 'new', '2026-01-01 00:00:00')";
    let res = match source.pool() {
        Pool::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        Pool::MySql(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        Pool::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    };
    match res {
        Ok(()) => panic!("a read-only source connection wrote a row"),
        Err(e) => e.to_string(),
    }
}

/// On a database server: a write is refused with `refused` in the error,
/// and the events query `slow_events` is stopped, the error naming the
/// relation and the server's `timeout` setting.
async fn read_only_and_stopped(
    db: Option<TestDb>,
    refused: &str,
    slow_events: &str,
    timeout: &str,
) {
    let Some(db) = db else {
        return;
    };
    db.load_fixture("small_helpdesk.sql").await;
    let err = write_refused(&db).await;
    assert!(err.contains(refused), "{err}");

    let r = slow_report(&db, slow_events);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("source.queries.events") && r.stderr.contains(timeout),
        "{}",
        r.stderr
    );
    db.cleanup().await;
}

#[tokio::test]
async fn postgres_source_is_read_only_and_slow_queries_are_stopped() {
    read_only_and_stopped(
        TestDb::postgres("safety").await,
        "read-only transaction",
        "SELECT e.* FROM support_ticket_events e CROSS JOIN (SELECT pg_sleep(5)) AS s",
        "statement timeout",
    )
    .await;
}

#[tokio::test]
async fn mariadb_source_is_read_only_and_slow_queries_are_stopped() {
    read_only_and_stopped(
        TestDb::mysql("safety").await,
        "READ ONLY",
        "SELECT e.* FROM support_ticket_events e WHERE SLEEP(5) = 0",
        "max_statement_time",
    )
    .await;
}

#[tokio::test]
async fn sqlite_source_is_read_only() {
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let err = write_refused(&db).await;
    assert!(err.contains("readonly"), "{err}");
}
