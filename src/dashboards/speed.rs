//! "Support speed": how fast tickets move, filtered by team, channel and
//! priority — every panel reads the histograms and counters that carry all
//! three labels, so every filter applies to every panel.

use super::panel::Panel;
use super::{quantile, sel};
use crate::metrics as m;

// One line for many priorities' targets over an all-priority quantile
// would mislead: the per-SLO quantile against its own target is on the SLO
// dashboard.
pub(super) fn panels() -> Vec<Panel> {
    let per_hour = |family: &m::Family| {
        format!(
            "sum(rate({}[$__rate_interval])) * 3600",
            sel(family, "", &[])
        )
    };
    vec![
        Panel::row("Flow"),
        Panel::timeseries(
            "Tickets created and solved per hour",
            "short",
            "Tickets opened and solve events (a ticket solved again after a reopen counts again), per hour.",
        )
        .query(per_hour(&m::CREATED), "created")
        .query(per_hour(&m::SOLVED), "solved")
        .interval("1h")
        .min(0.0),
        Panel::row("Speed"),
        Panel::timeseries(
            "First response time, business hours",
            "s",
            "Median and 90th percentile of the time to the first agent reply, counting only the team calendar's open hours, from the histogram. All priorities together: each SLO's target and quantile are on Support SLOs.",
        )
        .query(quantile(0.5, &sel(&m::FIRST_RESPONSE_BUSINESS, "_bucket", &[]), ""), "p50")
        .query(quantile(0.9, &sel(&m::FIRST_RESPONSE_BUSINESS, "_bucket", &[]), ""), "p90")
        .interval("1h")
        .min(0.0),
        Panel::timeseries(
            "First response time, calendar",
            "s",
            "Median and 90th percentile of the time to the first agent reply in calendar time, from the histogram. All priorities together: each SLO's target and quantile are on Support SLOs.",
        )
        .query(quantile(0.5, &sel(&m::FIRST_RESPONSE, "_bucket", &[]), ""), "p50")
        .query(quantile(0.9, &sel(&m::FIRST_RESPONSE, "_bucket", &[]), ""), "p90")
        .interval("1h")
        .min(0.0),
        Panel::timeseries(
            "Resolution time",
            "s",
            "Median and 90th percentile of the time to the first solve, and of the full resolution (to the last solve after reopens), calendar time. All priorities together: each SLO's target and quantile are on Support SLOs.",
        )
        .query(quantile(0.5, &sel(&m::FIRST_RESOLUTION, "_bucket", &[]), ""), "first p50")
        .query(quantile(0.9, &sel(&m::FIRST_RESOLUTION, "_bucket", &[]), ""), "first p90")
        .query(quantile(0.9, &sel(&m::FULL_RESOLUTION, "_bucket", &[]), ""), "full p90")
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
    ]
}
