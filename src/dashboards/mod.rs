//! Grafana dashboards, generated from the configuration
//! (`support-metrics dashboards`) so that SLO rows and threshold lines
//! follow the configured SLOs.
//!
//! Owns the dashboards' JSON models. Every Prometheus query reads either a
//! family of the metric catalog (`metrics`) or a series the rules record
//! (`rules::names`); the ticket drill-down (`tickets`) reads the state
//! store's `support_ticket_facts` through a PostgreSQL data source. The
//! shipped `dashboards/grafana/*.json` are this module's output for the
//! example configuration.

mod health;
mod overview;
pub mod panel;
mod slo;
pub use slo::describe as describe_slo;
mod speed;
mod surveys;
mod team;
pub mod tickets;

use serde_json::{Value, json};

use crate::config::Settings;
use crate::engine::slo::{Slo, SloClock, SloMetric};
use crate::metrics::Family;
use panel::{Kind, Panel};

/// The tag every dashboard carries; their link menus list each other by it.
pub const TAG: &str = "support-metrics";

/// A dashboard ready to import.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub uid: &'static str,
    pub title: &'static str,
    model: Value,
    panels: usize,
}

impl Filters {
    /// The ticket-label variables the dashboard offers.
    fn offered(self) -> &'static [&'static str] {
        match self {
            Filters::None => &[],
            Filters::All => &["team", "channel", "priority"],
            Filters::Teams | Filters::OneTeam => &["team"],
        }
    }
}

impl Dashboard {
    /// The JSON model, pretty-printed, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.model).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn model(&self) -> &Value {
        &self.model
    }

    /// Panels other than rows.
    pub fn panel_count(&self) -> usize {
        self.panels
    }
}

/// Which template variables a dashboard offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filters {
    /// Only `${datasource}`.
    None,
    /// `team`, `channel` and `priority`, each multi-valued with All.
    All,
    /// `team`, multi-valued with All.
    Teams,
    /// One `team` (a drill-down).
    OneTeam,
}

/// The dashboards for `settings`; `source` names the configuration file in
/// each dashboard's description. Each offers only the filters that apply to
/// every one of its panels.
pub fn generate(settings: &Settings, source: &str) -> Vec<Dashboard> {
    vec![
        build(
            "support-overview",
            "Support overview",
            "The queue right now, SLO attainment, satisfaction, re-routes and reopens, by team.",
            Filters::Teams,
            overview::panels(settings),
            source,
        ),
        build(
            "support-speed",
            "Support speed",
            "Tickets created and solved, first response and resolution times, interactions and one-touch resolutions, by team, channel and priority.",
            Filters::All,
            speed::panels(),
            source,
        ),
        build(
            crate::model::SURVEYS_DASHBOARD,
            "Support surveys, organisation-wide",
            "The exact CSAT, NPS, eNPS, customer effort and SERVQUAL gaps of the whole organisation over their windows.",
            Filters::None,
            surveys::panels(),
            source,
        ),
        build(
            "support-slo",
            "Support SLOs",
            "Attainment, error budget, burn rates and active breaches of each configured SLO.",
            Filters::None,
            slo::panels(settings),
            source,
        ),
        build(
            "support-team",
            "Support team drill-down",
            "One team: its queue, speed by priority, satisfaction by channel, routing and engagement.",
            Filters::OneTeam,
            team::panels(settings),
            source,
        ),
        build(
            "support-exporter",
            "Support metrics exporter health",
            "Is the exporter scraped, reading its source and running its jobs on time?",
            Filters::None,
            health::panels(settings),
            source,
        ),
        tickets::dashboard(settings, source),
    ]
}

