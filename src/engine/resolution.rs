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

use crate::engine::interactions::Interactions;
use crate::engine::routing::Routing;
use crate::engine::time_in_status::TimeInStatus;
use crate::engine::timeline::{Clock, Measure, SolveShape};
use crate::model::{Event, EventKind, Instant, Status};

#[derive(Debug)]
pub struct Resolution {
    status: Status,
    first_solved_at: Option<Instant>,
}

impl Default for Resolution {
    fn default() -> Self {
        Resolution {
            status: Status::New,
            first_solved_at: None,
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
        let old = std::mem::replace(&mut self.status, new);
        if old == new {
            return;
        }
        let solve = new == Status::Solved || (new == Status::Closed && old != Status::Solved);
        if solve {
            let elapsed = clock.elapsed(ev.occurred_at, team);
            if self.first_solved_at.is_none() {
                self.first_solved_at = Some(ev.occurred_at);
                out.push(Measure::FirstResolution(elapsed));
            }
            out.push(Measure::Solve(SolveShape {
                full_resolution: elapsed,
                interactions: interactions.interactions(),
                replies: interactions.replies(),
                reroutes: routing.reroutes(),
                reassignments: routing.reassignments(),
                status_times: time_in_status.at(ev.occurred_at, clock.calendars),
            }));
        } else if old == Status::Solved && new != Status::Closed {
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
