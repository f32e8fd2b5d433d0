//! Prometheus recording and alerting rules, generated from the
//! configuration (`support-metrics rules`) so that the SLO alerts never
//! drift from the `[[slo]]` they watch.
//!
//! Owns what the rules say — expressions, thresholds, annotations — and
//! their YAML form. Knows nothing of Prometheus' API; the shipped
//! `dashboards/prometheus/support-metrics.rules.yml` is this module's output
//! for the example configuration.

pub mod names;
mod yaml;

use std::time::Duration;

use crate::config::Settings;
use crate::engine::slo::{Slo, SloMetric};
use crate::metrics;
use crate::model::Priority;
use names::TeamRatio;

/// How urgently a human must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Wake someone up: customers are waiting now.
    Page,
    /// Look at it in working hours.
    Ticket,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }
}

/// One recording or alerting rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Record {
        record: String,
        expr: String,
        labels: Vec<(String, String)>,
    },
    Alert(Alert),
}

impl Rule {
    pub fn expr(&self) -> &str {
        match self {
            Rule::Record { expr, .. } => expr,
            Rule::Alert(a) => &a.expr,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub name: &'static str,
    pub expr: String,
    /// How long the condition must hold before the alert fires.
    pub for_: Option<&'static str>,
    pub severity: Severity,
    /// Labels beyond `severity` (e.g. `slo`).
    pub labels: Vec<(String, String)>,
    pub summary: String,
    pub description: String,
    pub runbook_url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: &'static str,
    pub rules: Vec<Rule>,
}

/// A rule file and what the generator wants the user to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub groups: Vec<Group>,
    /// E.g. a burn-rate alert that can never fire with this objective.
    pub warnings: Vec<String>,
}

impl Rules {
    pub fn all(&self) -> impl Iterator<Item = &Rule> {
        self.groups.iter().flat_map(|g| g.rules.iter())
    }

    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.all().filter_map(|r| match r {
            Rule::Alert(a) => Some(a),
            Rule::Record { .. } => None,
        })
    }

