//! One pass over the source: every ticket walked through the engine, with
//! its surveys, then the ticketless surveys and the engagement answers.
//!
//! Shared by `report` and `digest` so both see the same tickets, ignore the
//! same deleted and spam ones and reject the same rows. What is done with
//! each walked ticket is the [`Visitor`]'s business.

use std::collections::{HashMap, HashSet};

use crate::config::Settings;
use crate::engine::timeline::{self, Timeline};
use crate::model::{EngagementResponse, Instant, Relation, SurveyResponse, Ticket};
use crate::rejects::{RejectCount, Rejects};
use crate::source::{Rows, Source, SourceError};

/// What a scan hands each record to.
pub trait Visitor {
    /// A ticket, its walked history and the surveys answered about it.
    fn ticket(&mut self, ticket: &Ticket, timeline: &Timeline, surveys: &[SurveyResponse]);
    /// A survey not tied to a ticket (relationship NPS).
    fn ticketless_survey(&mut self, survey: &SurveyResponse);
    fn engagement(&mut self, answer: &EngagementResponse);
}

/// Reads the four relations (events up to `upto`) and visits every record;
/// returns the rows skipped because they break the source contract.
///
/// With `since`, only what a period starting then can need is read
/// ([`Rows::Active`]: the database filters tickets and events), plus the
/// tickets of the surveys answered since: a one-week report on a large
/// helpdesk reads that week's tickets, not its history.
pub async fn scan<V: Visitor>(
    source: &Source,
    settings: &Settings,
    since: Option<Instant>,
    upto: Instant,
    visitor: &mut V,
) -> Result<Vec<RejectCount>, SourceError> {
    let rows = since.map_or(Rows::All, |from| Rows::Active { from, to: upto });
    let mut rejects = Rejects::default();
    let mut tickets = source.tickets_matching(&rows, &mut rejects).await?;

    let mut surveys_by_ticket: HashMap<String, Vec<SurveyResponse>> = HashMap::new();
    let mut ticketless = Vec::new();
    for s in source.surveys_matching(&rows, &mut rejects).await? {
        match &s.ticket_id {
            Some(id) => surveys_by_ticket.entry(id.clone()).or_default().push(s),
            None => ticketless.push(s),
        }
    }
    let engagement = source.engagement_matching(&rows, &mut rejects).await?;
    // Surveyed tickets the period filter left out (done and unchanged
    // since, or deleted): read by id, with their events below.
    let surveyed: Vec<String> = surveys_by_ticket
        .keys()
        .filter(|id| !tickets.contains_key(*id))
        .cloned()
        .collect();
    let mut event_reads = vec![rows];
    let extra = if since.is_some() && !surveyed.is_empty() {
        // Their rows' rejections were not counted by the first read.
        source
            .tickets_matching(
                &Rows::OfTickets {
                    ids: &surveyed,
                    upto_event: None,
                },
                &mut rejects,
            )
            .await?
    } else {
        HashMap::new()
    };
    let extra_ids: Vec<String> = extra.keys().cloned().collect();
    tickets.extend(extra);
    if !extra_ids.is_empty() {
        event_reads.push(Rows::OfTickets {
            ids: &extra_ids,
            upto_event: None,
        });
    }
    // Deleted and spam tickets are ignored everywhere, with their events and surveys.
    let ignored: HashSet<String> = tickets
        .values()
        .filter(|t| t.status.is_ignored())
        .map(|t| t.id.clone())
        .collect();
    tickets.retain(|id, _| !ignored.contains(id));

    let mut orphan_events: Vec<(String, i64)> = Vec::new();
    let mut walk_rejects: Vec<(&'static str, String)> = Vec::new();
    let mut walk =
        |ticket: &Ticket, events, surveys: Option<Vec<SurveyResponse>>, visitor: &mut V| {
            let tl = timeline::walk(ticket, events, &settings.calendars);
            for (why, event_id) in &tl.rejected {
                walk_rejects.push((
                    why.reason(),
                    format!("event {event_id} of ticket {}", ticket.id),
                ));
            }
            visitor.ticket(ticket, &tl, surveys.as_deref().unwrap_or_default());
        };
    for rows in &event_reads {
        source
            .events_grouped(
                rows,
                Some(upto),
                &mut rejects,
                |ticket_id, events| match tickets.remove(&ticket_id) {
                    Some(t) => {
                        let surveys = surveys_by_ticket.remove(&ticket_id);
                        walk(&t, events, surveys, visitor);
                    }
                    None if ignored.contains(&ticket_id) => {}
                    None => orphan_events.extend(events.iter().map(|e| (ticket_id.clone(), e.id))),
                },
            )
            .await?;
    }
    // Tickets without any event are still created, and in the backlog.
    for (id, t) in tickets {
        let surveys = surveys_by_ticket.remove(&id);
        walk(&t, Vec::new(), surveys, visitor);
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
        visitor.ticketless_survey(s);
    }
    for e in &engagement {
        visitor.engagement(e);
    }
    Ok(rejects.summary())
}
