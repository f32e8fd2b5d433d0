//! "Support team drill-down": one team's queue, speed by priority,
//! satisfaction by channel, routing and engagement.

use super::panel::Panel;
use super::{quantile, sel, target_steps, targets};
use crate::config::Settings;
use crate::engine::slo::{SloClock, SloMetric};
use crate::metrics as m;
use crate::rules::names::{TeamRatio, slo_team_error_ratio};

pub(super) fn panels(settings: &Settings) -> Vec<Panel> {
    // Only the SLOs that can cover this team draw lines; a team-scoped SLO
    // of another team would be noise, but the dashboard cannot know `$team`
    // when generated, so team-scoped SLOs are left out.
    let fr_business = targets(settings, |s| {
        s.metric == SloMetric::FirstResponse && s.clock == SloClock::Business && s.team.is_none()
    });
    let resolution = targets(settings, |s| {
        s.metric == SloMetric::Resolution && s.team.is_none()
    });
    let ratio = |r: TeamRatio, w: &str| format!("{}{{team=~\"$team\"}}", r.name(w));
    let engagement = |scores: &str| {
        format!(
            "sum(increase({}[28d]))",
            sel(&m::ENGAGEMENT, "", &["question=\"enps\"", scores])
        )
    };
    vec![
        Panel::row("Queue"),
        Panel::stat("Open backlog", "short", "The team's tickets not solved or closed, as of the last collection.")
            .query(format!("sum({})", sel(&m::BACKLOG, "", &[])), "backlog"),
        Panel::stat("Awaiting first response", "short", "The team's open customer tickets without an agent reply.")
            .query(format!("sum({})", sel(&m::AWAITING, "", &[])), "awaiting"),
        Panel::stat("Oldest awaiting first response, business time", "s", "Age of the team's oldest ticket without an agent reply, in the team's business hours (calendar time for a team without a calendar), as the waiting alert counts it.")
            .query(format!("max({})", sel(&m::OLDEST_AWAITING_BUSINESS, "", &[])), "oldest"),
        Panel::stat("CSAT, 7 days", "percentunit", "Share of the team's CSAT answers scoring 4 or 5 over the last 7 days (recorded by the rules; all channels).")
            .query(ratio(TeamRatio::CsatSatisfied, "7d"), "CSAT")
            .steps("red", &[(0.75, "orange"), (0.85, "green")])
            .decimals(1),
        Panel::stat("Re-routes per solve, 7 days", "percentunit", "Team changes after the first team assignment per solve event, last 7 days (recorded by the rules).")
            .query(ratio(TeamRatio::ReroutesPerSolve, "7d"), "re-routes")
            .steps("green", &[(0.1, "orange"), (0.25, "red")])
            .decimals(1),
        Panel::stat("Reopens per solve, 7 days", "percentunit", "Reopen events per solve event, last 7 days (recorded by the rules).")
            .query(ratio(TeamRatio::ReopensPerSolve, "7d"), "reopens")
            .steps("green", &[(0.1, "orange"), (0.2, "red")])
            .decimals(1),
        Panel::row("SLOs"),
        Panel::timeseries("SLO attainment, 1 day, this team", "percentunit", "Share of the team's tickets each SLO judged over the last day that met its target (the team at the measurement; the burn-rate alerts watch the same series and carry the team). An SLO without the team's tickets in the day draws no line.")
            .query(format!("1 - {}{{team=~\"$team\"}}", slo_team_error_ratio("1d")), "{{slo}}")
            .range(0.0, 1.0)
            .no_value("no tickets judged"),
        Panel::timeseries("SLO active breaches, this team", "short", "The team's open tickets past an SLO target before being measured, by SLO, as of each collection.")
            .query(format!("sum by (slo) ({})", sel(&m::SLO_ACTIVE, "", &[])), "{{slo}}")
            .min(0.0),
        Panel::timeseries("Tickets created per hour by channel", "short", "Tickets the team received, per hour, by channel.")
            .query(format!("sum by (channel) (rate({}[$__rate_interval])) * 3600", sel(&m::CREATED, "", &[])), "{{channel}}")
            .interval("1h")
            .min(0.0),
        Panel::timeseries("Backlog by priority", "short", "The team's open tickets by priority, as of each collection.")
            .query(format!("sum by (priority) ({})", sel(&m::BACKLOG, "", &[])), "{{priority}}")
            .min(0.0),
        Panel::row("Speed by priority"),
        Panel::timeseries("First response p90, business hours", "s", "90th percentile of the time to the first agent reply in the team calendar's open hours, by priority. Dashed lines: the business-hours first-response SLO targets that are not scoped to one team.")
            .query(quantile(0.9, &sel(&m::FIRST_RESPONSE_BUSINESS, "_bucket", &[]), "priority"), "{{priority}}")
            .steps("green", &target_steps(&fr_business))
            .lines()
            .interval("1h")
            .min(0.0),
        Panel::timeseries("First resolution p90", "s", "90th percentile of the time to the first solve (calendar), by priority. Dashed lines: the resolution SLO targets not scoped to one team.")
            .query(quantile(0.9, &sel(&m::FIRST_RESOLUTION, "_bucket", &[]), "priority"), "{{priority}}")
            .steps("green", &target_steps(&resolution))
            .lines()
            .interval("1h")
            .min(0.0),
        Panel::timeseries("Agent replies per solved ticket, p90", "short", "90th percentile of agent public replies up to each solve, by channel.")
            .query(quantile(0.9, &sel(&m::REPLIES, "_bucket", &[]), "channel"), "{{channel}}")
            .interval("1h")
            .min(0.0),
        Panel::timeseries("Re-routes and reassignments per hour", "short", "Team changes after the first team assignment, and assignee changes after the first assignee, per hour.")
            .query(format!("sum(rate({}[$__rate_interval])) * 3600", sel(&m::REROUTES, "", &[])), "re-routes")
            .query(format!("sum(rate({}[$__rate_interval])) * 3600", sel(&m::REASSIGNMENTS, "", &[])), "reassignments")
            .interval("1h")
            .min(0.0),
        Panel::row("Satisfaction and engagement"),
        Panel::timeseries("CSAT by channel, 1-day rolling", "percentunit", "Share of the team's CSAT answers scoring 4 or 5 over the last day, by channel.")
            .query(
                format!(
                    "sum by (channel) (increase({}[1d]))\n/\n(sum by (channel) (increase({}[1d])) > 0)",
                    sel(&m::CSAT, "", &["score=~\"4|5\""]),
                    sel(&m::CSAT, "", &[])
                ),
                "{{channel}}",
            )
            .range(0.0, 1.0),
        Panel::timeseries("Low-effort share, rolling", "percentunit", "Share of the team's CES answers of 3 or less (low effort), over 1 and 7 days (recorded by the rules).")
            .query(ratio(TeamRatio::CesLowEffort, "1d"), "1 day")
            .query(ratio(TeamRatio::CesLowEffort, "7d"), "7 days")
            .range(0.0, 1.0),
        Panel::timeseries("Team eNPS, 28 days", "none", "Employee NPS of the team's engagement answers over the last 28 days: % promoters (9-10) minus % detractors (0-6).")
            .query(
                // A side without answers is 0, not a missing series that
                // empties the difference; no answers at all draws nothing.
                format!(
                    "100 * (({} or vector(0)) - ({} or vector(0)))\n/\n({} > 0)",
                    engagement("score=~\"9|10\""),
                    engagement("score=~\"[0-6]\""),
                    engagement("score=~\".*\"")
                ),
                "eNPS",
            )
            .range(-100.0, 100.0),
        Panel::timeseries("CSAT answers per day by score", "short", "How many CSAT answers of each score (1-5) the team receives per day: low volumes make the ratios above jumpy.")
            .query(format!("sum by (score) (increase({}[1d]))", sel(&m::CSAT, "", &[])), "{{score}}")
            .interval("1h")
            .min(0.0),
    ]
}
