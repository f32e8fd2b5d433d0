//! `support-metrics demo` on a fresh directory: data generated, report printed.

use crate::helpers::run;

#[test]
fn demo_creates_a_helpdesk_reports_it_and_reuses_it() {
    let dir = tempfile::tempdir().expect("dir");
    let first = run(
        dir.path(),
        &["demo", "--weeks", "3", "--seed", "7", "--no-serve"],
        &[],
    );
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
    let again = run(
        dir.path(),
        &["demo", "--weeks", "3", "--seed", "7", "--no-serve"],
        &[],
    );
    assert!(again.ok, "{}", again.stderr);
    assert!(again.stdout.contains("Reusing"), "{}", again.stdout);
    // The same seed in the same week gives the same report.
    let body = |s: &str| s.split("Support metrics").nth(1).map(str::to_string);
    assert_eq!(body(&first.stdout), body(&again.stdout));
}

#[test]
fn demo_serves_its_helpdesk_on_metrics_until_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let served = crate::helpers::Served::spawn(
        dir.path(),
        &[
            "demo",
            "--weeks",
            "2",
            "--seed",
            "3",
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    served.wait_ready();
    let m = served.scrape_after("kpi");
    // Two weeks of about 650 tickets, all counted by the backfill.
    let created = m.sum("support_tickets_created_total", &[]);
    assert!(
        (1_000.0..2_000.0).contains(&created),
        "{created} tickets created"
    );
    for team in ["frontline", "billing", "tech-support", "us-support"] {
        assert!(
            m.sum("support_tickets_created_total", &[("team", team)]) > 0.0,
            "{team}"
        );
    }
    assert!(m.sum("support_first_response_seconds_count", &[]) > 500.0);
    assert!(m.sum("support_csat_responses_total", &[]) > 100.0);
    assert_eq!(m.sum("support_source_up", &[]), 1.0);
    // The kpi job ran at start: last weeks' CSAT as a ratio.
    let csat = m.sum("support_csat_ratio", &[("window", "28d")]);
    assert!(csat > 0.3 && csat < 1.0, "28-day CSAT ratio {csat}");
    served.stop();
    assert!(dir.path().join("data/demo-state.sqlite").exists());
}

/// Thirteen weeks hold two SERVQUAL waves (the first week's and the last's):
/// the report shows the gaps, and the organisation's digest preview names
/// the dimension the injected problem hurt, responsiveness, widened from
/// the wave before — after the ticket issues.
#[test]
fn the_demo_quarter_has_two_servqual_waves_and_the_digest_names_the_widened_gap() {
    let dir = tempfile::tempdir().expect("dir");
    let r = run(
        dir.path(),
        &["demo", "--weeks", "13", "--seed", "7", "--no-serve"],
        &[],
    );
    assert!(r.ok, "{}", r.stderr);
    let line = |label: &str| {
        r.stdout
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label}: {}", r.stdout))
            .to_string()
    };
    // 30 customers × 22 items × (E, P) in the report's week.
    assert!(
        line("SERVQUAL score, weighted").contains("(1320)"),
        "{}",
        r.stdout
    );
    let responsiveness = line("  responsiveness gap");
    // "  responsiveness gap (E → P)   -1.93 (6.01 → 4.08) …": the overall column.
    let gap: f64 = responsiveness
        .split("P)")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|g| g.parse().ok())
        .unwrap_or_else(|| panic!("{responsiveness}"));
    assert!(gap < -1.0, "{responsiveness}");
    let preview = dir.path().join("data/digest-preview");
    let all = std::fs::read_dir(&preview)
        .expect("digest preview")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-all.txt"))
        .expect("the organisation's digest");
    let text = std::fs::read_to_string(all).expect("digest text");
    let title = "Responsiveness: the gap to what customers expect widened";
    let at = text.find(title).unwrap_or_else(|| panic!("{text}"));
    // Ranked after the ticket issue of the injected category.
    let refunds = text.find("“refunds”").unwrap_or_else(|| panic!("{text}"));
    assert!(refunds < at, "{text}");
    assert!(
        text.contains("in the 13 weeks before (240 answers)"),
        "{text}"
    );

    // The staff: 8 agents a team; three weeks before the end each team's
    // agent 6 leaves and agent 9 starts, and billing's agent 8 left two
    // weeks before that. Over the last six weeks: 5 leavers; at the end 31
    // agents; agent 9's tickets are a new agent's.
    let end = r
        .stdout
        .split(" to ")
        .nth(1)
        .and_then(|rest| rest.get(..10))
        .unwrap_or_else(|| panic!("the history's end in {}", r.stdout))
        .to_string();
    let end_day = chrono::NaiveDate::parse_from_str(&end, "%Y-%m-%d").expect("a date");
    let from = (end_day - chrono::Duration::weeks(6)).to_string();
    let source = format!(
        "sqlite://{}",
        dir.path().join("data/demo-helpdesk.sqlite").display()
    );
    let report = |by: &str| {
        let out = run(
            dir.path(),
            &[
                "report", "--from", &from, "--to", &end, "--by", by, "--format", "json",
            ],
            &[("SUPPORT_METRICS__SOURCE__URL", source.as_str())],
        );
        assert!(out.ok, "{}", out.stderr);
        serde_json::from_str::<serde_json::Value>(&out.stdout).expect("JSON")
    };
    let by_team = report("team");
    let people = &by_team["overall"]["people"];
    assert_eq!(people["agents"], 31, "{people}");
    assert_eq!(people["leavers"], 5, "{people}");
    assert_eq!(by_team["groups"]["billing"]["people"]["leavers"], 2);
    assert_eq!(by_team["groups"]["frontline"]["people"]["leavers"], 1);
    let by_tenure = report("tenure");
    for group in ["new", "established"] {
        let solved = by_tenure["groups"][group]["tickets_solved"]
            .as_u64()
            .unwrap_or(0);
        assert!(solved > 0, "{group}: {}", by_tenure["groups"]);
    }
    assert!(
        by_tenure["groups"].get("unknown").is_none(),
        "every demo agent is listed"
    );
}