fn build(
    uid: &'static str,
    title: &'static str,
    description: &str,
    filters: Filters,
    mut panels: Vec<Panel>,
    source: &str,
) -> Dashboard {
    // `sel` filters by every ticket label a family has; a dashboard that
    // does not offer a variable must not match on it (an unset `$channel`
    // would match nothing).
    let offered = filters.offered();
    for p in &mut panels {
        for q in &mut p.queries {
            for var in ["team", "channel", "priority"] {
                if !offered.contains(&var) {
                    q.expr = q.expr.replace(&format!(", {var}=~\"${var}\""), "");
                }
            }
        }
    }
    let count = panels.iter().filter(|p| p.kind != Kind::Row).count();
    let model = json!({
        "uid": uid,
        "title": title,
        "description": format!("{description} Generated by `support-metrics dashboards` from {source}; regenerate after changing the SLOs."),
        "tags": [TAG],
        // Provisioned dashboards cannot be saved from the UI: edits would
        // be lost, so the UI does not offer them.
        "editable": false,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-7d", "to": "now"},
        "timezone": "browser",
        "links": links(),
        "templating": {"list": variables(filters)},
        "annotations": {"list": []},
        "panels": layout(&panels),
    });
    Dashboard {
        uid,
        title,
        model,
        panels: count,
    }
}

/// Every dashboard's menu of the others (by their tag), carrying its
/// variables and time range: the overview opens the ticket drill-down on
/// the team and week it shows.
fn links() -> Value {
    json!([{
        "type": "dashboards", "tags": [TAG], "asDropdown": true,
        "icon": "external link", "targetBlank": false, "tooltip": "",
        "title": "Support dashboards", "includeVars": true, "keepTime": true,
    }])
}

/// Panels placed left to right on Grafana's 24-column grid, wrapping.
fn layout(panels: &[Panel]) -> Vec<Value> {
    let (mut x, mut y, mut line_height) = (0, 0, 0);
    let mut out = Vec::new();
    for (i, p) in panels.iter().enumerate() {
        if x + p.width > 24 || p.kind == Kind::Row {
            if x > 0 {
                y += line_height;
            }
            x = 0;
            line_height = 0;
        }
        out.push(p.to_json(i as u32 + 1, x, y));
        x += p.width;
        line_height = line_height.max(p.height);
    }
    out
}

fn variables(filters: Filters) -> Vec<Value> {
    let mut vars = vec![json!({
        "name": "datasource", "label": "Data source", "type": "datasource",
        "query": "prometheus", "refresh": 1, "hide": 0,
        "current": {"text": "default", "value": "default"},
    })];
    let query_var = |name: &str, label: &str, query: String, multi: bool| {
        let mut v = json!({
            "name": name, "label": label, "type": "query",
            "datasource": panel::datasource(),
            "query": {"query": query, "refId": "StandardVariableQuery"},
            "refresh": 2, "sort": 1, "hide": 0,
            "multi": multi, "includeAll": multi,
        });
        if multi {
            v["allValue"] = json!(".*");
            v["current"] = json!({"text": "All", "value": "$__all"});
        } else {
            // Grafana selects the first team on load.
            v["current"] = json!({"text": "", "value": ""});
        }
        v
    };
    // The scrape job and instance (dashboard-linter's job/instance rules):
    // from the exporter's build info, which every instance serves.
    let info = crate::metrics::BUILD_INFO.name;
    vars.push(query_var(
        "job",
        "Job",
        format!("label_values({info}, job)"),
        true,
    ));
    vars.push(query_var(
        "instance",
        "Instance",
        format!("label_values({info}{{job=~\"$job\"}}, instance)"),
        true,
    ));
    // Ticket labels, from the tickets created.
    let ticket_var = |name: &str, label: &str, multi: bool| {
        let q = format!("label_values({}, {name})", crate::metrics::CREATED.name);
        query_var(name, label, q, multi)
    };
    match filters {
        Filters::None => {}
        Filters::All => {
            vars.push(ticket_var("team", "Team", true));
            vars.push(ticket_var("channel", "Channel", true));
            vars.push(ticket_var("priority", "Priority", true));
        }
        Filters::Teams => vars.push(ticket_var("team", "Team", true)),
        Filters::OneTeam => vars.push(ticket_var("team", "Team", false)),
    }
    vars
}

/// `family{…}` with a regex matcher for each dashboard variable the family
/// has a label for, then `extra` matchers (already written, e.g.
/// `score=~"4|5"`). Histograms take `suffix` (`_bucket`).
pub(crate) fn sel(family: &Family, suffix: &str, extra: &[&str]) -> String {
    let mut matchers: Vec<String> = vec![SCRAPE.to_string()];
    matchers.extend(
        ["team", "channel", "priority"]
            .iter()
            .filter(|l| family.labels.contains(l))
            .map(|l| format!("{l}=~\"${l}\"")),
    );
    matchers.extend(extra.iter().map(|m| m.to_string()));
    format!("{}{suffix}{{{}}}", family.name, matchers.join(", "))
}

