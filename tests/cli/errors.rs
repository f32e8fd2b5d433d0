//! Bad input gets one clear line naming what is wrong, and a failure exit.

use crate::helpers::{TestDb, fixture, run};

/// Runs the binary, expects it to fail, and returns its `error:` line.
#[track_caller]
fn failing(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let r = run(dir, args, env);
    assert!(!r.ok, "expected a failure, got: {}", r.stdout);
    first_error_line(&r.stderr).to_string()
}

fn first_error_line(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line in {stderr}"))
}

const WEEK: [&str; 5] = ["report", "--from", "2026-01-05", "--to", "2026-01-12"];

#[test]
fn bad_from_is_named() {
    let db = TestDb::sqlite();
    let line = failing(
        db.dir.path(),
        &["report", "--from", "yesterday", "--to", "2026-01-12"],
        &[],
    );
    assert!(
        line.contains("--from") && line.contains("yesterday"),
        "{line}"
    );
}

#[test]
fn reversed_period_is_refused() {
    let db = TestDb::sqlite();
    let line = failing(
        db.dir.path(),
        &["report", "--from", "2026-01-12", "--to", "2026-01-05"],
        &[],
    );
    assert!(line.contains("must be before --to"), "{line}");
}

#[test]
fn unreachable_database_is_named_without_its_password() {
    let db = TestDb::sqlite();
    let url = "postgres://postgres:hunter2@127.0.0.1:9/test";
    let line = failing(
        db.dir.path(),
        &WEEK,
        &[("SUPPORT_METRICS__SOURCE__URL", url)],
    );
    // The cause in its own words, at once (not "pool timed out" after 10 s).
    assert!(
        line.contains("cannot connect")
            && line.contains("127.0.0.1:9")
            && line.contains("Connection refused"),
        "{line}"
    );
    // Nowhere in the output, not only the error line.
    let r = run(
        db.dir.path(),
        &WEEK,
        &[("SUPPORT_METRICS__SOURCE__URL", url)],
    );
    assert!(
        !r.stderr.contains("hunter2") && !r.stdout.contains("hunter2"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_sqlite_file_says_how_to_get_one() {
    let db = TestDb::sqlite();
    let line = failing(
        db.dir.path(),
        &WEEK,
        &[("SUPPORT_METRICS__SOURCE__URL", &db.url)],
    );
    assert!(
        line.contains("does not exist") && line.contains("demo"),
        "{line}"
    );
    assert!(
        !db.dir.path().join("helpdesk.sqlite").exists(),
        "a read must not create the file"
    );
}

#[tokio::test]
async fn missing_table_is_named() {
    let db = TestDb::sqlite();
    db.migrate_source();
    db.execute("DROP TABLE support_ticket_events").await;
    let line = failing(
        db.dir.path(),
        &WEEK,
        &[("SUPPORT_METRICS__SOURCE__URL", &db.url)],
    );
    assert!(line.contains("support_ticket_events"), "{line}");
}

#[test]
fn check_config_lists_every_problem_with_its_key() {
    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[schedule]\ntimezone = \"Moon/Base\"\n[[slo]]\nname = \"x\"\nmetric = \"first_response\"\ntarget = \"1h\"\npriority = \"p1\"\n").expect("write");
    let r = run(
        dir.path(),
        &["check-config", bad.to_str().expect("utf-8")],
        &[],
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("schedule.timezone") && r.stderr.contains("slo[0].priority"),
        "{}",
        r.stderr
    );
    let good = run(
        dir.path(),
        &[
            "check-config",
            fixture("small_helpdesk.toml").to_str().expect("utf-8"),
        ],
        &[],
    );
    assert!(good.ok, "{}", good.stderr);
    assert!(good.stdout.contains("2 SLO"), "{}", good.stdout);
    assert!(
        good.stdout.contains(
            "slo res_paused: resolution ≤ 1d (calendar, paused while pending), all tickets · objective 95%"
        ),
        "{}",
        good.stdout
    );
}

#[test]
fn a_missing_table_says_how_to_make_or_name_one() {
    let db = TestDb::sqlite();
    // A database, but not a helpdesk's: no canonical tables.
    let r = run(
        db.dir.path(),
        &["migrate", "state"],
        &[("SUPPORT_METRICS__STATE__URL", &db.url)],
    );
    assert!(r.ok, "{}", r.stderr);
    let line = failing(
        db.dir.path(),
        &WEEK,
        &[("SUPPORT_METRICS__SOURCE__URL", &db.url)],
    );
    assert!(
        line.contains("no such table: support_tickets")
            && line.contains("support-metrics migrate source")
            && line.contains("source.relations"),
        "{line}"
    );
}

#[test]
fn a_missing_configuration_file_is_named_once() {
    let db = TestDb::sqlite();
    let line = failing(db.dir.path(), &["check-config", "nope.toml"], &[]);
    assert_eq!(
        line,
        "error: cannot read configuration file nope.toml: No such file or directory (os error 2)"
    );
}

#[test]
fn a_digest_of_a_week_not_begun_is_refused() {
    let db = TestDb::sqlite();
    let next_year = chrono::Utc::now()
        .format("%G")
        .to_string()
        .parse::<i32>()
        .expect("year")
        + 1;
    let week = format!("{next_year}-W10");
    let out = db.dir.path().join("preview");
    let line = failing(
        db.dir.path(),
        &[
            "digest",
            "--week",
            &week,
            "--preview",
            out.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert!(
        line.starts_with(&format!("error: --week: {week} has not begun")),
        "{line}"
    );
    assert!(!out.exists(), "nothing written");
}
