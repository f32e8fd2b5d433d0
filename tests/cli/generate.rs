//! `generate`: the demo's helpdesk at a chosen size, the same rows on every
//! backend (COPY on PostgreSQL, INSERTs elsewhere), and no silent overwrite.

use serde_json::Value;

use crate::helpers::{TestDb, run};

const TICKETS: &str = "1500";

fn generate(db: &TestDb, extra: &[&str]) -> crate::helpers::Run {
    let mut args = vec![
        "generate",
        "--tickets",
        TICKETS,
        "--db",
        &db.url,
        "--seed",
        "7",
    ];
    args.extend_from_slice(extra);
    run(db.dir.path(), &args, &[])
}

/// The report over all generated history, as of its end (this Monday).
fn report(db: &TestDb) -> Value {
    let end = support_metrics::demo::week_start(chrono::Utc::now())
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let r = run(
        db.dir.path(),
        &[
            "report",
            "--from",
            "2000-01-01",
            "--to",
            &end,
            "--by",
            "team",
            "--format",
            "json",
        ],
        &[("SUPPORT_METRICS__SOURCE__URL", &db.url)],
    );
    assert!(r.ok, "report: {}", r.stderr);
    serde_json::from_str(&r.stdout).expect("JSON")
}

#[tokio::test]
async fn generate_writes_exactly_n_tickets_identically_on_every_backend() {
    let sqlite = TestDb::sqlite();
    let r = generate(&sqlite, &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stderr.contains("100% 1500/1500 tickets") && r.stderr.contains("Wrote 1500 tickets"),
        "{}",
        r.stderr
    );
    let want = report(&sqlite);
    // Spam (about 1 %) is not counted as created.
    let created = want["overall"]["tickets_created"]
        .as_f64()
        .expect("created");
    assert!((1450.0..1500.0).contains(&created), "{created}");
    assert!(want["groups"].as_object().is_some_and(|g| g.len() >= 4));

    // A second run refuses to mix two helpdesks, and changes nothing; its
    // message holds the table's own count.
    let again = generate(&sqlite, &[]);
    assert!(!again.ok);
    assert!(
        again.stderr.contains("already holds 1500 tickets") && again.stderr.contains("--replace"),
        "{}",
        again.stderr
    );
    assert_eq!(report(&sqlite), want);
    // --replace starts over: same seed, same helpdesk.
    assert!(generate(&sqlite, &["--replace"]).ok);
    assert_eq!(report(&sqlite), want);

    let (Some(pg), Some(my)) = (
        TestDb::postgres("generate").await,
        TestDb::mysql("generate").await,
    ) else {
        return;
    };
    for db in [&pg, &my] {
        let r = generate(db, &[]);
        assert!(r.ok, "{}: {}", db.url, r.stderr);
        assert_eq!(report(db), want, "{}", db.url);
    }
    pg.cleanup().await;
    my.cleanup().await;
}
