//! Resolution, solve events and reopens.
//!
//! DESIGN.md §3: every change to `solved`, or to `closed` from an unsolved
//! status, is a **solve event**. **First resolution time** is `created_at` →
//! the first solve event, observed once. **Full resolution time** is
//! `created_at` → the latest solve event, observed at every solve event
//! together with the ticket's shape up to it (interactions, replies,
//! re-routes, reassignments). A **reopen** is a change from `solved` to any
//! status other than `closed`. A status event that repeats the current status
//! is not a change. A ticket starts as `new`.
//!
//! **Customer-confirmed resolution** ("let the customer close the case"): a
//! solve event is confirmed when the customer closes or solves the ticket
//! themselves, or a customer `status` event to `solved`/`closed` follows it
//! before any reopen — observed once per solve event, at the confirming
//! event.

use crate::engine::interactions::Interactions;
use crate::engine::routing::Routing;
use crate::engine::time_in_status::TimeInStatus;
use crate::engine::timeline::{Clock, Measure, SolveShape};
use crate::model::{Actor, Event, EventKind, Instant, Status};

#[derive(Debug)]
pub struct Resolution {
    status: Status,
    first_solved_at: Option<Instant>,
    /// The last solve event waits for the customer's confirmation.
    unconfirmed_solve: bool,
}

impl Default for Resolution {
    fn default() -> Self {
        Resolution {
            status: Status::New,
            first_solved_at: None,
            unconfirmed_solve: false,
        }
    }
}

/// What the ticket's other walkers know so far: a solve event records it.
pub struct SoFar<'a> {
    pub interactions: &'a Interactions,
    pub routing: &'a Routing,
    pub time_in_status: &'a TimeInStatus,
}

impl Resolution {
    pub fn on_event(
        &mut self,
        ev: &Event,
        clock: &Clock,
        team: Option<&str>,
        so_far: SoFar,
        out: &mut Vec<Measure>,
    ) {
        let SoFar {
            interactions,
            routing,
            time_in_status,
        } = so_far;
        let (EventKind::Status, Some(new)) = (ev.kind, ev.status) else {
            return;
        };
        let by_customer = ev.actor == Actor::Customer;
        let to_done = matches!(new, Status::Solved | Status::Closed);
        // A customer closing (or marking solved, again) a solved ticket
        // confirms the solve, even though the status does not change.
        if by_customer && to_done && self.unconfirmed_solve {
            self.unconfirmed_solve = false;
            out.push(Measure::CustomerConfirmed);
        }
        let old = std::mem::replace(&mut self.status, new);
        if old == new {
            return;
        }
        let solve = new == Status::Solved || (new == Status::Closed && old != Status::Solved);
        if solve {
            let elapsed = clock.elapsed(ev.occurred_at, team);
            let by_status = time_in_status.by_status(ev.occurred_at, clock.calendars);
            if self.first_solved_at.is_none() {
                self.first_solved_at = Some(ev.occurred_at);
                out.push(Measure::FirstResolution(elapsed, by_status));
            }
            out.push(Measure::Solve(SolveShape {
                full_resolution: elapsed,
                interactions: interactions.interactions(),
                replies: interactions.replies(),
                reroutes: routing.reroutes(),
                reassignments: routing.reassignments(),
                status_times: by_status.times(),
            }));
            // The customer's own solve is confirmed by itself.
            if by_customer {
                out.push(Measure::CustomerConfirmed);
                self.unconfirmed_solve = false;
            } else {
                self.unconfirmed_solve = true;
            }
        } else if old == Status::Solved && new != Status::Closed {
            self.unconfirmed_solve = false;
            out.push(Measure::Reopen);
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn first_solved_at(&self) -> Option<Instant> {
        self.first_solved_at
    }
}

#[cfg(test)]
mod confirmation_tests {
    use crate::engine::calendar::Calendars;
    use crate::engine::timeline::{Measure, walk};
    use crate::model::{Actor, Event, EventKind, Status};
    use chrono::{Duration, TimeZone, Utc};

    /// `(actor, status)` events an hour apart; how many solve events and
    /// how many customer confirmations the walk observes.
    fn walk_statuses(steps: &[(Actor, Status)]) -> (usize, usize) {
        let start = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let ticket = crate::engine::test_ticket(start);
        let events = steps
            .iter()
            .enumerate()
            .map(|(i, (actor, status))| Event {
                id: i as i64 + 1,
                ticket_id: "t".into(),
                occurred_at: start + Duration::hours(i as i64 + 1),
                kind: EventKind::Status,
                actor: *actor,
                actor_id: None,
                team: None,
                agent_id: None,
                status: Some(*status),
            })
            .collect();
        let tl = walk(&ticket, events, &Calendars::default());
        let count =
            |f: fn(&Measure) -> bool| tl.observations.iter().filter(|o| f(&o.measure)).count();
        (
            count(|m| matches!(m, Measure::Solve(_))),
            count(|m| *m == Measure::CustomerConfirmed),
        )
    }

    #[test]
    fn a_solve_is_confirmed_by_the_customer_not_by_an_agent() {
        use Actor::{Agent, Customer};
        use Status::*;
        // The agent solves, the customer closes: confirmed.
        assert_eq!(
            walk_statuses(&[(Agent, Open), (Agent, Solved), (Customer, Closed)]),
            (1, 1)
        );
        // The agent solves and closes: not confirmed.
        assert_eq!(walk_statuses(&[(Agent, Solved), (Agent, Closed)]), (1, 0));
        // The customer solves it themselves: confirmed by that very event.
        assert_eq!(walk_statuses(&[(Agent, Open), (Customer, Solved)]), (1, 1));
        // The customer marks solved again a ticket the agent solved (no
        // status change): confirmed.
        assert_eq!(
            walk_statuses(&[(Agent, Solved), (Customer, Solved)]),
            (1, 1)
        );
        // Reopened before any confirmation, solved again, then closed by
        // the customer: two solves, the second confirmed, once.
        assert_eq!(
            walk_statuses(&[
                (Agent, Solved),
                (Customer, Open),
                (Agent, Solved),
                (Customer, Closed),
                (Customer, Closed),
            ]),
            (2, 1)
        );
    }
}
