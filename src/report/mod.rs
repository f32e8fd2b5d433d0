//! `support-metrics report`: the metrics of DESIGN.md §3 for a period, read
//! straight from the source (DESIGN.md §5).
//!
//! Reads the four relations, walks every ticket through the engine and
//! aggregates what the period holds. Rendering lives in `render`.

pub mod aggregate;
pub mod render;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::config::Settings;
use crate::engine::timeline;
use crate::model::{Instant, Relation, SurveyResponse};
use crate::rejects::{RejectCount, Rejects};
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
    let mut rejects = Rejects::default();
    let mut tickets = source.tickets(&mut rejects).await?;
    // Deleted and spam tickets are ignored everywhere, with their events and surveys.
    let ignored: HashSet<String> = tickets
        .values()
        .filter(|t| t.status.is_ignored())
        .map(|t| t.id.clone())
        .collect();
    tickets.retain(|id, _| !ignored.contains(id));

    let mut surveys_by_ticket: HashMap<String, Vec<SurveyResponse>> = HashMap::new();
    let mut ticketless = Vec::new();
    for s in source.surveys(&mut rejects).await? {
        match &s.ticket_id {
            Some(id) => surveys_by_ticket.entry(id.clone()).or_default().push(s),
            None => ticketless.push(s),
        }
    }
    let engagement = source.engagement(&mut rejects).await?;

    let as_of = period.to.min(now);
    let mut agg =
        aggregate::Aggregator::new(period, by, as_of, &settings.calendars, &settings.slos);
    let mut orphan_events: Vec<(String, i64)> = Vec::new();
    let mut walk_rejects: Vec<(&'static str, String)> = Vec::new();
    let mut walk = |ticket: &crate::model::Ticket,
                    events,
                    surveys: Option<Vec<SurveyResponse>>,
                    agg: &mut aggregate::Aggregator| {
        let tl = timeline::walk(ticket, events, &settings.calendars);
        for (why, event_id) in &tl.rejected {
            walk_rejects.push((
                why.reason(),
                format!("event {event_id} of ticket {}", ticket.id),
            ));
        }
        agg.ticket(ticket, &tl, surveys.as_deref().unwrap_or_default());
    };
    source
        .events_by_ticket(period.to, &mut rejects, |ticket_id, events| {
            match tickets.remove(&ticket_id) {
                Some(t) => {
                    let surveys = surveys_by_ticket.remove(&ticket_id);
                    walk(&t, events, surveys, &mut agg);
                }
                None if ignored.contains(&ticket_id) => {}
                None => orphan_events.extend(events.iter().map(|e| (ticket_id.clone(), e.id))),
            }
        })
        .await?;
    // Tickets without any event are still created, and in the backlog.
    for (id, t) in tickets {
        let surveys = surveys_by_ticket.remove(&id);
        walk(&t, Vec::new(), surveys, &mut agg);
    }
    for (reason, detail) in walk_rejects {
        rejects.add(Relation::Events, reason, &detail);
    }
    for (ticket_id, event_id) in orphan_events {
        rejects.add(
            Relation::Events,
            "unknown_ticket",
            &format!("event {event_id} refers to ticket {ticket_id}, which is not in the tickets relation"),
        );
    }
    for (ticket_id, surveys) in surveys_by_ticket {
        if ignored.contains(&ticket_id) {
            continue;
        }
        for s in surveys {
            rejects.add(
                Relation::Surveys,
                "unknown_ticket",
                &format!(
                    "survey {} refers to ticket {ticket_id}, which is not in the tickets relation",
                    s.id
                ),
            );
        }
    }
    for s in &ticketless {
        agg.survey(None, None, s);
    }
    for e in &engagement {
        agg.engagement(e);
    }

    let (overall, groups) = agg.finish();
    Ok(Report {
        period,
        as_of,
        by,
        overall,
        groups,
        rejected: rejects.summary(),
    })
}