/// The scrape's target labels, from the `job` and `instance` variables:
/// every series the exporter serves carries them (recorded series, which
/// aggregate over them, do not; only the leader of several replicas serves
/// data, so aggregating never counts a ticket twice).
pub(crate) const SCRAPE: &str = "job=~\"$job\", instance=~\"$instance\"";

/// `name{job=~"$job", instance=~"$instance", extra…}`: a series of the
/// exporter (or Prometheus' own `up`) that no team/channel/priority
/// variable applies to.
pub(crate) fn raw(name: &str, extra: &[&str]) -> String {
    let mut matchers = vec![SCRAPE.to_string()];
    matchers.extend(extra.iter().map(|m| m.to_string()));
    format!("{name}{{{}}}", matchers.join(", "))
}

/// The label matchers of the tickets `slo` covers, for the histograms
/// (which carry team, channel and priority).
pub(crate) fn slo_matchers(slo: &Slo) -> String {
    let mut m = Vec::new();
    if !slo.priorities.is_empty() {
        let ps: Vec<&str> = slo.priorities.iter().map(|p| p.as_str()).collect();
        m.push(format!("priority=~\"{}\"", ps.join("|")));
    }
    if let Some(t) = &slo.team {
        m.push(format!("team=\"{}\"", escape(t)));
    }
    if let Some(c) = &slo.channel {
        m.push(format!("channel=\"{}\"", escape(c)));
    }
    m.join(", ")
}

/// The histogram measuring what `slo` judges, when there is one: business
/// resolution has none (it would need a second resolution histogram).
pub(crate) fn slo_histogram(slo: &Slo) -> Option<&'static Family> {
    use crate::metrics;
    // The histograms hold the plain clocks: a paused SLO's quantile is not
    // theirs.
    if !slo.pause_on.is_empty() {
        return None;
    }
    match (slo.metric, slo.clock) {
        (SloMetric::FirstResponse, SloClock::Business) => Some(&metrics::FIRST_RESPONSE_BUSINESS),
        (SloMetric::FirstResponse, SloClock::Calendar) => Some(&metrics::FIRST_RESPONSE),
        (SloMetric::Resolution, SloClock::Calendar) => Some(&metrics::FIRST_RESOLUTION),
        (SloMetric::Resolution, SloClock::Business) => None,
    }
}

/// A PromQL string literal's content.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `histogram_quantile(q, …)` of a histogram family over the panel's rate
/// interval, keeping `by` labels.
pub(crate) fn quantile(q: f64, bucket_selector: &str, by: &str) -> String {
    let by = if by.is_empty() {
        "le".to_string()
    } else {
        format!("le, {by}")
    };
    // `>= 0` drops the NaN of a group without observations in the window
    // (a priority with no first response this hour): no point, not NaN.
    format!(
        "histogram_quantile({}, sum by ({by}) (rate({bucket_selector}[$__rate_interval]))) >= 0",
        crate::rules::number(q)
    )
}

/// Distinct SLO targets (seconds) of the SLOs matching `keep`, ascending:
/// threshold lines on the panels that plot what those SLOs judge.
/// The targets of the SLOs `keep` selects whose clock a histogram holds:
/// a paused clock's (or business-time resolution's) target drawn on a
/// plain-clock quantile would say nothing about the SLO.
pub(crate) fn targets(settings: &Settings, keep: impl Fn(&Slo) -> bool) -> Vec<f64> {
    let mut t: Vec<f64> = settings
        .slos
        .iter()
        .filter(|s| keep(s) && slo_histogram(s).is_some())
        .map(|s| s.target.0)
        .collect();
    t.sort_by(f64::total_cmp);
    t.dedup();
    t
}

/// Threshold steps turning orange at the first target and red at the last.
pub(crate) fn target_steps(targets: &[f64]) -> Vec<(f64, &'static str)> {
    let n = targets.len();
    targets
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, if i + 1 == n { "red" } else { "orange" }))
        .collect()
}

#[cfg(test)]
mod tests;
