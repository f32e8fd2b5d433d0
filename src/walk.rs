//! One ticket walked the same way by every reader (collect's backfill and
//! incremental runs, `report`, `digest`): ignored, or measured with the rows
//! it rejects.
//!
//! Readers differ only in which events are theirs to report — an
//! incremental run reports the events it reads for the first time, a report
//! those of its period — and pass that as `counts`.

use crate::engine::calendar::Calendars;
use crate::engine::timeline::{self, Timeline};
use crate::model::{Event, Relation, Ticket};
use crate::rejects::Rejects;

/// Walks `ticket` with its `events` (any order): `None` for a deleted or
/// spam ticket, which every reader ignores with its events and answers;
/// otherwise its timeline. The events `counts` holds are the ones whose
/// faults are added to `rejects` (an event rejected by the walk, an event
/// later than the ticket row's `updated_at`); the others were or will be
/// reported by another run or period.
pub fn ticket(
    ticket: &Ticket,
    events: Vec<Event>,
    calendars: &Calendars,
    counts: impl Fn(&Event) -> bool,
    rejects: &mut Rejects,
) -> Option<Timeline> {
    if ticket.status.is_ignored() {
        return None;
    }
    stale_updated_at(ticket, events.iter().filter(|e| counts(e)), rejects);
    // The events not this reader's to report: none (no allocation) for a
    // ticket counted whole; a report's events before its period.
    let others: Vec<i64> = events.iter().filter(|e| !counts(e)).map(|e| e.id).collect();
    let tl = timeline::walk(ticket, events, calendars);
    for (why, event_id) in tl.rejected.iter().filter(|(_, id)| !others.contains(id)) {
        rejects.add(
            Relation::Events,
            why.reason(),
            &format!("id={event_id}"),
            &format!("event {event_id} of ticket {}", ticket.id),
        );
    }
    Some(tl)
}

/// Events later than their ticket row's `updated_at`: still read and
/// measured — the events decide — and counted as `stale_updated_at`, one
/// per event.
fn stale_updated_at<'e>(
    ticket: &Ticket,
    events: impl IntoIterator<Item = &'e Event>,
    rejects: &mut Rejects,
) {
    let Some(updated) = ticket.updated_at else {
        return;
    };
    for e in events.into_iter().filter(|e| e.occurred_at > updated) {
        rejects.add(
            Relation::Tickets,
            "stale_updated_at",
            &format!("{}/{}", ticket.id, e.id),
            &format!(
                "ticket {}: updated_at {updated} is older than its event {} at {}; \
                 the events are used",
                ticket.id, e.id, e.occurred_at
            ),
        );
    }
}
