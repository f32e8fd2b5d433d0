//! First response and first acknowledgement.
//!
//! DESIGN.md §3: **First response time** is `created_at` → the first `message`
//! event with actor `agent`. Bot and system messages do not count; they are
//! tracked as the first acknowledgement (the first public message from anyone
//! but the customer). Agent-initiated tickets (`created_by = agent`) have no
//! first response: no customer was waiting. Measured in calendar and business
//! seconds, observed once per ticket, at the reply.

use crate::engine::time_in_status::TimeInStatus;
use crate::engine::timeline::{Clock, Measure};
use crate::model::{Actor, Creator, Event, EventKind, Instant, Ticket};

#[derive(Debug)]
pub struct FirstResponse {
    /// False for agent-initiated tickets.
    eligible: bool,
    responded_at: Option<Instant>,
    acknowledged: bool,
}

impl FirstResponse {
    pub fn new(ticket: &Ticket) -> Self {
        FirstResponse {
            eligible: ticket.created_by == Creator::Customer,
            responded_at: None,
            acknowledged: false,
        }
    }

    pub fn on_event(
        &mut self,
        ev: &Event,
        clock: &Clock,
        team: Option<&str>,
        time_in_status: &TimeInStatus,
        out: &mut Vec<Measure>,
    ) {
        if !self.eligible || ev.kind != EventKind::Message || ev.actor == Actor::Customer {
            return;
        }
        if !self.acknowledged {
            self.acknowledged = true;
            out.push(Measure::FirstAcknowledgement(
                clock.elapsed(ev.occurred_at, team),
            ));
        }
        if ev.actor == Actor::Agent && self.responded_at.is_none() {
            self.responded_at = Some(ev.occurred_at);
            out.push(Measure::FirstResponse(
                clock.elapsed(ev.occurred_at, team),
                time_in_status.by_status(ev.occurred_at, clock.calendars),
            ));
        }
    }

    /// When an agent first replied (always `None` for agent-initiated tickets).
    pub fn responded_at(&self) -> Option<Instant> {
        self.responded_at
    }
}
