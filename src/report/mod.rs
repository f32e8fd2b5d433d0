//! `support-metrics report`: the metrics of DESIGN.md §3 for a period, read
//! straight from the source (DESIGN.md §5), or from the state store's
//! walked timelines (`from_state`).
//!
//! Scans the source (`scan`), walking every ticket through the engine, and
//! aggregates what the period holds (`aggregate`). Rendering lives in `render`.

pub mod aggregate;
pub mod from_state;
pub mod render;
pub mod scan;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Settings;
use crate::engine::people::{self, Directory};
use crate::model::Instant;
use crate::model::Relation;
use crate::rejects::RejectCount;
use crate::rejects::Rejects;
use crate::source::{Source, SourceError};
use crate::state::{StateError, StateStore};
pub use aggregate::{Dimension, Metrics, Period};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    State(#[from] StateError),
    /// `--from-state` with a store that cannot give the period's numbers:
    /// says why and what to do.
    #[error("the state store cannot report this period: {0}")]
    NotCurrent(String),
}

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

/// Visits what `period` needs: from the source, or with the tickets'
/// timelines from the state store `from_state` (at wall-clock `now`);
/// returns the rows it rejected. `report` and the digest read this way.
pub async fn scan_period<V: scan::Visitor>(
    source: &Source,
    from_state: Option<&StateStore>,
    settings: &Settings,
    period: Period,
    now: Instant,
    visitor: &mut V,
) -> Result<Vec<RejectCount>, ReportError> {
    Ok(match from_state {
        None => scan::scan(source, settings, Some(period.from), period.to, visitor).await?,
        Some(store) => {
            let span = (period.from, period.to);
            from_state::scan(store, source, settings, span, now, visitor).await?
        }
    })
}

/// Builds the report of `period` at wall-clock `now`: from the source, or
/// with the tickets' timelines from the state store `from_state`.
pub async fn build(
    source: &Source,
    from_state: Option<&StateStore>,
    settings: &Settings,
    period: Period,
    by: Option<Dimension>,
    now: Instant,
) -> Result<Report, ReportError> {
    source.begin_job(now).await;
    let as_of = period.to.min(now);
    // The staff first: a small relation, and `--by tenure` needs it.
    let mut agent_rejects = Rejects::default();
    let directory = source
        .agents(&mut agent_rejects)
        .await?
        .map(|agents| Directory::new(&agents, settings.timezone));
    if by == Some(Dimension::Tenure) && directory.is_none() {
        return Err(ReportError::Source(SourceError::Relation {
            relation: Relation::Agents,
            from: source.describe(Relation::Agents),
            message: "the source has no such relation; report --by tenure groups by the \
                      assignee's tenure, which it lists (agent_id, team, started_on, left_on)"
                .to_string(),
        }));
    }
    let mut agg =
        aggregate::Aggregator::new(period, by, as_of, &settings.calendars, &settings.slos)
            .in_timezone(settings.timezone)
            .servqual_weights(settings.servqual);
    if let Some(d) = &directory {
        agg = agg.with_agents(d);
    }
    let mut rejected = scan_period(source, from_state, settings, period, now, &mut agg).await?;
    agent_rejects.log();
    rejected.extend(agent_rejects.summary());
    let (mut overall, mut groups) = agg.finish();
    if let Some(d) = &directory {
        // Up to the moment the backlog is taken: a period ending in the
        // future has its end now.
        let until_now = Period {
            from: period.from,
            to: as_of.max(period.from),
        };
        let days = people::days(until_now, settings.timezone);
        overall.people = people::people(d.agents(), &days);
        if by == Some(Dimension::Team) {
            let by_team = d.by_team(&days);
            for (team, m) in groups.iter_mut().flatten() {
                m.people = by_team.get(team).cloned();
            }
        }
    }
    Ok(Report {
        period,
        as_of,
        by,
        overall,
        groups,
        rejected,
    })
}
