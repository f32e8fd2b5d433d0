//! Safe reading of a production database: source connections cannot
//! write, and a query that runs longer than `source.statement_timeout` is
//! stopped by the server with an error naming the relation.

use support_metrics::config::SourceSettings;
use support_metrics::source::{Access, Pool, Source};

use crate::helpers::{TestDb, report_with, run, skip_outside_ci};

/// A configuration reading `db` with a 1 s statement timeout, relation
/// `relation` by the query `slow`, and its state in the test's directory.
fn slow_config(db: &TestDb, relation: &str, slow: &str) -> std::path::PathBuf {
    let config = db.dir.path().join("slow.toml");
    let state = db.dir.path().join("state.sqlite");
    std::fs::write(
        &config,
        format!(
            "[source]\nurl = \"{}\"\nstatement_timeout = \"1s\"\n[source.queries]\n{relation} = \"{slow}\"\n[state]\nurl = \"sqlite://{}\"\n",
            db.url,
            state.display()
        ),
    )
    .expect("config written");
    config
}

/// A `report` whose events query outlasts a 1 s statement timeout.
fn slow_report(db: &TestDb, slow_events: &str) -> crate::helpers::Run {
    let config = slow_config(db, "events", slow_events);
    let started = std::time::Instant::now();
    let r = report_with(
        db.dir.path(),
        &config,
        &["--from", "2026-01-05", "--to", "2026-01-12"],
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

/// A backfill reads each relation in one pass, as long as the database
/// takes to send it — which grows with the helpdesk — so it is not bounded
/// by `source.statement_timeout`: at a million tickets the backfill's
/// events statement runs 40 s, and a larger helpdesk could never be
/// backfilled under the default minute. Every other read keeps the bound:
/// a report over the same slow tickets query is stopped.
async fn backfill_outlasts_the_timeout(db: Option<TestDb>, slow_tickets: &str, timeout: &str) {
    let Some(db) = db else {
        return;
    };
    db.load_fixture("small_helpdesk.sql").await;
    let config = slow_config(&db, "tickets", slow_tickets);
    let config = config.to_str().expect("utf-8 path");
    let backfill = run(
        db.dir.path(),
        &["--config", config, "run-once", "--job", "collect"],
        &[],
    );
    assert!(backfill.ok, "{}", backfill.stderr);
    assert!(
        backfill.stdout.contains("tickets walked") && backfill.stdout.contains("(backfill)"),
        "{}",
        backfill.stdout
    );
    let r = report_with(
        db.dir.path(),
        std::path::Path::new(config),
        &["--from", "2026-01-05", "--to", "2026-01-12"],
    );
    assert!(!r.ok, "{}", r.stdout);
    assert!(
        r.stderr.contains("source.queries.tickets") && r.stderr.contains(timeout),
        "{}",
        r.stderr
    );
    db.cleanup().await;
}

#[tokio::test]
async fn postgres_backfill_outlasts_the_statement_timeout() {
    backfill_outlasts_the_timeout(
        TestDb::postgres("safety_backfill").await,
        "SELECT t.* FROM support_tickets t CROSS JOIN (SELECT pg_sleep(2)) AS s",
        "statement timeout",
    )
    .await;
}

#[tokio::test]
async fn mariadb_backfill_outlasts_the_statement_timeout() {
    backfill_outlasts_the_timeout(
        TestDb::mysql("safety_backfill").await,
        "SELECT t.* FROM support_tickets t WHERE SLEEP(0.5) = 0",
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

/// A source reached over TLS (`sslmode` in the URL): the session really is
/// encrypted, and with `verify-ca` the server's certificate is checked
/// against the CA file — a managed PostgreSQL (RDS, Cloud SQL) asks for it.
/// The local server has Debian's self-signed "snakeoil" certificate.
#[tokio::test]
async fn postgres_source_over_tls() {
    let test = "postgres_source_over_tls";
    let Some(db) = TestDb::postgres("tls").await else {
        return;
    };
    db.load_fixture("small_helpdesk.sql").await;
    let ca = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    if !std::path::Path::new(ca).exists() {
        skip_outside_ci(test, &format!("no {ca}: the server has no TLS certificate"));
        db.cleanup().await;
        return;
    }
    let encrypted = |url: String| async move {
        let source = Source::connect(&SourceSettings::with_url(&url), Access::ReadOnly)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let Pool::Postgres(p) = source.pool() else {
            panic!("not PostgreSQL")
        };
        let (ssl,): (bool,) =
            sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_one(p)
                .await
                .expect("pg_stat_ssl");
        ssl
    };
    assert!(encrypted(format!("{}&sslmode=require", db.url)).await);
    assert!(encrypted(format!("{}&sslmode=verify-ca&sslrootcert={ca}", db.url)).await);
    // The report reads through it as through a plain connection.
    let r = run(
        db.dir.path(),
        &[
            "report",
            "--from",
            "2026-01-05",
            "--to",
            "2026-01-12",
            "--format",
            "json",
        ],
        &[(
            "SUPPORT_METRICS__SOURCE__URL",
            &format!("{}&sslmode=verify-ca&sslrootcert={ca}", db.url),
        )],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("\"tickets_created\""), "{}", r.stdout);
    // A certificate that is not the server's CA is refused, by name.
    let wrong = db.dir.path().join("other-ca.pem");
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout"])
        .arg(db.dir.path().join("other-key.pem"))
        .arg("-out")
        .arg(&wrong)
        .args(["-days", "1", "-subj", "/CN=someone else"])
        .output();
    if made.is_ok_and(|o| o.status.success()) {
        let r = run(
            db.dir.path(),
            &["report", "--from", "2026-01-05", "--to", "2026-01-12"],
            &[(
                "SUPPORT_METRICS__SOURCE__URL",
                &format!(
                    "{}&sslmode=verify-ca&sslrootcert={}",
                    db.url,
                    wrong.display()
                ),
            )],
        );
        assert!(!r.ok);
        assert!(
            r.stderr.contains("cannot connect to source database"),
            "{}",
            r.stderr
        );
    }
    db.cleanup().await;
}
