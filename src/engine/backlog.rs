//! Backlog and tickets awaiting a first response.
//!
//! DESIGN.md §3: the **backlog** is the tickets not solved or closed, by
//! status. **Awaiting first response**: backlog tickets opened by a customer
//! with no agent reply yet; the age of the oldest is reported.

use crate::engine::timeline::TicketState;
use crate::model::{Creator, Instant, Seconds, Status, Ticket};

/// A ticket's place in the backlog at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct BacklogEntry {
    pub status: Status,
    /// `Some(age)` when it still waits for a first response.
    pub awaiting_first_response: Option<Seconds>,
}

/// `None` when the ticket is solved or closed as of `state`.
pub fn entry(ticket: &Ticket, state: &TicketState, now: Instant) -> Option<BacklogEntry> {
    if state.status.is_done() {
        return None;
    }
    let awaiting = ticket.created_by == Creator::Customer && state.first_response_at.is_none();
    Some(BacklogEntry {
        status: state.status,
        awaiting_first_response: awaiting.then(|| Seconds::between(ticket.created_at, now)),
    })
}
