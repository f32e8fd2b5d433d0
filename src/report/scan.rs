//! One pass over the source: every ticket walked through the engine, with
//! its surveys, then the ticketless surveys and the engagement answers.
//!
//! Shared by `report` and `digest` so both see the same tickets, ignore the
//! same deleted and spam ones and reject the same rows. What is done with
//! each walked ticket is the [`Visitor`]'s business.

use crate::config::Settings;
use crate::engine::timeline::Timeline;
use crate::model::{EngagementResponse, Event, Instant, SurveyResponse, Ticket};
use crate::rejects::{RejectCount, Rejects};
use crate::source::merge::{ByTicket, Reads, orphan_survey};
use crate::source::{Rows, Source, SourceError};
use crate::walk;

/// What a scan hands each record to.
pub trait Visitor {
    /// A ticket, its walked history and the surveys answered about it.
    fn ticket(&mut self, ticket: &Ticket, timeline: &Timeline, surveys: &[SurveyResponse]);
    /// A survey not tied to a ticket (relationship NPS).
    fn ticketless_survey(&mut self, survey: &SurveyResponse);
    fn engagement(&mut self, answer: &EngagementResponse);
}

/// Reads the four relations (events before `upto`) and visits every
/// record; returns the rows skipped because they break the source contract.
///
/// With `since`, only what a period starting then can need is read
/// ([`Rows::Active`]: the database filters tickets and events): a one-week
/// report on a large helpdesk reads that week's tickets, not its history.
/// Tickets arrive merged with their events and answers
/// ([`crate::source::merge`]), so memory holds one ticket at a time.
pub async fn scan<V: Visitor>(
    source: &Source,
    settings: &Settings,
    since: Option<Instant>,
    upto: Instant,
    visitor: &mut V,
) -> Result<Vec<RejectCount>, SourceError> {
    let rows = since.map_or(Rows::All, |from| Rows::Active { from, to: upto });
    let mut rejects = Rejects::default();
    let engagement = source.engagement_matching(&rows, &mut rejects).await?;
    let mut merged = ByTicket::open(
        source,
        &Reads {
            tickets: rows,
            events: Some(rows),
            surveys: rows,
        },
    );
    let mut unmatched = Vec::new();
    let mut ticketless = Vec::new();
    while let Some(m) = merged.next(&mut rejects, &mut unmatched).await? {
        sort_unmatched(&mut unmatched, &mut ticketless, &mut rejects);
        let events: Vec<_> = m
            .events
            .into_iter()
            .filter(|e| e.occurred_at < upto)
            .collect();
        // The faults of the period's events are the period's to report.
        let in_period = |e: &Event| since.is_none_or(|from| e.occurred_at >= from);
        // Deleted and spam tickets are ignored everywhere, with their
        // events and surveys.
        let Some(tl) = walk::ticket(
            &m.ticket,
            events,
            &settings.calendars,
            in_period,
            &mut rejects,
        ) else {
            continue;
        };
        visitor.ticket(&m.ticket, &tl, &m.surveys);
    }
    merged.finish(&mut rejects, &mut unmatched).await?;
    sort_unmatched(&mut unmatched, &mut ticketless, &mut rejects);
    for s in &ticketless {
        visitor.ticketless_survey(s);
    }
    for e in &engagement {
        visitor.engagement(e);
    }
    rejects.log();
    Ok(rejects.summary())
}

/// Answers without a ticket are relationship surveys; those whose ticket
/// the source does not have are rejected.
fn sort_unmatched(
    unmatched: &mut Vec<SurveyResponse>,
    ticketless: &mut Vec<SurveyResponse>,
    rejects: &mut Rejects,
) {
    for s in unmatched.drain(..) {
        match &s.ticket_id {
            None => ticketless.push(s),
            Some(ticket_id) => orphan_survey(&s, ticket_id, rejects),
        }
    }
}
