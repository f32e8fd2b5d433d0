//! `support-metrics report`: the metrics of DESIGN.md §3 for a period, read
//! straight from the source (DESIGN.md §5).
//!
//! Scans the source (`scan`), walking every ticket through the engine, and
//! aggregates what the period holds (`aggregate`). Rendering lives in `render`.

pub mod aggregate;
pub mod render;
pub mod scan;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Settings;
use crate::model::Instant;
use crate::rejects::RejectCount;
use crate::source::{Source, SourceError};
pub use aggregate::{Dimension, Metrics, Period};

/// What `report --format json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub period: Period,
    /// When backlog and active SLO breaches were taken: the period's end, or
    /// now when the period ends in the future.
    pub as_of: Instant,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Dimension>,
    pub overall: Metrics,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<BTreeMap<String, Metrics>>,
    /// Rows skipped because they break the source contract.
    pub rejected: Vec<RejectCount>,
}

/// Builds the report of `period` at wall-clock `now`.
pub async fn build(
    source: &Source,
    settings: &Settings,
    period: Period,
    by: Option<Dimension>,
    now: Instant,
) -> Result<Report, SourceError> {
    source.begin_job(now).await;
    let as_of = period.to.min(now);
    let mut agg =
        aggregate::Aggregator::new(period, by, as_of, &settings.calendars, &settings.slos)
            .in_timezone(settings.timezone)
            .servqual_weights(settings.servqual);
    let rejected = scan::scan(source, settings, Some(period.from), period.to, &mut agg).await?;
    let (overall, groups) = agg.finish();
    Ok(Report {
        period,
        as_of,
        by,
        overall,
        groups,
        rejected,
    })
}
