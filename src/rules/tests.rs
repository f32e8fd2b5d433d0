//! Rule generation: thresholds and windows computed by hand.

use std::time::Duration;

use super::*;
use crate::config::{Settings, parse_cron};
use crate::engine::slo::{Objective, SloClock};
use crate::model::Seconds;

fn slo(name: &str, metric: SloMetric, objective: f64) -> Slo {
    Slo {
        name: name.into(),
        metric,
        clock: SloClock::Business,
        target: Seconds(3_600.0),
        objective: Objective::new(objective).unwrap(),
        priorities: vec![Priority::Urgent],
        team: None,
        channel: None,
        pause_on: vec![],
    }
}

fn settings(slos: Vec<Slo>) -> Settings {
    Settings {
        slos,
        ..Settings::default()
    }
}

fn alerts<'a>(r: &'a Rules, name: &str) -> Vec<&'a Alert> {
    r.alerts().filter(|a| a.name == name).collect()
}

#[test]
fn first_response_slo_gets_the_workbook_burn_rate_pairs() {
    let r = generate(&settings(vec![slo(
        "urgent",
        SloMetric::FirstResponse,
        0.95,
    )]));
    let fast = alerts(&r, SLO_FAST_BURN);
    assert_eq!(fast.len(), 1);
    let e = &fast[0].expr;
    // Budget 5%: page at 14.4 × 0.05 = 72% over 1h and 5m, or 6 × 0.05 = 30%
    // over 6h and 30m, per team, each pair with at least 5 judged tickets
    // over its long window and 2 breaches in its short one.
    for part in [
        r#"slo_team:support_slo_errors:ratio_rate1h{slo="urgent"} > (14.4 * 0.05)"#,
        r#"slo_team:support_slo_errors:ratio_rate5m{slo="urgent"} > (14.4 * 0.05)"#,
        r#"slo_team:support_slo_measured:increase1h{slo="urgent"} >= 5"#,
        r#"slo_team:support_slo_breaches:increase5m{slo="urgent"} >= 2"#,
        r#"slo_team:support_slo_errors:ratio_rate6h{slo="urgent"} > (6 * 0.05)"#,
        r#"slo_team:support_slo_errors:ratio_rate30m{slo="urgent"} > (6 * 0.05)"#,
        r#"slo_team:support_slo_measured:increase6h{slo="urgent"} >= 5"#,
        r#"slo_team:support_slo_breaches:increase30m{slo="urgent"} >= 2"#,
    ] {
        assert!(e.contains(part), "{part} missing from\n{e}");
    }
    assert_eq!(fast[0].severity, Severity::Page);
    let slow = alerts(&r, SLO_SLOW_BURN);
    assert_eq!(slow[0].severity, Severity::Ticket);
    for part in [
        r#"slo_team:support_slo_errors:ratio_rate1d{slo="urgent"} > (3 * 0.05)"#,
        r#"slo_team:support_slo_errors:ratio_rate2h{slo="urgent"} > (3 * 0.05)"#,
        r#"slo_team:support_slo_errors:ratio_rate3d{slo="urgent"} > (1 * 0.05)"#,
        r#"slo_team:support_slo_errors:ratio_rate6h{slo="urgent"} > (1 * 0.05)"#,
    ] {
        assert!(slow[0].expr.contains(part), "{part} missing");
    }
    assert!(
        fast[0].description.contains("objective of 95% allows 5%"),
        "{}",
        fast[0].description
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn every_windowed_series_an_alert_reads_is_recorded() {
    let r = generate(&settings(vec![slo(
        "urgent",
        SloMetric::FirstResponse,
        0.95,
    )]));
    let recorded = r.recorded();
    for a in r.alerts() {
        for token in a
            .expr
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        {
            if token.contains(':') {
                assert!(
                    recorded.contains(&token),
                    "{} reads unrecorded {token}",
                    a.name
                );
            }
        }
    }
}

#[test]
fn resolution_slos_are_recorded_but_do_not_page() {
    let r = generate(&settings(vec![slo("solve", SloMetric::Resolution, 0.9)]));
    assert!(alerts(&r, SLO_FAST_BURN).is_empty());
    assert!(alerts(&r, SLO_SLOW_BURN).is_empty());
    let objective = r
        .all()
        .find(|x| matches!(x, Rule::Record { record, .. } if record == names::SLO_OBJECTIVE))
        .unwrap();
    assert_eq!(objective.expr(), "vector(0.9)");
    // 0.9 would make the fast burn unreachable, but no alert reads it.
    assert!(r.warnings.is_empty());
}

#[test]
fn an_objective_too_low_for_the_fast_page_is_warned_about() {
    // Budget 10%: 14.4 × 10% = 144% of tickets would have to breach.
    let r = generate(&settings(vec![slo(
        "lenient",
        SloMetric::FirstResponse,
        0.9,
    )]));
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("slo `lenient`"), "{}", r.warnings[0]);
    // 1 − 1/14.4 = 0.930555…, rounded up to 4 places.
    assert!(
        r.warnings[0].contains("at least 0.9306"),
        "{}",
        r.warnings[0]
    );
    // The rule is still generated: its 6× half can fire (6 × 10% = 60%).
    assert_eq!(alerts(&r, SLO_FAST_BURN).len(), 1);
}

#[test]
fn stale_data_limits_follow_the_schedules() {
    let mut s = settings(vec![]);
    s.schedule.collect = parse_cron("0 * * * * *").unwrap();
    s.schedule.kpi = parse_cron("0 */15 * * * *").unwrap();
    let r = generate(&s);
    let stale = alerts(&r, DATA_STALE);
    // Twice the gap plus 5 minutes: 2 × 60 + 300 = 420 s; 2 × 900 + 300 = 2100 s.
    assert!(
        stale[0].expr.ends_with(r#"{job_name="collect"} > 420"#),
        "{}",
        stale[0].expr
    );
    assert!(
        stale[1].expr.ends_with(r#"{job_name="kpi"} > 2100"#),
        "{}",
        stale[1].expr
    );
    assert!(stale[0].summary.contains("over 7m"), "{}", stale[0].summary);

    s.alerts.stale_after = Some(Duration::from_secs(1_800));
    let r = generate(&s);
    assert!(alerts(&r, DATA_STALE)[0].expr.ends_with("> 1800"));
}

#[test]
fn oldest_awaiting_limits_come_per_priority_most_urgent_first() {
    let mut s = settings(vec![]);
    s.alerts.oldest_awaiting_first_response = [
        (Priority::Low, Duration::from_secs(3 * 86_400)),
        (Priority::Urgent, Duration::from_secs(7_200)),
    ]
    .into_iter()
    .collect();
    let r = generate(&s);
    let waiting = alerts(&r, FIRST_RESPONSE_WAITING);
    assert_eq!(waiting.len(), 2);
    assert_eq!(
        waiting[0].expr,
        "max by (team, priority) (support_oldest_awaiting_first_response_business_seconds{priority=\"urgent\"}) > 7200\nand on (team)\nmax by (team) (support_team_open) == 1",
        "business time, and only while the team is open"
    );
    assert_eq!(waiting[0].severity, Severity::Page);
    assert!(waiting[1].expr.contains("{priority=\"low\"}) > 259200\n"));
    assert_eq!(waiting[1].severity, Severity::Ticket);
    assert!(waiting[1].description.contains("the limit for low is 3d"));
}

#[test]
fn exporter_down_watches_the_configured_scrape_job() {
    let mut s = settings(vec![]);
    s.alerts.prometheus_job = "helpdesk-exporter".into();
    s.alerts.runbook_url = "https://wiki.example.com/support-metrics".into();
    let r = generate(&s);
    let down = alerts(&r, EXPORTER_DOWN)[0];
    assert_eq!(
        down.expr,
        "up{job=\"helpdesk-exporter\"} == 0\nor\nabsent(up{job=\"helpdesk-exporter\"})"
    );
    assert_eq!(
        down.runbook_url,
        "https://wiki.example.com/support-metrics#supportexporterdown"
    );
}

#[test]
fn yaml_quotes_every_string_and_keeps_expressions_verbatim() {
    let r = generate(&settings(vec![slo(
        "urgent",
        SloMetric::FirstResponse,
        0.95,
    )]));
    let y = r.to_yaml("config/x.toml");
    assert!(y.contains("generated by `support-metrics rules`\n# from config/x.toml.\n"));
    assert!(y.contains("\n  - name: \"support-metrics.slo\"\n    rules:\n"));
    // A label value and a template with quotes inside a double-quoted scalar.
    assert!(
        y.contains("        labels:\n          slo: \"urgent\"\n"),
        "{y}"
    );
    assert!(y.contains(r#"Its log line \"job failed\" says why."#));
    // A multi-line expression as a block, each line indented under `expr`.
    assert!(y.contains(
        "        expr: |-\n          sum by (slo) (rate(support_slo_breaches_total[5m]))\n          /\n"
    ));
}

#[test]
fn numbers_and_durations_read_as_written() {
    assert_eq!(number(1.0 - 0.95), "0.05");
    assert_eq!(number(14.4), "14.4");
    assert_eq!(number(3_600.0), "3600");
    assert_eq!(duration(Duration::from_secs(7_200)), "2h");
    assert_eq!(duration(Duration::from_secs(5_400)), "90m");
    assert_eq!(duration(Duration::from_secs(172_800)), "2d");
    assert_eq!(duration(Duration::from_secs(45)), "45s");
}

/// A paused SLO's alerts read the same breach counters (the exporter
/// judged them on the paused clock) and say what the clock leaves out.
#[test]
fn a_paused_slo_s_alert_says_what_its_clock_leaves_out() {
    let paused = Slo {
        pause_on: vec![crate::model::Status::Pending, crate::model::Status::OnHold],
        ..slo("urgent", SloMetric::FirstResponse, 0.95)
    };
    let r = generate(&settings(vec![paused]));
    let fast = alerts(&r, SLO_FAST_BURN);
    assert_eq!(fast.len(), 1);
    assert!(
        fast[0]
            .expr
            .contains(r#"slo_team:support_slo_errors:ratio_rate1h{slo="urgent"}"#),
        "{}",
        fast[0].expr
    );
    assert!(
        fast[0]
            .description
            .contains("for a first response (not counting time while pending or on_hold);"),
        "{}",
        fast[0].description
    );
}
