//! Two `serve` processes on one PostgreSQL state store: one leads (runs the
//! jobs, serves the data), the other follows (serves its own health only);
//! when the leader is killed the follower takes over within one collection
//! interval and counts what arrived meanwhile, once; the week's digest is
//! emailed once in all.

use crate::digest::SmtpServer;
use crate::exporter::recent_batch;
use crate::helpers::{Scrape, Served, TestDb, assert_same_cumulative, fixture_config, http_get};

const EVERY_2S: &str = "*/2 * * * * *";

fn leader(m: &Scrape) -> f64 {
    m.sum("support_leader", &[])
}

#[tokio::test]
async fn a_follower_takes_over_when_the_leader_dies_postgres() {
    if let Some(state) = TestDb::postgres("replicas_state").await {
        takeover(state).await;
    }
}

#[tokio::test]
async fn a_follower_takes_over_when_the_leader_dies_mariadb() {
    if let Some(state) = TestDb::mysql("replicas_state").await {
        takeover(state).await;
    }
}

/// The two replicas share `state`.
async fn takeover(state: TestDb) {
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let shared = fixture_config(&db, &state.url, EVERY_2S, "replica");
    // The week's digest, due every 2 s too: sent once, whoever leads.
    let mail = db.dir.path().join("mail");
    std::fs::create_dir_all(&mail).expect("maildir");
    let Some(smtp) = SmtpServer::start("replicas", &mail, 0) else {
        return;
    };
    let mut text = std::fs::read_to_string(&shared).expect("config");
    text.push_str(&format!(
        "digest = \"*/2 * * * * *\"\n\n[digest]\nfrom = \"Support metrics <sm@support.example>\"\n\
         recipients = [\"head-of-support@support.example\"]\n\
         [digest.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n",
        smtp.port
    ));
    std::fs::write(&shared, text).expect("config");

    let first = Served::start(db.dir.path(), &shared, &[]);
    first.wait_ready();
    let m = first.scrape_until("the first leads", |m| leader(m) == 1.0);
    assert_eq!(m.sum("support_tickets_created_total", &[]), 5.0);

    let second = Served::start(db.dir.path(), &shared, &[]);
    second.wait_ready();
    let f = second.scrape_until("the second follows", |m| {
        m.samples.iter().any(|s| s.name == "support_leader")
    });
    assert_eq!(leader(&f), 0.0);
    // The data only once across the two: the follower serves none of it.
    assert!(
        !f.samples
            .iter()
            .any(|s| s.name.starts_with("support_tickets_")),
        "a follower serves no data"
    );
    assert_eq!(http_get(&second.addr, "/readyz").0, 200);
    // Roles hold over several collections: nobody loses or steals the lead.
    let runs = |m: &Scrape| {
        m.sum(
            "support_job_runs_total",
            &[("job_name", "collect"), ("result", "ok")],
        )
    };
    let before = runs(&first.scrape());
    let m = first.scrape_until("three more collections", |m| runs(m) >= before + 3.0);
    assert_eq!(leader(&m), 1.0);
    assert_eq!(leader(&second.scrape()), 0.0);

    // The leader sent the week's digest, once.
    first.scrape_until("the digest sent", |m| {
        m.sum("support_digest_emails_total", &[("result", "sent")]) == 1.0
    });
    assert_eq!(smtp.received().len(), 1);

    // The leader dies; rows keep arriving.
    first.crash();
    db.execute(&recent_batch(100)).await;
    let killed = std::time::Instant::now();
    let m = second.scrape_until("the follower takes over and catches up", |m| {
        leader(m) == 1.0 && m.sum("support_tickets_created_total", &[]) == 6.0
    });
    // Within one 2 s interval, plus the collection itself and the polling.
    assert!(
        killed.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        killed.elapsed()
    );
    // The new leader's digest runs find it sent: no second email.
    second.scrape_until("the digest found sent", |m| {
        m.sum("support_digest_emails_total", &[("result", "already_sent")]) >= 1.0
    });
    assert_eq!(
        second
            .scrape()
            .sum("support_digest_emails_total", &[("result", "sent")]),
        0.0
    );
    assert_eq!(smtp.received().len(), 1, "the digest went out once");
    second.stop();

    // Nothing counted twice or lost: the same as one exporter from scratch.
    let alone = fixture_config(
        &db,
        &format!("sqlite://{}", db.dir.path().join("alone.sqlite").display()),
        EVERY_2S,
        "alone",
    );
    let served = Served::start(db.dir.path(), &alone, &[]);
    served.wait_ready();
    let clean = served.scrape();
    served.stop();
    assert_same_cumulative(&m, &clean);
    let alone_url = format!("sqlite://{}", db.dir.path().join("alone.sqlite").display());
    crate::facts::assert_facts_agree(&state.url, &m, Some(&alone_url)).await;
    state.cleanup().await;
}

/// The leader's lock session is cut and someone else holds the lock: within
/// a probe `support_leader` says 0 (no job has to run first), and once the
/// lock is free again the process leads again by itself.
#[tokio::test]
async fn a_lost_leadership_is_reported_at_once_and_taken_back() {
    use sqlx::{Connection, Executor, Row};
    let Some(state) = TestDb::postgres("lost_lease").await else {
        return;
    };
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let served = Served::start(
        db.dir.path(),
        &fixture_config(&db, &state.url, "0 0 * * * *", "lease"),
        &[],
    );
    served.wait_ready();
    served.scrape_until("leading", |m| leader(m) == 1.0);

    let mut rival = sqlx::PgConnection::connect(&state.url)
        .await
        .expect("connect");
    // The exporter's lock, by its key (as `state::lease` names it, in this
    // schema: other tests lead in theirs), taken over: its session cut, the
    // lock held here. A bigint lock shows as classid (high half), objid.
    let key: i64 = rival
        .fetch_one(
            "SELECT hashtext(current_database() || '/' || current_schema() || \
             '/support-metrics-leader')::bigint AS key",
        )
        .await
        .expect("the lock's key")
        .get("key");
    let pid: i32 = rival
        .fetch_one(sqlx::AssertSqlSafe(format!(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 \
             AND ((classid::bigint << 32) | objid::bigint) = {key}"
        )))
        .await
        .expect("the exporter holds its lock")
        .get("pid");
    rival
        .execute(sqlx::AssertSqlSafe(format!(
            "SELECT pg_terminate_backend({pid}); SELECT pg_advisory_lock({key})"
        )))
        .await
        .expect("take the lock");
    served.scrape_until("the loss seen", |m| leader(m) == 0.0);
    rival.close().await.expect("lock freed");
    let m = served.scrape_until("leading again", |m| leader(m) == 1.0);
    assert_eq!(m.sum("support_tickets_created_total", &[]), 5.0);
    served.stop();
    state.cleanup().await;
}
