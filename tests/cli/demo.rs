//! `support-metrics demo` on a fresh directory: data generated, report printed.

use crate::helpers::run;

#[test]
fn demo_creates_a_helpdesk_reports_it_and_reuses_it() {
    let dir = tempfile::tempdir().expect("dir");
    let first = run(dir.path(), &["demo", "--weeks", "3", "--seed", "7"], &[]);
    assert!(first.ok, "{}", first.stderr);
    assert!(dir.path().join("data/demo-helpdesk.sqlite").exists());
    assert!(first.stdout.contains("Created"), "{}", first.stdout);
    // The last week's report by team, with the injected problem's team.
    for needle in [
        "Tickets created",
        "billing",
        "tech-support",
        "us-support",
        "CSAT",
        "Next (",
    ] {
        assert!(
            first.stdout.contains(needle),
            "missing {needle}: {}",
            first.stdout
        );
    }
    // The demo's own data breaks no contract rule.
    assert!(!first.stdout.contains("Skipped"), "{}", first.stdout);
    let again = run(dir.path(), &["demo", "--weeks", "3", "--seed", "7"], &[]);
    assert!(again.ok, "{}", again.stderr);
    assert!(again.stdout.contains("Reusing"), "{}", again.stdout);
    // The same seed in the same week gives the same report.
    let body = |s: &str| s.split("Support metrics").nth(1).map(str::to_string);
    assert_eq!(body(&first.stdout), body(&again.stdout));
}