    /// Names of the series the recording rules produce.
    pub fn recorded(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .all()
            .filter_map(|r| match r {
                Rule::Record { record, .. } => Some(record.as_str()),
                Rule::Alert(_) => None,
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The rule file, with a header saying where it came from.
    pub fn to_yaml(&self, source: &str) -> String {
        yaml::render(self, source)
    }

    /// The same groups as a Prometheus Operator `PrometheusRule` object
    /// (`monitoring.coreos.com/v1`), for `kubectl apply`.
    pub fn to_prometheus_rule(&self, source: &str) -> String {
        yaml::render_operator(self, source)
    }
}

/// The alert names, each with a `### Name` section in the README's runbook.
pub const SLO_FAST_BURN: &str = "SupportSLOFastBurn";
pub const SLO_SLOW_BURN: &str = "SupportSLOSlowBurn";
pub const FIRST_RESPONSE_WAITING: &str = "SupportFirstResponseWaiting";
pub const EXPORTER_DOWN: &str = "SupportExporterDown";
pub const SOURCE_DOWN: &str = "SupportSourceDown";
pub const DATA_STALE: &str = "SupportDataStale";
pub const JOB_FAILING: &str = "SupportJobFailing";
pub const DIGEST_FAILING: &str = "SupportDigestEmailsFailing";

/// One multi-window burn-rate condition (SRE workbook, ch. 5, table 5-8):
/// both windows must burn faster than `factor` times the error budget.
struct BurnWindows {
    long: &'static str,
    short: &'static str,
    factor: f64,
    /// Share of the 30-day budget spent when the long window fires.
    spent: &'static str,
}

const FAST: [BurnWindows; 2] = [
    BurnWindows {
        long: "1h",
        short: "5m",
        factor: 14.4,
        spent: "2%",
    },
    BurnWindows {
        long: "6h",
        short: "30m",
        factor: 6.0,
        spent: "5%",
    },
];
const SLOW: [BurnWindows; 2] = [
    BurnWindows {
        long: "1d",
        short: "2h",
        factor: 3.0,
        spent: "10%",
    },
    BurnWindows {
        long: "3d",
        short: "6h",
        factor: 1.0,
        spent: "10%",
    },
];

/// The rules for `settings`; the same configuration always gives the same
/// rules.
pub fn generate(settings: &Settings) -> Rules {
    let mut warnings = Vec::new();
    let mut groups = vec![slo_recording(&settings.slos), team_ratios()];
    let mut slo_alerts = Vec::new();
    for slo in &settings.slos {
        if slo.metric != SloMetric::FirstResponse {
            continue;
        }
        let budget = slo.objective.error_budget();
        if let Some(w) = FAST.iter().find(|w| w.factor * budget >= 1.0) {
            warnings.push(format!(
                "slo `{}`: with objective {} the error budget is {}, so a {}× burn ({} / {}) needs more than 100% of tickets to breach and can never page; an objective of at least {} makes it reachable",
                slo.name,
                number(slo.objective.ratio()),
                percent(budget),
                number(w.factor),
                w.long,
                w.short,
                number(((1.0 - 1.0 / w.factor) * 1e4).ceil() / 1e4),
            ));
        }
        slo_alerts.push(Rule::Alert(burn_alert(
            settings,
            slo,
            SLO_FAST_BURN,
            Severity::Page,
            &FAST,
        )));
        slo_alerts.push(Rule::Alert(burn_alert(
            settings,
            slo,
            SLO_SLOW_BURN,
            Severity::Ticket,
            &SLOW,
        )));
    }
    if !slo_alerts.is_empty() {
        groups.push(Group {
            name: "support-metrics.slo-alerts",
            rules: slo_alerts,
        });
    }
    groups.push(queue_alerts(settings));
    groups.push(exporter_alerts(settings, &mut warnings));
    Rules { groups, warnings }
}

fn record(record: String, expr: String) -> Rule {
    Rule::Record {
        record,
        expr,
        labels: vec![],
    }
}

fn slo_recording(slos: &[Slo]) -> Group {
    let mut rules = Vec::new();
    for slo in slos {
        let labels = vec![("slo".to_string(), slo.name.clone())];
        rules.push(Rule::Record {
            record: names::SLO_OBJECTIVE.into(),
            expr: format!("vector({})", number(slo.objective.ratio())),
            labels: labels.clone(),
        });
        rules.push(Rule::Record {
            record: names::SLO_TARGET.into(),
            expr: format!("vector({})", number(slo.target.0)),
            labels,
        });
    }
    // Breaches per judged ticket over `w`, grouped `by`; a group without
    // judged tickets in the window has no ratio, not NaN.
    let error_ratio = |by: &str, w: &str| {
        format!(
            "sum by ({by}) (rate({breaches}[{w}]))\n/\n(sum by ({by}) (rate({measured}[{w}])) > 0)",
            breaches = metrics::SLO_BREACHES.name,
            measured = metrics::SLO_MEASURED.name,
        )
    };
    for w in names::SLO_WINDOWS {
        rules.push(record(names::slo_error_ratio(w), error_ratio("slo", w)));
    }
    // The long window of each burn-rate condition.
    let long_windows = FAST.iter().chain(SLOW.iter()).map(|b| b.long);
    for w in long_windows.clone() {
        rules.push(record(
            names::slo_measured(w),
            format!(
                "sum by (slo) (increase({}[{w}]))",
                metrics::SLO_MEASURED.name
            ),
        ));
    }
    // The alerts' series, per team: each pair's error ratios, the tickets
    // judged over its long window, the breaches in its short one.
    // (6h is one pair's long window and another's short one: once each.)
    let mut ratio_windows: Vec<&str> = Vec::new();
    for b in FAST.iter().chain(SLOW.iter()) {
        for w in [b.long, b.short] {
            if ratio_windows.contains(&w) {
                continue;
            }
            ratio_windows.push(w);
            rules.push(record(
                names::slo_team_error_ratio(w),
                error_ratio("slo, team", w),
            ));
        }
        rules.push(record(
            names::slo_team_measured(b.long),
            format!(
                "sum by (slo, team) (increase({}[{}]))",
                metrics::SLO_MEASURED.name,
                b.long
            ),
        ));
        rules.push(record(
            names::slo_team_breaches(b.short),
            format!(
                "sum by (slo, team) (increase({}[{}]))",
                metrics::SLO_BREACHES.name,
                b.short
            ),
        ));
    }
    for w in long_windows.chain([names::SLO_PERIOD]) {
        rules.push(record(
            names::slo_burn_rate(w),
            format!(
                "{}\n/ on (slo)\n(1 - {})",
                names::slo_error_ratio(w),
                names::SLO_OBJECTIVE
            ),
        ));
    }
    rules.push(record(
        names::SLO_BUDGET_REMAINING.into(),
        format!("1 - {}", names::slo_burn_rate(names::SLO_PERIOD)),
    ));
    Group {
        name: "support-metrics.slo",
        rules,
    }
}

fn team_ratios() -> Group {
    let rules = TeamRatio::ALL
        .iter()
        .flat_map(|r| names::TEAM_WINDOWS.iter().map(move |w| (*r, *w)))
        .map(|(r, w)| {
            let (num, den) = r.parts();
            record(
                r.name(w),
                // A team without solves (answers) in the window has no
                // ratio, not NaN.
                format!(
                    "sum by (team) (rate({num}[{w}]))\n/\n(sum by (team) (rate({den}[{w}])) > 0)"
                ),
            )
        })
        .collect();
    Group {
        name: "support-metrics.ratios",
        rules,
    }
}

fn burn_alert(
    settings: &Settings,
    slo: &Slo,
    name: &'static str,
    severity: Severity,
    pairs: &[BurnWindows; 2],
) -> Alert {
    let budget = number(slo.objective.error_budget());
    let min = settings.alerts.burn_rate_min_tickets;
    let min_short = settings.alerts.burn_rate_min_short_breaches;
    let sel = format!("{{slo=\"{}\"}}", slo.name);
    // Both windows over the burn rate, enough tickets judged over the long
    // one and enough breaches in the short one (small queues: README).
    let condition = |b: &BurnWindows| {
        let f = number(b.factor);
        format!(
            "(\n  {long}{sel} > ({f} * {budget})\nand\n  {short}{sel} > ({f} * {budget})\nand\n  {count}{sel} >= {min}\nand\n  {breaches}{sel} >= {min_short}\n)",
            long = names::slo_team_error_ratio(b.long),
            short = names::slo_team_error_ratio(b.short),
            count = names::slo_team_measured(b.long),
            breaches = names::slo_team_breaches(b.short),
        )
    };
    let [a, b] = pairs;
    let target = duration(Duration::from_secs_f64(slo.target.0));
    let paused = slo
        .pauses_text()
        .map(|p| format!(" (not counting time while {p})"))
        .unwrap_or_default();
    let speed = if severity == Severity::Page {
        "fast"
    } else {
        "steadily"
    };
    Alert {
        name,
        expr: format!("{}\nor\n{}", condition(a), condition(b)),
        for_: None,
        severity,
        labels: vec![("slo".into(), slo.name.clone())],
        summary: format!(
            "First responses of {{{{ $labels.team }}}} are missing the {target} target of SLO {} {speed}",
            slo.name
        ),
        description: format!(
            "{{{{ $value | humanizePercentage }}}} of team {{{{ $labels.team }}}}'s tickets that SLO {name} judged over the long window waited longer than {target} for a first response{paused}; its objective of {objective} allows {budget_pct}. This burns the 30-day error budget {fa}× faster than sustainable over {al} and {as_} (or {fb}× over {bl} and {bs}): {spent} of the budget or more is gone. At least {min} tickets were judged over the long window and {min_short} breached over the short one.",
            name = slo.name,
            objective = percent(slo.objective.ratio()),
            budget_pct = percent(slo.objective.error_budget()),
            fa = number(a.factor),
            al = a.long,
            as_ = a.short,
            fb = number(b.factor),
            bl = b.long,
            bs = b.short,
            spent = a.spent,
        ),
        runbook_url: runbook(settings, name),
    }
}

fn queue_alerts(settings: &Settings) -> Group {
    // Most urgent first.
    let rules = [
        Priority::Urgent,
        Priority::High,
        Priority::Normal,
        Priority::Low,
        Priority::None,
    ]
    .into_iter()
    .filter_map(|p| {
        let limit = settings.alerts.oldest_awaiting_first_response.get(&p)?;
        Some((p, limit))
    })
    .map(|(priority, limit)| {
            let limit_s = duration(*limit);
            Rule::Alert(Alert {
                name: FIRST_RESPONSE_WAITING,
                // Business time in the team's calendar (calendar time
                // without one), and only while the team is open: a queue
                // that waits overnight pages when the team opens, not at 3 am.
                expr: format!(
                    "max by (team, priority) ({}{{priority=\"{p}\"}}) > {}\nand on (team)\nmax by (team) ({}) == 1",
                    metrics::OLDEST_AWAITING_BUSINESS.name,
                    limit.as_secs(),
                    metrics::TEAM_OPEN.name,
                    p = priority.as_str(),
                ),
                for_: Some("5m"),
                severity: if priority == Priority::Urgent {
                    Severity::Page
                } else {
                    Severity::Ticket
                },
                // Also on the series; static, it tells the rules apart.
                labels: vec![("priority".into(), priority.as_str().into())],
                summary: format!(
                    "The oldest {} ticket of {{{{ $labels.team }}}} has waited over {limit_s} for a first response",
                    // Not "the oldest none ticket".
                    match priority {
                        Priority::None => "unprioritised",
                        p => p.as_str(),
                    }
                ),
                description: format!(
                    "The oldest {p} ticket of team {{{{ $labels.team }}}} without an agent reply has waited {{{{ $value | humanizeDuration }}}} of the team's business hours (the limit for {p} is {limit_s}; calendar time for a team without a calendar).",
                    p = priority.as_str()
                ),
                runbook_url: runbook(settings, FIRST_RESPONSE_WAITING),
            })
        })
        .collect();
    Group {
        name: "support-metrics.queue-alerts",
        rules,
    }
}

fn exporter_alerts(settings: &Settings, warnings: &mut Vec<String>) -> Group {
    let job = &settings.alerts.prometheus_job;
    let up = format!("up{{job=\"{job}\"}}");
    let mut rules = vec![
        Alert {
            name: EXPORTER_DOWN,
            expr: format!("{up} == 0\nor\nabsent({up})"),
            for_: Some("5m"),
            severity: Severity::Ticket,
            labels: vec![],
            summary: "Prometheus cannot scrape support-metrics".into(),
            description: format!(
                "{{{{ if $labels.instance }}}}Prometheus could not scrape {{{{ $labels.instance }}}} of job {job} for 5 minutes.{{{{ else }}}}Prometheus has no target for scrape job {job}: check its scrape configuration.{{{{ end }}}} Support dashboards and SLO alerts are blind meanwhile."
            ),
            runbook_url: runbook(settings, EXPORTER_DOWN),
        },
        Alert {
            name: SOURCE_DOWN,
            expr: format!("{} == 0", metrics::SOURCE_UP.name),
            for_: Some("5m"),
            severity: Severity::Ticket,
            labels: vec![],
            summary: "support-metrics cannot read the helpdesk database".into(),
            description: "The collect job of {{ $labels.instance }} has failed to read the source for 5 minutes; its counters are frozen at the last successful collection.".into(),
            runbook_url: runbook(settings, SOURCE_DOWN),
        },
    ];
    for (job_name, schedule) in [
        ("collect", &settings.schedule.collect),
        ("kpi", &settings.schedule.kpi),
    ] {
        let limit = stale_limit(settings, job_name, schedule, warnings);
        rules.push(Alert {
            name: DATA_STALE,
            expr: format!(
                "time() - {}{{job_name=\"{job_name}\"}} > {}",
                metrics::JOB_LAST_SUCCESS.name,
                limit.as_secs()
            ),
            for_: None,
            severity: Severity::Ticket,
            labels: vec![("job_name".into(), job_name.into())],
            summary: format!("support-metrics' {job_name} job has not succeeded for over {}", duration(limit)),
            description: format!(
                "The last successful {job_name} run of {{{{ $labels.instance }}}} was {{{{ $value | humanizeDuration }}}} ago (limit {}, from schedule.{job_name}). The numbers on the dashboards are that old.",
                duration(limit)
            ),
            runbook_url: runbook(settings, DATA_STALE),
        });
    }
    let runs = metrics::JOB_RUNS.name;
    rules.push(Alert {
        name: JOB_FAILING,
        expr: format!(
            "sum by (job, instance, job_name) (increase({runs}{{result=\"error\"}}[30m])) > 0\nunless on (job, instance, job_name)\nsum by (job, instance, job_name) (increase({runs}{{result=\"ok\"}}[30m])) > 0"
        ),
        for_: None,
        severity: Severity::Ticket,
        labels: vec![],
        summary: "support-metrics' {{ $labels.job_name }} job keeps failing".into(),
        description: "The {{ $labels.job_name }} job of {{ $labels.instance }} has not succeeded in the last 30 minutes (failed runs: {{ $value | humanize }}). Its log line \"job failed\" says why.".into(),
        runbook_url: runbook(settings, JOB_FAILING),
    });
    rules.push(Alert {
        name: DIGEST_FAILING,
        expr: format!(
            "sum by (job, instance) (increase({}{{result=\"failed\"}}[15m])) > 0",
            metrics::DIGEST_EMAILS.name
        ),
        for_: None,
        severity: Severity::Ticket,
        labels: vec![],
        summary: "Weekly digest emails are not being delivered".into(),
        description: "{{ $labels.instance }} failed to deliver {{ $value | humanize }} digest emails in the last 15 minutes; the digest job retries every 10 minutes until the SMTP server accepts them.".into(),
        runbook_url: runbook(settings, DIGEST_FAILING),
    });
    Group {
        name: "support-metrics.exporter-alerts",
        rules: rules.into_iter().map(Rule::Alert).collect(),
    }
}

/// `alerts.stale_after`, or twice the schedule's longest gap plus 5 minutes
/// (whole minutes): a job may miss one run without an alert.
pub fn stale_limit(
    settings: &Settings,
    job_name: &str,
    schedule: &cron::Schedule,
    warnings: &mut Vec<String>,
) -> Duration {
    let margin = Duration::from_secs(300);
    if let Some(d) = settings
        .alerts
        .stale_after
        .filter(|_| job_name == "collect")
    {
        return d;
    }
    // A fixed Monday: the same configuration always gives the same file.
    let anchor = chrono::DateTime::parse_from_rfc3339("2026-01-05T00:00:00Z")
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    match crate::config::longest_gap(schedule, settings.timezone, anchor)
        .and_then(|g| g.to_std().ok())
    {
        Some(gap) => {
            let secs = (2 * gap + margin).as_secs().div_ceil(60) * 60;
            Duration::from_secs(secs)
        }
        None => {
            warnings.push(format!(
                "schedule.{job_name} runs less than twice in 15 days; its stale-data alert uses 1 day"
            ));
            Duration::from_secs(86_400)
        }
    }
}

fn runbook(settings: &Settings, alert: &str) -> String {
    format!(
        "{}#{}",
        settings.alerts.runbook_url,
        alert.to_ascii_lowercase()
    )
}

/// A number as PromQL and people read it: no float noise (0.05, not
/// 0.050000000000000044), no trailing `.0`.
pub fn number(v: f64) -> String {
    let rounded = (v * 1e9).round() / 1e9;
    format!("{rounded}")
}

fn percent(ratio: f64) -> String {
    format!("{}%", number(ratio * 100.0))
}

/// A duration in the largest unit that divides it: 2h, 90m, 1d, 45s.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "0s".into(),
        _ if s.is_multiple_of(86_400) => format!("{}d", s / 86_400),
        _ if s.is_multiple_of(3_600) => format!("{}h", s / 3_600),
        _ if s.is_multiple_of(60) => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests;
