//! "Support overview": the whole support organisation, filtered by team,
//! channel and priority.

use super::panel::Panel;
use super::{quantile, raw, sel, target_steps, targets};
use crate::config::Settings;
use crate::engine::slo::{SloClock, SloMetric};
use crate::metrics as m;
use crate::rules::names::TeamRatio;

pub(super) fn panels(settings: &Settings) -> Vec<Panel> {
    let fr_business = targets(settings, |s| {
        s.metric == SloMetric::FirstResponse && s.clock == SloClock::Business
    });
    let fr_calendar = targets(settings, |s| {
        s.metric == SloMetric::FirstResponse && s.clock == SloClock::Calendar
    });
    let resolution = targets(settings, |s| s.metric == SloMetric::Resolution);
    let per_hour = |family: &m::Family| {
        format!(
            "sum(rate({}[$__rate_interval])) * 3600",
            sel(family, "", &[])
        )
    };
    let team_ratio = |r: TeamRatio| format!("{}{{team=~\"$team\"}}", r.name("7d"));

    // Waiting in business time, as the waiting alerts count it; no colour:
    // each priority has its own limit (the alert's), so one line for all
    // would be orange all day for an ordinary normal-priority queue.
    let oldest = Panel::stat(
        "Oldest awaiting first response, business time",
        "s",
        "Age of the oldest open customer ticket without an agent reply, in its team's business hours (calendar time for a team without a calendar), as of the last collection. The waiting alert's limits are per priority (alerts.oldest_awaiting_first_response); see Awaiting first response by priority.",
    )
    .query(
        format!("max({})", sel(&m::OLDEST_AWAITING_BUSINESS, "", &[])),
        "oldest",
    )
    .neutral()
    .no_value("none waiting");
    // First-response SLOs only: resolution SLOs have open tickets past
    // their target for days in any healthy queue.
    let first_response_slos: Vec<&str> = settings
        .slos
        .iter()
        .filter(|s| s.metric == SloMetric::FirstResponse)
        .map(|s| s.name.as_str())
        .collect();
    let fr_slo = format!("slo=~\"{}\"", first_response_slos.join("|"));
    let slo_attainment = format!(
        "1 - (\n  sum by (slo) (increase({b}[7d]))\n/\n  (sum by (slo) (increase({m}[7d])) > 0)\n)",
        b = sel(&m::SLO_BREACHES, "", &[]),
        m = sel(&m::SLO_MEASURED, "", &[]),
    );

    vec![
        Panel::row("Right now"),
        Panel::stat(
            "Open backlog",
            "short",
            "Tickets not solved or closed, as of the last collection (every status but solved and closed).",
        )
        .query(format!("sum({})", sel(&m::BACKLOG, "", &[])), "backlog"),
        Panel::stat(
            "Awaiting first response",
            "short",
            "Open customer tickets that no agent has answered yet. Agent-initiated tickets are never waiting.",
        )
        .query(format!("sum({})", sel(&m::AWAITING, "", &[])), "awaiting"),
        oldest,
        Panel::stat(
            "First-response SLO active breaches",
            "short",
            "Open tickets of the selected teams whose first-response clock has passed an SLO target before any reply, summed over the first-response SLOs (resolution SLOs are on the SLO dashboard). Each is counted under every SLO it breaches.",
        )
        .query(
            format!("sum({})", sel(&m::SLO_ACTIVE, "", &[&fr_slo])),
            "breaching",
        )
        .neutral()
        .no_value("0"),
        // The kpi job's exact figure is organisation-wide; per team, see
        // "CSAT by team" below (TODO issue 17: per-team kpi gauges).
        Panel::stat(
            "CSAT, last 7 days, all teams",
            "percentunit",
            "Share of CSAT answers scoring 4 or 5 over the last 7 days, all teams and channels (the kpi job's exact figure; not filtered).",
        )
        .query(raw(m::KPI_CSAT.name, &["window=\"7d\""]), "CSAT")
        .steps("red", &[(0.75, "orange"), (0.85, "green")])
        .range(0.0, 1.0)
        .no_value("no answers"),
        Panel::stat(
            "NPS, last 28 days",
            "none",
            "% promoters (9-10) minus % detractors (0-6) over the last 28 days, -100 to 100 (the kpi job's exact figure).",
        )
        .query(raw(m::KPI_NPS.name, &["window=\"28d\""]), "NPS")
        .steps("red", &[(0.0, "orange"), (30.0, "green")])
        .range(-100.0, 100.0)
        .decimals(0),
        Panel::row("Volume and queue"),
        Panel::timeseries(
            "Tickets created and solved per hour",
            "short",
            "Tickets opened and solve events (a ticket solved again after a reopen counts again), per hour.",
        )
        .query(per_hour(&m::CREATED), "created")
        .query(per_hour(&m::SOLVED), "solved")
        .interval("1h")
        .min(0.0),
        Panel::timeseries(
            "Backlog by status",
            "short",
            "Tickets not solved or closed by status, as of each collection.",
        )
        .query(
            format!("sum by (status) ({})", sel(&m::BACKLOG, "", &[])),
            "{{status}}",
        )
        .min(0.0),
        Panel::timeseries(
            "Awaiting first response by priority",
            "short",
            "Open customer tickets without an agent reply, by priority.",
        )
        .query(
            format!("sum by (priority) ({})", sel(&m::AWAITING, "", &[])),
            "{{priority}}",
        )
        .min(0.0),
        Panel::timeseries(
            "SLO attainment, last 7 days",
            "percentunit",
            "Share of the tickets of the selected teams that each SLO judged in the last 7 days and that met its target (an SLO without tickets in the window draws no line).",
        )
        .query(slo_attainment, "{{slo}}")
        .range(0.0, 1.0),
        Panel::row("Speed"),
        Panel::timeseries(
            "First response time, business hours",
            "s",
            "Median and 90th percentile of the time to the first agent reply, counting only the team calendar's open hours, from the histogram. Dashed lines: the business-hours first-response SLO targets.",
        )
        .query(quantile(0.5, &sel(&m::FIRST_RESPONSE_BUSINESS, "_bucket", &[]), ""), "p50")
        .query(quantile(0.9, &sel(&m::FIRST_RESPONSE_BUSINESS, "_bucket", &[]), ""), "p90")
        .steps("green", &target_steps(&fr_business))
        .lines()
        .interval("1h")
        .min(0.0),
        Panel::timeseries(
            "First response time, calendar",
            "s",
            "Median and 90th percentile of the time to the first agent reply in calendar time, from the histogram. Dashed lines: the calendar-clock first-response SLO targets.",
        )
        .query(quantile(0.5, &sel(&m::FIRST_RESPONSE, "_bucket", &[]), ""), "p50")
        .query(quantile(0.9, &sel(&m::FIRST_RESPONSE, "_bucket", &[]), ""), "p90")
        .steps("green", &target_steps(&fr_calendar))
        .lines()
        .interval("1h")
        .min(0.0),
        Panel::timeseries(
            "Resolution time",
            "s",
            "Median and 90th percentile of the time to the first solve, and of the full resolution (to the last solve after reopens), calendar time. Dashed lines: the resolution SLO targets.",
        )
        .query(quantile(0.5, &sel(&m::FIRST_RESOLUTION, "_bucket", &[]), ""), "first p50")
        .query(quantile(0.9, &sel(&m::FIRST_RESOLUTION, "_bucket", &[]), ""), "first p90")
        .query(quantile(0.9, &sel(&m::FULL_RESOLUTION, "_bucket", &[]), ""), "full p90")
        .steps("green", &target_steps(&resolution))
        .lines()
        .interval("1h")
        .min(0.0),
        Panel::timeseries(
            "Interactions per solved ticket",
            "short",
            "Median and 90th percentile of public customer and agent messages up to each solve.",
        )
        .query(quantile(0.5, &sel(&m::INTERACTIONS, "_bucket", &[]), ""), "p50")
        .query(quantile(0.9, &sel(&m::INTERACTIONS, "_bucket", &[]), ""), "p90")
        .interval("1h")
        .min(0.0),
        Panel::timeseries(
            "One-touch resolutions",
            "percentunit",
            "Share of solve events with exactly one agent reply.",
        )
        .query(
            format!(
                "sum(rate({}[$__rate_interval])) / sum(rate({}[$__rate_interval]))",
                sel(&m::ONE_TOUCH, "", &[]),
                sel(&m::SOLVED, "", &[])
            ),
            "one-touch",
        )
        .interval("1h")
        .range(0.0, 1.0),
        Panel::row("Satisfaction"),
        Panel::timeseries(
            "CSAT by team, 7-day rolling",
            "percentunit",
            "Share of CSAT answers scoring 4 or 5 over the last 7 days, per team (recorded by the rules), with the exact all-team figure of the kpi job.",
        )
        .query(team_ratio(TeamRatio::CsatSatisfied), "{{team}}")
        .query(raw(m::KPI_CSAT.name, &["window=\"7d\""]), "all teams (exact)")
        .range(0.0, 1.0),
        Panel::timeseries(
            "NPS and employee NPS",
            "none",
            "Relationship NPS and eNPS over the last 28 days, -100 to 100 (the kpi job's exact figures; all teams).",
        )
        .query(raw(m::KPI_NPS.name, &["window=\"28d\""]), "NPS")
        .query(raw(m::KPI_ENPS.name, &["window=\"28d\""]), "eNPS")
        .range(-100.0, 100.0),
        Panel::timeseries(
            "Customer effort",
            "none",
            "Mean CES (1 = very low effort ... 7 = very high effort) over 7 and 28 days (the kpi job's exact figures). Lower is better.",
        )
        .query(raw(m::KPI_CES.name, &["window=\"7d\""]), "7 days")
        .query(raw(m::KPI_CES.name, &["window=\"28d\""]), "28 days")
        .range(1.0, 7.0),
        Panel::timeseries(
            "Low-effort share by team, 7-day rolling",
            "percentunit",
            "Share of CES answers of 3 or less (low effort) over the last 7 days, per team (recorded by the rules).",
        )
        .query(team_ratio(TeamRatio::CesLowEffort), "{{team}}")
        .range(0.0, 1.0),
        Panel::row("Routing and reopens"),
        Panel::timeseries(
            "Re-routes per solved ticket, 7-day rolling",
            "percentunit",
            "Team changes after the first team assignment per solve event over the last 7 days, per team (recorded by the rules). High values: tickets land in the wrong queue.",
        )
        .query(team_ratio(TeamRatio::ReroutesPerSolve), "{{team}}")
        .min(0.0),
        Panel::timeseries(
            "Reopens per solved ticket, 7-day rolling",
            "percentunit",
            "Reopen events (solved back to open) per solve event over the last 7 days, per team (recorded by the rules). High values: answers that did not solve the problem.",
        )
        .query(team_ratio(TeamRatio::ReopensPerSolve), "{{team}}")
        .min(0.0),
    ]
}
