//! "Support overview": the queue right now, SLO attainment, satisfaction,
//! re-routes and reopens of the selected teams. Every panel honours the
//! `team` filter, the only one offered (speed by channel and priority is on
//! "Support speed"; the organisation's survey figures on "Support surveys").

use super::panel::Panel;
use super::{raw, sel};
use crate::config::Settings;
use crate::engine::slo::SloMetric;
use crate::metrics as m;
use crate::rules::names::TeamRatio;

pub(super) fn panels(settings: &Settings) -> Vec<Panel> {
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
    let csat_7d = format!(
        "sum(increase({}[7d]))\n/\n(sum(increase({}[7d])) > 0)",
        sel(&m::CSAT, "", &["score=~\"4|5\""]),
        sel(&m::CSAT, "", &[]),
    );
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
        Panel::stat(
            "CSAT, last 7 days",
            "percentunit",
            "Share of the selected teams' CSAT answers scoring 4 or 5 over the last 7 days (the organisation's exact figure is on Support surveys).",
        )
        .query(csat_7d, "CSAT")
        .steps("red", &[(0.75, "orange"), (0.85, "green")])
        .range(0.0, 1.0)
        .no_value("no answers"),
        Panel::row("The last 24 hours against the same hours a week before"),
        Panel::stat(
            "Tickets created, last 24 hours",
            "short",
            "Tickets the selected teams received in the last 24 hours.",
        )
        .query(format!("sum(increase({}[1d]))", sel(&m::CREATED, "", &[])), "created")
        .neutral()
        .no_value("0")
        .decimals(0)
        .size(6, 4),
        Panel::stat(
            "A week before",
            "short",
            "Tickets the selected teams received in the same 24 hours a week before: the same weekday, the same hours.",
        )
        .query(
            format!("sum(increase({}[1d] offset 1w))", sel(&m::CREATED, "", &[])),
            "a week before",
        )
        .neutral()
        // Not 0: Prometheus may hold no samples from a week ago.
        .no_value("no data")
        .decimals(0)
        .size(6, 4),
        Panel::timeseries(
            "Tickets created per hour, against a week before",
            "short",
            "Tickets the selected teams received per hour, and the same hour of the same weekday a week before (dashed in the legend as 'a week before'): today's shape against a normal one.",
        )
        .query(
            format!("sum(increase({}[1h]))", sel(&m::CREATED, "", &[])),
            "this week",
        )
        .query(
            format!("sum(increase({}[1h] offset 1w))", sel(&m::CREATED, "", &[])),
            "a week before",
        )
        .interval("1h")
        .min(0.0),
        Panel::row("When customers write"),
        Panel::matrix(
            "Arrivals by hour of the week, last 4 weeks",
            "short",
            "Customer tickets created per week in each hour of the week (rows: weekdays, columns: hours, in schedule.timezone), on average over the last 4 weeks, for the selected teams (the team holding each ticket now): the peak hours to staff. Computed by the kpi job.",
            "weekday",
            "hour",
        )
        .query(
            format!(
                "sum by (weekday, hour) ({})",
                sel(&m::ARRIVALS_HOUR_OF_WEEK, "", &[])
            ),
            "",
        )
        .decimals(1),
        Panel::row("Volume and queue"),
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
