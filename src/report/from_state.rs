//! `report --from-state`: the same visit as [`super::scan`], with each
//! ticket and its walked timeline read from the state store that `collect`
//! keeps, instead of walking the source's events again.
//!
//! A timeline cut at the period's end (as [`Timeline::until`] cuts) is what the
//! walk of the events before it gives, so the numbers are the source
//! report's. Only the period's survey and engagement answers are read from
//! the source (the store keeps a ticket's timeline, not its answers). The
//! store must be current: counted under this configuration, by a
//! collection that ran `source.late_arrival` after the period's end (a
//! period not over yet is read as of a collection that recent), and still
//! holding the
//! period's tickets (`state.facts_retention`, `source.backfill_days`: the
//! store remembers the horizon it applied). The rows the collections
//! rejected were counted by them (`support_rejected_rows_total`); only the
//! answers' faults are the report's.
//!
//! [`Timeline::until`]: crate::engine::timeline::Timeline::until

use crate::config::Settings;
use crate::model::{Instant, SurveyResponse};
use crate::rejects::{RejectCount, Rejects};
use crate::source::merge::surveys_by_ticket;
use crate::source::{Rows, Source};
use crate::state::StateStore;
use crate::state::period::StoredTicket;

use super::ReportError;
use super::scan::Visitor;

/// Visits the period `[from, upto)` from `store` at wall-clock `now`;
/// returns the answers' rejected rows.
pub async fn scan<V: Visitor>(
    store: &StateStore,
    source: &Source,
    settings: &Settings,
    (from, upto): (Instant, Instant),
    now: Instant,
    visitor: &mut V,
) -> Result<Vec<RejectCount>, ReportError> {
    check_current(store, settings, from, upto, now).await?;
    let rows = Rows::Active { from, to: upto };
    let mut rejects = Rejects::default();
    let engagement = source.engagement_matching(&rows, &mut rejects).await?;
    let surveys = surveys_by_ticket(source, &rows, &mut rejects).await?;
    let mut answered: Vec<&str> = surveys
        .iter()
        .filter_map(|s| s.ticket_id.as_deref())
        .collect();
    answered.dedup();
    let mut merge = Merge {
        surveys: &surveys,
        next_survey: 0,
        visitor,
        ticketless: Vec::new(),
        pruned: None,
    };
    store
        .period_tickets(from, upto, &answered, |t| {
            merge.ticket(t);
            Ok(())
        })
        .await?;
    merge.answers_before(None);
    if let Some(id) = merge.pruned.take() {
        return Err(ReportError::NotCurrent(format!(
            "ticket {id} has an answer in the period but its timeline was pruned \
             (state.facts_retention or source.backfill_days)"
        )));
    }
    let Merge {
        ticketless,
        visitor,
        ..
    } = merge;
    for s in ticketless {
        visitor.ticketless_survey(s);
    }
    for e in &engagement {
        visitor.engagement(e);
    }
    rejects.log();
    Ok(rejects.summary())
}

/// The stored tickets and the period's answers (both in byte order of the
/// ticket ids), handed to the visitor together.
struct Merge<'a, V> {
    surveys: &'a [SurveyResponse],
    next_survey: usize,
    visitor: &'a mut V,
    /// Relationship surveys, visited after the tickets as the source
    /// report visits them.
    ticketless: Vec<&'a SurveyResponse>,
    /// A ticket the period needs whose timeline is gone.
    pruned: Option<String>,
}

impl<'a, V: Visitor> Merge<'a, V> {
    fn ticket(&mut self, stored: StoredTicket) {
        let id = stored.ticket.id.as_str();
        self.answers_before(Some(id));
        let start = self.next_survey;
        while self
            .surveys
            .get(self.next_survey)
            .is_some_and(|s| s.ticket_id.as_deref() == Some(id))
        {
            self.next_survey += 1;
        }
        let answers = &self.surveys[start..self.next_survey];
        if stored.pruned && self.pruned.is_none() {
            self.pruned = Some(stored.ticket.id.clone());
        }
        // A deleted or spam ticket is ignored with its answers.
        let Some(timeline) = stored.timeline else {
            return;
        };
        self.visitor.ticket(&stored.ticket, &timeline, answers);
    }

    /// The answers ordered before ticket `id` (all that are left when
    /// `None`): without a ticket, relationship surveys; with one the store
    /// does not have, left out: a ticket deleted before it was first
    /// collected, or one the source does not have, which the collections
    /// count as rejected.
    fn answers_before(&mut self, id: Option<&str>) {
        let surveys: &'a [SurveyResponse] = self.surveys;
        while let Some(s) = surveys.get(self.next_survey) {
            let before = match (s.ticket_id.as_deref(), id) {
                (_, None) | (None, Some(_)) => true,
                (Some(t), Some(id)) => t.as_bytes() < id.as_bytes(),
            };
            if !before {
                break;
            }
            if s.ticket_id.is_none() {
                self.ticketless.push(s);
            }
            self.next_survey += 1;
        }
    }
}

/// `Err` unless the store can give the period's numbers.
async fn check_current(
    store: &StateStore,
    settings: &Settings,
    from: Instant,
    upto: Instant,
    now: Instant,
) -> Result<(), ReportError> {
    let not_current = |why: String| Err(ReportError::NotCurrent(why));
    let Some(last) = store.last_collection().await? else {
        return not_current(
            "no collection has run yet (run `support-metrics run-once --job collect`, or `serve`)"
                .into(),
        );
    };
    if last.layout != crate::collect::layout(settings) {
        return not_current(
            "it was counted under another configuration (SLOs, pauses, business hours, labels or \
             the requester salt edited) or by an older version; the next collection counts it again"
                .into(),
        );
    }
    // Events may reach the source up to `late_arrival` after their time:
    // an ended period needs a collection that late after its end; one not
    // over yet, a collection that recent.
    let late = chrono::TimeDelta::from_std(settings.source.late_arrival)
        .unwrap_or(chrono::TimeDelta::zero());
    let needed = if upto > now { now - late } else { upto + late };
    match last.at {
        Some(at) if at >= needed => {}
        other => {
            return not_current(format!(
                "its last collection ran at {}, before {needed} (the period's end plus \
                 source.late_arrival, or that long ago for a period not over): run a collection first",
                other.map_or_else(|| "an unknown time".to_string(), |t| t.to_rfc3339())
            ));
        }
    }
    if let Some(horizon) = last.timelines_from
        && from < horizon
    {
        return not_current(format!(
            "it keeps the timelines of the tickets done since {horizon} only (source.backfill_days \
             at its backfill, state.facts_retention since); the period starts at {from}"
        ));
    }
    Ok(())
}
