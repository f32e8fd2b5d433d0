//! Dashboard generation: selectors, SLO scopes and the grid.

use super::*;
use crate::engine::slo::Objective;
use crate::metrics;
use crate::model::{Priority, Seconds};

fn slo(metric: SloMetric, clock: SloClock) -> Slo {
    Slo {
        name: "s".into(),
        metric,
        clock,
        target: Seconds(3_600.0),
        objective: Objective::DEFAULT,
        priorities: vec![Priority::Normal, Priority::Low],
        team: Some("billing".into()),
        channel: None,
        pause_on: vec![],
    }
}

#[test]
fn selectors_filter_only_by_the_labels_a_family_has() {
    assert_eq!(
        sel(&metrics::CREATED, "", &[]),
        r#"support_tickets_created_total{job=~"$job", instance=~"$instance", team=~"$team", channel=~"$channel", priority=~"$priority"}"#
    );
    assert_eq!(
        sel(&metrics::BACKLOG, "", &[]),
        r#"support_backlog_tickets{job=~"$job", instance=~"$instance", team=~"$team", priority=~"$priority"}"#
    );
    assert_eq!(
        sel(&metrics::CSAT, "", &["score=~\"4|5\""]),
        r#"support_csat_responses_total{job=~"$job", instance=~"$instance", team=~"$team", channel=~"$channel", score=~"4|5"}"#
    );
    assert_eq!(
        sel(&metrics::FIRST_RESPONSE, "_bucket", &[]),
        r#"support_first_response_seconds_bucket{job=~"$job", instance=~"$instance", team=~"$team", channel=~"$channel", priority=~"$priority"}"#
    );
}

#[test]
fn an_slo_scope_becomes_histogram_matchers() {
    let s = slo(SloMetric::FirstResponse, SloClock::Business);
    assert_eq!(
        slo_matchers(&s),
        r#"priority=~"normal|low", team="billing""#
    );
    assert_eq!(
        slo_histogram(&s).map(|f| f.name),
        Some("support_first_response_business_seconds")
    );
    assert_eq!(
        slo_histogram(&slo(SloMetric::Resolution, SloClock::Calendar)).map(|f| f.name),
        Some("support_first_resolution_seconds")
    );
    assert!(slo_histogram(&slo(SloMetric::Resolution, SloClock::Business)).is_none());
    let paused = Slo {
        pause_on: vec![crate::model::Status::Pending],
        ..s
    };
    assert!(
        slo_histogram(&paused).is_none(),
        "the histograms do not pause"
    );
}

#[test]
fn panels_tile_the_grid_without_overlap() {
    let settings = Settings {
        slos: vec![slo(SloMetric::FirstResponse, SloClock::Business)],
        ..Settings::default()
    };
    for d in generate(&settings, "x.toml") {
        let mut cells = std::collections::HashSet::new();
        for p in d.model()["panels"].as_array().unwrap() {
            let g = &p["gridPos"];
            let (x, y, w, h) = (
                g["x"].as_u64().unwrap(),
                g["y"].as_u64().unwrap(),
                g["w"].as_u64().unwrap(),
                g["h"].as_u64().unwrap(),
            );
            assert!(x + w <= 24, "{}: {} overflows", d.uid, p["title"]);
            for cx in x..x + w {
                for cy in y..y + h {
                    assert!(cells.insert((cx, cy)), "{}: {} overlaps", d.uid, p["title"]);
                }
            }
        }
    }
}

#[test]
fn an_slo_row_draws_its_target_and_objective() {
    let settings = Settings {
        slos: vec![slo(SloMetric::FirstResponse, SloClock::Business)],
        ..Settings::default()
    };
    let d = generate(&settings, "x.toml");
    let slo_dash = d.iter().find(|d| d.uid == "support-slo").unwrap();
    let panels = slo_dash.model()["panels"].as_array().unwrap();
    let quantile = panels
        .iter()
        .find(|p| p["title"] == "p95 against the target")
        .expect("quantile panel");
    assert_eq!(
        quantile["targets"][0]["expr"],
        r#"histogram_quantile(0.95, sum by (le) (rate(support_first_response_business_seconds_bucket{job=~"$job", instance=~"$instance", priority=~"normal|low", team="billing"}[$__rate_interval]))) >= 0"#
    );
    let steps = &quantile["fieldConfig"]["defaults"]["thresholds"]["steps"];
    assert_eq!(steps[1]["value"], 3_600.0);
    let attainment = panels
        .iter()
        .find(|p| p["title"] == "Attainment, 30 days")
        .unwrap();
    assert_eq!(
        attainment["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"],
        0.95
    );
}

#[test]
fn the_tickets_dashboard_speaks_the_state_stores_sql() {
    use super::tickets::{dashboard, dialect_of};
    use crate::db::Dialect;
    let mut settings = Settings::default();
    settings.state.url = "mysql://grafana@db/support_state".into();
    assert_eq!(dialect_of(&settings.state.url), Dialect::MySql);
    let mysql_dashboard = dashboard(&settings, "test");
    let mysql = mysql_dashboard.model();
    let text = mysql.to_string();
    assert_eq!(mysql["templating"]["list"][0]["query"], "mysql");
    for pg_only in [
        "::",
        "string_to_array",
        "percentile_cont",
        "to_timestamp",
        "AT TIME ZONE",
    ] {
        assert!(!text.contains(pg_only), "MySQL dialect holds `{pg_only}`");
    }
    settings.state.url = "postgres://grafana@db/support_state".into();
    let pg_dashboard = dashboard(&settings, "test");
    let pg = pg_dashboard.model();
    assert_eq!(
        pg["templating"]["list"][0]["query"],
        "grafana-postgresql-datasource"
    );
    assert!(pg.to_string().contains("percentile_cont"));
    // Without SLOs, the MySQL SLO list is one name that never matches.
    assert!(text.contains("SELECT 'none' AS slo"), "{text}");
}
