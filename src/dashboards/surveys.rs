//! "Support surveys, organisation-wide": the kpi job's exact CSAT, NPS,
//! eNPS and CES over their windows. NPS is a relationship survey (no team),
//! and the exact figures are for everyone, so this dashboard offers no
//! team, channel or priority filter: none would apply.

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
    ]
}
