//! `report --from-state`: the tickets' walked timelines read from the state
//! store give the numbers `report` gives from the source — on the
//! hand-computed fixture with every state backend, and on a generated
//! helpdesk week by week (periods that end while tickets are still being
//! worked on, so their timelines are cut) — and a store that cannot give a
//! period's numbers says so instead of printing wrong ones.

use serde_json::Value;

use crate::helpers::{TestDb, fixture_config, run};

/// `report --format json` with `args`, from the source or from the state.
fn report(db: &TestDb, config: &std::path::Path, args: &[&str], from_state: bool) -> Value {
    let mut all = vec!["--config", config.to_str().expect("utf-8"), "report"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    if from_state {
        all.push("--from-state");
    }
    let r = run(db.dir.path(), &all, &[]);
    assert!(r.ok, "report {all:?} failed: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

/// The report without its rejected rows: the source report lists the
/// period's faulty events, which the collections counted for the store.
fn numbers(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("rejected");
    }
    v
}

fn collect(db: &TestDb, config: &std::path::Path) {
    let r = run(
        db.dir.path(),
        &[
            "--config",
            config.to_str().expect("utf-8"),
            "run-once",
            "--job",
            "collect",
        ],
        &[],
    );
    assert!(r.ok, "collect: {}", r.stderr);
}

/// Every period and grouping of `periods` × `groupings` reads the same from
/// the store as from the source.
fn assert_same_reports(
    db: &TestDb,
    config: &std::path::Path,
    periods: &[[String; 2]],
    groupings: &[Option<&str>],
) -> usize {
    let mut compared = 0;
    for [from, to] in periods {
        for by in groupings {
            let mut args = vec!["--from", from.as_str(), "--to", to.as_str()];
            if let Some(by) = by {
                args.extend_from_slice(&["--by", by]);
            }
            let source = numbers(report(db, config, &args, false));
            let state = numbers(report(db, config, &args, true));
            assert_eq!(state, source, "{args:?} on {}", config.display());
            compared += 1;
        }
    }
    compared
}

/// An SQLite helpdesk of `tickets` generated tickets (`seed`) and the
/// fixture's configuration over it, with an SQLite state store.
fn generated(tickets: u32, seed: u32, name: &str) -> (TestDb, std::path::PathBuf) {
    let db = TestDb::sqlite();
    let (tickets, seed) = (tickets.to_string(), seed.to_string());
    let args = [
        "generate",
        "--tickets",
        &tickets,
        "--db",
        &db.url,
        "--seed",
        &seed,
    ];
    let r = run(db.dir.path(), &args, &[]);
    assert!(r.ok, "{}", r.stderr);
    let url = format!("sqlite://{}", db.dir.path().join("state.sqlite").display());
    let config = fixture_config(&db, &url, "0 0 * * * *", name);
    (db, config)
}

fn periods(list: &[(&str, &str)]) -> Vec<[String; 2]> {
    list.iter()
        .map(|(f, t)| [f.to_string(), t.to_string()])
        .collect()
}

async fn fixture_reports_agree(db: &TestDb, state_url: &str, name: &str) {
    let config = fixture_config(db, state_url, "0 0 * * * *", name);
    collect(db, &config);
    let list = periods(&[
        // Periods cut through tickets: first responses and solves after
        // the end, reopens, re-routes and status changes on both sides.
        ("2026-01-05", "2026-01-07"),
        ("2026-01-06T12:00:00Z", "2026-01-08T09:30:00Z"),
        ("2026-01-07", "2026-01-14"),
        ("2026-01-05T10:00:00Z", "2026-01-05T16:00:00Z"),
        // Everything (a period that ended: one that has not is taken as of
        // now, which differs between two runs).
        ("2000-01-01", "2026-02-01"),
    ]);
    let n = assert_same_reports(
        db,
        &config,
        &list,
        &[
            None,
            Some("team"),
            Some("agent"),
            Some("hour"),
            Some("priority"),
        ],
    );
    assert_eq!(n, 25);
}

#[tokio::test]
async fn the_fixture_reads_the_same_from_an_sqlite_store() {
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let url = format!("sqlite://{}", db.dir.path().join("state.sqlite").display());
    fixture_reports_agree(&db, &url, "sqlite").await;
}

#[tokio::test]
async fn the_fixture_reads_the_same_from_a_postgres_store() {
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let Some(state) = TestDb::postgres("from_state").await else {
        return;
    };
    fixture_reports_agree(&db, &state.url, "postgres").await;
    state.cleanup().await;
}

#[tokio::test]
async fn the_fixture_reads_the_same_from_a_mariadb_store() {
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let Some(state) = TestDb::mysql("from_state").await else {
        return;
    };
    fixture_reports_agree(&db, &state.url, "mariadb").await;
    state.cleanup().await;
}

/// 1,500 generated tickets over 13 weeks (reopens, re-routes, bots,
/// surveys, tickets open across weeks): each of the last six weeks, and
/// the whole span, by team and overall.
#[tokio::test]
async fn a_generated_helpdesk_reads_the_same_week_by_week() {
    let (db, config) = generated(1500, 7, "demo");
    collect(&db, &config);
    let today = chrono::Utc::now().date_naive();
    let day = |back: i64| (today - chrono::Duration::days(back)).to_string();
    // Periods that ended a day ago at least: the store must have collected
    // `source.late_arrival` after a period's end.
    let mut list: Vec<[String; 2]> = (1..=6).map(|w| [day(7 * w + 1), day(7 * w - 6)]).collect();
    list.push([day(7 * 14), day(1)]);
    let n = assert_same_reports(&db, &config, &list, &[None, Some("team")]);
    assert_eq!(n, 14);
    // Not vacuous: the weeks hold tickets.
    let week = report(&db, &config, &["--from", &day(15), "--to", &day(8)], true);
    assert!(
        week["overall"]["tickets_created"].as_f64().unwrap_or(0.0) > 50.0,
        "{week}"
    );
}

/// A store that cannot give the numbers says why: nothing collected yet;
/// a period before `source.backfill_days`; business hours edited since it
/// was counted.
#[tokio::test]
async fn a_store_that_is_not_current_is_refused_with_the_reason() {
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let url = format!("sqlite://{}", db.dir.path().join("state.sqlite").display());
    let config = fixture_config(&db, &url, "0 0 * * * *", "stale");
    let args = |to: &'static str| {
        vec![
            "--config".to_string(),
            config.display().to_string(),
            "report".into(),
            "--from".into(),
            "2026-01-05".into(),
            "--to".into(),
            to.into(),
            "--from-state".into(),
        ]
    };
    let refused = |a: Vec<String>, why: &str| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let r = run(db.dir.path(), &a, &[]);
        assert!(!r.ok, "{a:?} should fail: {}", r.stdout);
        assert!(
            r.stderr
                .contains("the state store cannot report this period")
                && r.stderr.contains(why),
            "{a:?}: {}",
            r.stderr
        );
    };
    refused(args("2026-01-12"), "no collection has run yet");
    collect(&db, &config);
    // The collection ran now; a period ending next year has not ended, and
    // is read as of it; one that ended is read.
    let ok = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let r = run(db.dir.path(), &a, &[]);
        assert!(r.ok, "{a:?}: {}", r.stderr);
    };
    ok(args("2026-01-12"));
    ok(args("2099-01-01"));
    // A store whose backfill had source.backfill_days left out the tickets
    // done before its horizon, and remembers it: a period before it is
    // refused (whatever the configuration says now).
    let other = format!(
        "sqlite://{}",
        db.dir.path().join("horizon.sqlite").display()
    );
    let env = [
        ("SUPPORT_METRICS__SOURCE__BACKFILL_DAYS", "30"),
        ("SUPPORT_METRICS__STATE__URL", other.as_str()),
    ];
    let cfg = config.to_str().expect("utf-8");
    let r = run(
        db.dir.path(),
        &["--config", cfg, "run-once", "--job", "collect"],
        &env,
    );
    assert!(r.ok, "collect: {}", r.stderr);
    let a = args("2026-01-12");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let r = run(db.dir.path(), &a, &env[1..]);
    assert!(!r.ok, "{}", r.stdout);
    assert!(r.stderr.contains("source.backfill_days"), "{}", r.stderr);
    // Business hours edited: the stored business seconds are the old
    // hours'.
    let text = std::fs::read_to_string(&config).expect("config");
    let edited = text.replacen("09:00-", "08:00-", 1);
    assert_ne!(edited, text, "the fixture configuration has hours");
    std::fs::write(&config, edited).expect("write");
    refused(args("2026-01-12"), "another configuration");
}

