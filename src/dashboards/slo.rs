//! "Support SLOs": one row per configured SLO — attainment against its
//! objective, error budget, burn rates against the alert factors, active
//! breaches, and the quantile at the objective against the target.

use super::panel::Panel;
use super::raw;
use super::{SCRAPE, quantile, slo_histogram, slo_matchers};
use crate::config::Settings;
use crate::engine::slo::{Slo, SloClock, SloMetric};
use crate::metrics as m;
use crate::rules::duration;
use crate::rules::names::{
    SLO_BUDGET_REMAINING, slo_burn_rate, slo_error_ratio, slo_team_error_ratio,
};

pub(super) fn panels(settings: &Settings) -> Vec<Panel> {
    let mut out = Vec::new();
    if settings.slos.is_empty() {
        out.push(Panel::row(
            "No SLO is configured: add [[slo]] entries and regenerate",
        ));
    }
    for slo in &settings.slos {
        out.extend(row(slo));
    }
    out
}

fn what_and_clock(slo: &Slo) -> (&'static str, String) {
    let what = match slo.metric {
        SloMetric::FirstResponse => "first response",
        SloMetric::Resolution => "resolution",
    };
    let clock = match slo.clock {
        SloClock::Business => "business hours",
        SloClock::Calendar => "calendar",
    };
    let clock = match slo.pauses_text() {
        Some(p) => format!("{clock}, paused while {p}"),
        None => clock.to_string(),
    };
    (what, clock)
}

/// Why `slo_histogram` has none for `slo`.
fn no_histogram_reason(slo: &Slo) -> &'static str {
    if slo.pause_on.is_empty() {
        "Business-hours resolution"
    } else {
        "A clock that pauses"
    }
}

/// "first response time in business hours"
fn measure(slo: &Slo) -> String {
    let (what, clock) = what_and_clock(slo);
    format!("{what} time ({clock})")
}

/// "first response ≤ 1h (business hours), urgent · objective 95%"
pub fn describe(slo: &Slo) -> String {
    let (what, clock) = what_and_clock(slo);
    let mut scope: Vec<String> = Vec::new();
    if !slo.priorities.is_empty() {
        let ps: Vec<&str> = slo.priorities.iter().map(|p| p.as_str()).collect();
        scope.push(ps.join("/"));
    }
    if let Some(t) = &slo.team {
        scope.push(format!("team {t}"));
    }
    if let Some(c) = &slo.channel {
        scope.push(format!("channel {c}"));
    }
    let scope = if scope.is_empty() {
        "all tickets".to_string()
    } else {
        scope.join(", ")
    };
    format!(
        "{what} ≤ {} ({clock}), {scope} · objective {}%",
        target(slo),
        crate::rules::number(slo.objective.ratio() * 100.0)
    )
}

fn target(slo: &Slo) -> String {
    duration(std::time::Duration::from_secs_f64(slo.target.0))
}

