//! "Support surveys, organisation-wide": the kpi job's exact CSAT, NPS,
//! eNPS and CES over their windows, and the SERVQUAL gaps. NPS and SERVQUAL
//! are relationship surveys (no team), and the exact figures are for
//! everyone, so this dashboard offers no team, channel or priority filter:
//! none would apply.

use super::panel::Panel;
use super::raw;
use crate::metrics as m;

pub(super) fn panels() -> Vec<Panel> {
    vec![
        Panel::row("Customers and employees"),
        Panel::stat(
            "CSAT, last 7 days",
            "percentunit",
            "Share of CSAT answers scoring 4 or 5 over the last 7 days, every team and channel (the kpi job's exact figure from the state store, so it is right on a Prometheus that has just started).",
        )
        .query(raw(m::KPI_CSAT.name, &["window=\"7d\""]), "CSAT")
        .steps("red", &[(0.75, "orange"), (0.85, "green")])
        .range(0.0, 1.0),
        Panel::stat(
            "NPS, last 28 days",
            "none",
            "% promoters (9-10) minus % detractors (0-6) over the last 28 days, -100 to 100 (the kpi job's exact figure).",
        )
        .query(raw(m::KPI_NPS.name, &["window=\"28d\""]), "NPS")
        .steps("red", &[(0.0, "orange"), (30.0, "green")])
        .range(-100.0, 100.0)
        .decimals(0),
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
        Panel::row("Service quality (SERVQUAL)"),
        Panel::timeseries(
            "SERVQUAL gap by dimension, last 13 weeks",
            "none",
            "Mean perception minus mean expectation (1-7 scale) of each dimension's SERVQUAL answers over the 13 weeks before each point (a quarterly wave stays until the next; the kpi job's exact figures). Below 0 the service falls short of what customers expect: start with the dimension furthest below 0. A dimension without expectation or perception answers has no line.",
        )
        .query(
            format!("max by (dimension) ({})", raw(m::KPI_SERVQUAL_GAP.name, &[])),
            "{{dimension}}",
        )
        .range(-6.0, 6.0)
        // A line at 0: expectations met.
        .steps("red", &[(0.0, "green")])
        .lines(),
        Panel::timeseries(
            "SERVQUAL score, last 13 weeks",
            "none",
            "The mean of the five dimension gaps (unweighted) and the gaps weighted by [servqual] weights (weighted) over the last 13 weeks, as support-metrics report computes them; shown only when every dimension has answers of both kinds.",
        )
        .query(
            format!("max by (weighting) ({})", raw(m::KPI_SERVQUAL_SCORE.name, &[])),
            "{{weighting}}",
        )
        .range(-6.0, 6.0)
        .steps("red", &[(0.0, "green")])
        .lines(),
    ]
}