/// A stored timeline the store cannot decode (a damaged file, a
/// hand-edited row) fails the report with the ticket it belongs to,
/// instead of numbers without it.
#[tokio::test]
async fn a_damaged_timeline_fails_the_report_naming_its_ticket() {
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let url = format!("sqlite://{}", db.dir.path().join("state.sqlite").display());
    let config = fixture_config(&db, &url, "0 0 * * * *", "damaged");
    collect(&db, &config);
    let cfg = config.to_str().expect("utf-8");
    let args = [
        "--config",
        cfg,
        "report",
        "--from",
        "2026-01-05",
        "--to",
        "2026-01-12",
        "--from-state",
    ];
    assert!(run(db.dir.path(), &args, &[]).ok, "the intact store reads");
    let pool = sqlx::SqlitePool::connect(&url).await.expect("state");
    let id: String = sqlx::query_scalar(
        "SELECT id FROM ticket_state WHERE timeline IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .expect("a stored timeline");
    sqlx::query("UPDATE ticket_state SET timeline = x'ff00' WHERE id = ?")
        .bind(&id)
        .execute(&pool)
        .await
        .expect("damage");
    pool.close().await;
    let r = run(db.dir.path(), &args, &[]);
    assert!(
        !r.ok,
        "a damaged timeline must fail the report: {}",
        r.stdout
    );
    assert!(
        r.stderr.contains("read a stored ticket")
            && r.stderr.contains(&format!("ticket {id}"))
            && r.stderr.contains("version"),
        "{}",
        r.stderr
    );
    // The failed read left nothing open: a collection still commits.
    collect(&db, &config);
}

/// A period that ended after the store's last collection (the clock
/// injected: collected on 10 January, the period ends on the 12th), or
/// less than `source.late_arrival` before it, is refused; one that ended
/// earlier is read, with the source report's numbers.
#[tokio::test]
async fn a_period_ending_after_the_last_collection_is_refused() {
    use support_metrics::collect::{self, Live};
    use support_metrics::config::Settings;
    use support_metrics::report::{self, Period, ReportError};
    use support_metrics::source::{Access, Source};
    use support_metrics::state::StateStore;

    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let url = format!("sqlite://{}", db.dir.path().join("state.sqlite").display());
    let config = fixture_config(&db, &url, "0 0 * * * *", "clock");
    let settings = Settings::load(Some(&config)).expect("settings");
    let source = Source::connect(&settings.source, Access::ReadOnly)
        .await
        .expect("source");
    let store = StateStore::open(&settings.state).await.expect("state");
    let mut live = Live::from_loaded(store.load().await.expect("load"), &settings);
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("instant")
            .with_timezone(&chrono::Utc)
    };
    collect::run(
        &source,
        &store,
        &settings,
        &mut live,
        at("2026-01-10T00:00:00Z"),
    )
    .await
    .expect("collect");
    let period = |to: &str| Period {
        from: at("2026-01-05T00:00:00Z"),
        to: at(to),
    };
    let now = at("2026-01-20T00:00:00Z");
    let late = report::build(
        &source,
        Some(&store),
        &settings,
        period("2026-01-12T00:00:00Z"),
        None,
        now,
    )
    .await;
    match late {
        Err(ReportError::NotCurrent(why)) => {
            assert!(why.contains("source.late_arrival"), "{why}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Within `late_arrival` (10 minutes) of the end: events may still come.
    let close = report::build(
        &source,
        Some(&store),
        &settings,
        period("2026-01-09T23:55:00Z"),
        None,
        now,
    )
    .await;
    assert!(
        matches!(close, Err(ReportError::NotCurrent(_))),
        "{close:?}"
    );
    let before = report::build(
        &source,
        Some(&store),
        &settings,
        period("2026-01-09T00:00:00Z"),
        None,
        now,
    )
    .await
    .expect("a period before the collection");
    let direct = report::build(
        &source,
        None,
        &settings,
        period("2026-01-09T00:00:00Z"),
        None,
        now,
    )
    .await
    .expect("from the source");
    assert_eq!(
        serde_json::to_value(&before.overall).expect("json"),
        serde_json::to_value(&direct.overall).expect("json")
    );
}

/// The digest of a generated helpdesk's last full week reads the same from
/// the store (with a requester salt: the repeat contacts compare the
/// requesters' keyed hashes) as from the source, every team's text and
/// HTML; without a salt the store is refused, saying why.
#[tokio::test]
async fn the_digest_reads_the_same_from_the_store() {
    let (db, config) = generated(3000, 5, "digest");
    let salt = [(
        "SUPPORT_METRICS__STATE__REQUESTER_SALT",
        "a-salt-for-the-digest-test",
    )];
    let cfg = config.to_str().expect("utf-8");
    let r = run(
        db.dir.path(),
        &["--config", cfg, "run-once", "--job", "collect"],
        &salt,
    );
    assert!(r.ok, "collect: {}", r.stderr);
    let preview = |dir: &str, from_state: bool| -> Vec<(String, String)> {
        let out = db.dir.path().join(dir);
        let out_text = out.to_str().expect("utf-8");
        let mut args = vec!["--config", cfg, "digest", "--preview", out_text];
        if from_state {
            args.push("--from-state");
        }
        let r = run(db.dir.path(), &args, &salt);
        assert!(r.ok, "digest {args:?}: {}", r.stderr);
        let mut files: Vec<(String, String)> = std::fs::read_dir(&out)
            .expect("preview dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt" || x == "html"))
            .map(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                (
                    name.unwrap_or_default(),
                    std::fs::read_to_string(&p).expect("read"),
                )
            })
            .collect();
        files.sort();
        files
    };
    let source = preview("from-source", false);
    let state = preview("from-state", true);
    assert!(source.len() >= 4, "{} files", source.len());
    assert_eq!(
        source.iter().map(|f| &f.0).collect::<Vec<_>>(),
        state.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (a, b) in source.iter().zip(&state) {
        assert_eq!(a.1, b.1, "{}", a.0);
    }
    // Without the salt the store keeps no requesters: refused.
    let out = db.dir.path().join("no-salt");
    let r = run(
        db.dir.path(),
        &[
            "--config",
            cfg,
            "digest",
            "--preview",
            out.to_str().expect("utf-8"),
            "--from-state",
        ],
        &[],
    );
    assert!(!r.ok, "{}", r.stdout);
    assert!(r.stderr.contains("state.requester_salt"), "{}", r.stderr);
}