fn row(slo: &Slo) -> Vec<Panel> {
    let name = &slo.name;
    let s = format!("{{slo=\"{name}\"}}");
    let slo_m = format!("slo=\"{name}\"");
    let objective = slo.objective.ratio();
    let mut panels = vec![
        Panel::row(&format!("{name}: {}", describe(slo))),
        Panel::stat(
            "Attainment, 30 days",
            "percentunit",
            &format!("Share of the tickets SLO {name} judged in the last 30 days that met its {} target. Green from the objective ({}%).", target(slo), crate::rules::number(objective * 100.0)),
        )
        .query(format!("1 - {}{s}", slo_error_ratio("30d")), "attainment")
        .no_value("no tickets judged")
        .steps("red", &[(objective, "green")])
        .decimals(1),
        Panel::stat(
            "Error budget left, 30 days",
            "percentunit",
            &format!("Share of the 30-day error budget (the {}% of tickets allowed to miss the target) not yet spent. Below 0: the objective is missed over 30 days.", crate::rules::number(slo.objective.error_budget() * 100.0)),
        )
        .query(format!("{SLO_BUDGET_REMAINING}{s}"), "budget left")
        .no_value("no tickets judged")
        .steps("red", &[(0.0, "orange"), (0.25, "green")])
        .decimals(0),
        Panel::stat(
            "Active breaches",
            "short",
            &format!("Open tickets covered by SLO {name} whose running clock has passed the {} target before being measured, as of the last collection. They count as breaches once measured.", target(slo)),
        )
        .query(format!("sum({})", raw(m::SLO_ACTIVE.name, &[&slo_m])), "breaching")
        .neutral()
        .no_value("0"),
        Panel::stat(
            "Tickets judged, 1 day",
            "short",
            "Measurements the SLO judged in the last 24 hours: the volume its burn rates rest on.",
        )
        .query(
            format!("sum(increase({}[1d]))", raw(m::SLO_MEASURED.name, &[&slo_m])),
            "judged",
        )
        .decimals(0),
        Panel::timeseries(
            "Burn rate",
            "none",
            &if slo.metric == SloMetric::FirstResponse {
                "Error ratio over each window divided by the error budget: 1 spends the budget in exactly 30 days. Dashed lines: the alert factors (1 and 3 open a ticket over 3d/1d, 6 and 14.4 page over 6h/1h, each per team, with a short window and a minimum of tickets and breaches).".to_string()
            } else {
                "Error ratio over each window divided by the error budget: 1 spends the budget in exactly 30 days. Resolution SLOs do not alert (their breaches are known only when tickets are solved, days later); the dashed lines are the first-response alerts' factors, for comparison.".to_string()
            },
        )
        .query(format!("{}{s}", slo_burn_rate("1h")), "1h")
        .query(format!("{}{s}", slo_burn_rate("6h")), "6h")
        .query(format!("{}{s}", slo_burn_rate("1d")), "1d")
        .query(format!("{}{s}", slo_burn_rate("3d")), "3d")
        .steps("green", &[(1.0, "yellow"), (3.0, "orange"), (6.0, "red"), (14.4, "dark-red")])
        .lines()
        .min(0.0)
        .size(8, 8),
        Panel::timeseries(
            "Attainment by team, 1 day",
            "percentunit",
            "Share of each team's tickets this SLO judged over the last day that met the target (the team at the measurement): the series the burn-rate alerts watch, per team. Dashed line: the objective.",
        )
        .query(format!("1 - {}{s}", slo_team_error_ratio("1d")), "{{team}}")
        .steps("red", &[(objective, "green")])
        .lines()
        .range(0.0, 1.0)
        .size(8, 8),
        Panel::timeseries(
            "Attainment, rolling",
            "percentunit",
            "Share of judged tickets within target over the last day and the last 7 days. Dashed line: the objective.",
        )
        .query(format!("1 - {}{s}", slo_error_ratio("1d")), "1 day")
        .query(format!("1 - {}{s}", slo_error_ratio("7d")), "7 days")
        .steps("red", &[(objective, "green")])
        .lines()
        .range(0.0, 1.0)
        .size(8, 8),
    ];
    // The quantile at the objective stays under the target exactly when the
    // objective is met: the histogram has the target as a bucket bound.
    let q = crate::rules::number(objective * 100.0);
    let title = format!("p{q} against the target");
    match slo_histogram(slo) {
        Some(h) => {
            let matchers = [SCRAPE.to_string(), slo_matchers(slo)]
                .into_iter()
                .filter(|m| !m.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let bucket = format!("{}_bucket{{{matchers}}}", h.name);
            panels.push(
                Panel::timeseries(
                    &title,
                    "s",
                    &format!("The {q}th percentile of the {} of the tickets SLO {name} covers, per hour, from the histogram {} (whose buckets include the target). A point under the dashed target line is an hour in which at least {q}% met the target; the 30-day objective is the attainment stat above.", measure(slo), h.name),
                )
                .query(quantile(objective, &bucket, ""), &format!("p{q}"))
                .steps("green", &[(slo.target.0, "red")])
                .lines()
                .interval("1h")
                .min(0.0)
                .size(8, 8),
            );
        }
        None => panels.push(
            Panel::timeseries(
                &title,
                "percentunit",
                &format!("{} has no histogram, so SLO {name}'s quantile cannot be drawn; shown instead: the share of judged tickets over target in the last hour. Dashed line: the error budget (1 − objective); above it, the hour missed the objective.", no_histogram_reason(slo)),
            )
            .query(format!("{}{s}", slo_error_ratio("1h")), "over target, 1h")
            // Dashed at the error budget: above it, the hour missed the objective.
            .steps("green", &[(((1.0 - objective) * 1e6).round() / 1e6, "red")])
            .lines()
            .range(0.0, 1.0)
            .size(8, 8),
        ),
    }
    panels
}
