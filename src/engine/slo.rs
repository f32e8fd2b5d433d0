//! Service-level objectives.
//!
//! DESIGN.md §3: an SLO is a target per priority (and optionally team or
//! channel) on first response or resolution, in calendar or business time. A
//! ticket breaches when its measured time exceeds the target, or — before it
//! is measured — as soon as its running clock passes the target (an active
//! breach). "Resolution" is the first resolution; agent-initiated tickets have
//! no first response and so no first-response SLO.
//!
//! **Paused clocks**: an SLO may set `pause_on = ["pending", "on_hold"]`;
//! its clock (calendar or business) stops while the ticket is in those
//! statuses, for measured and for active breaches alike. A paused clock is
//! the time in every other status, each stretch in the calendar of the
//! team holding the ticket then (`time_in_status::ByStatus`); an SLO
//! without pauses keeps the plain clock from creation.

use crate::engine::calendar::Calendars;
use crate::engine::time_in_status::ByStatus;
use crate::engine::timeline::{Clock, Elapsed, Measure, Observation, TicketState};
use crate::model::{Creator, Instant, Priority, Seconds, Status, Ticket};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SloMetric {
    FirstResponse,
    Resolution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SloClock {
    Calendar,
    Business,
}

/// The share of judged tickets that must meet an SLO's target, in (0, 1):
/// 0.95 means "95% of urgent tickets get a first response within 1 h".
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Objective(f64);

impl Objective {
    pub const DEFAULT: Objective = Objective(0.95);

    /// `None` unless strictly between 0 and 1.
    pub fn new(ratio: f64) -> Option<Objective> {
        (ratio > 0.0 && ratio < 1.0).then_some(Objective(ratio))
    }

    pub fn ratio(self) -> f64 {
        self.0
    }

    /// The share of tickets allowed to breach: 1 − objective.
    pub fn error_budget(self) -> f64 {
        1.0 - self.0
    }
}

impl Default for Objective {
    fn default() -> Self {
        Objective::DEFAULT
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    pub name: String,
    pub metric: SloMetric,
    pub clock: SloClock,
    pub target: Seconds,
    /// The share of tickets that must meet `target`; the error budget of the
    /// burn-rate alerts is its complement.
    pub objective: Objective,
    /// Empty: every priority.
    pub priorities: Vec<Priority>,
    pub team: Option<String>,
    pub channel: Option<String>,
    /// Statuses in which the clock stops (one of `PAUSABLE`); empty: it
    /// never does.
    pub pause_on: Vec<Status>,
}

/// The statuses an SLO clock may pause in: waiting on the customer, on a
/// third party, or solved (a first response that follows a reopen). The
/// clock never pauses while the ticket is new or open (we are the ones
/// keeping the customer waiting), and closed, deleted or spam tickets are
/// not measured at all.
pub const PAUSABLE: [Status; 3] = [Status::Pending, Status::OnHold, Status::Solved];

impl Slo {
    /// Whether the SLO covers this ticket while it belongs to `team`.
    pub fn applies(&self, ticket: &Ticket, team: Option<&str>) -> bool {
        (self.priorities.is_empty() || self.priorities.contains(&ticket.priority))
            && self.team.as_deref().is_none_or(|t| Some(t) == team)
            && self.channel.as_deref().is_none_or(|c| c == ticket.channel)
            && (self.metric == SloMetric::Resolution || ticket.created_by == Creator::Customer)
    }

    fn pick(&self, e: &Elapsed) -> Seconds {
        match self.clock {
            SloClock::Calendar => e.calendar,
            SloClock::Business => e.business,
        }
    }

    /// The SLO's clock: `plain` unless it pauses, then the time in the
    /// statuses it does not pause in.
    fn clock_reading(&self, plain: &Elapsed, by_status: &ByStatus) -> Seconds {
        if self.pause_on.is_empty() {
            self.pick(plain)
        } else {
            self.pick(&by_status.except(&self.pause_on))
        }
    }

    /// The measured time `obs` gives this SLO, when it is the measurement
    /// the SLO judges and the SLO covers the ticket.
    pub fn measured(&self, ticket: &Ticket, obs: &Observation) -> Option<Seconds> {
        let (elapsed, by_status) = match (self.metric, &obs.measure) {
            (SloMetric::FirstResponse, Measure::FirstResponse(e, s)) => (e, s),
            (SloMetric::Resolution, Measure::FirstResolution(e, s)) => (e, s),
            _ => return None,
        };
        self.applies(ticket, obs.team.as_deref())
            .then(|| self.clock_reading(elapsed, by_status))
    }

    /// `Some(breached)` when `obs` is the measurement this SLO judges.
    pub fn judge(&self, ticket: &Ticket, obs: &Observation) -> Option<bool> {
        self.measured(ticket, obs).map(|m| m > self.target)
    }

    /// The running clock of an open, not yet measured ticket at `now`.
    pub fn running(
        &self,
        ticket: &Ticket,
        state: &TicketState,
        now: Instant,
        calendars: &Calendars,
    ) -> Seconds {
        match &state.clocks {
            Some(clocks) if !self.pause_on.is_empty() => {
                self.pick(&clocks.by_status(now, calendars).except(&self.pause_on))
            }
            _ => {
                let clock = Clock {
                    created_at: ticket.created_at,
                    calendars,
                };
                self.pick(&clock.elapsed(now, state.team.as_deref()))
            }
        }
    }

    /// An open, not yet measured ticket whose clock has passed the target at `now`.
    pub fn is_active_breach(
        &self,
        ticket: &Ticket,
        state: &TicketState,
        now: Instant,
        calendars: &Calendars,
    ) -> bool {
        let measured = match self.metric {
            SloMetric::FirstResponse => state.first_response_at.is_some(),
            SloMetric::Resolution => state.first_resolution_at.is_some(),
        };
        if measured || state.status.is_done() || !self.applies(ticket, state.team.as_deref()) {
            return false;
        }
        // Neither clock runs faster than the wall, and a clock that does
        // not pause starts at the ticket's creation: a ticket younger than
        // the target has not breached, whatever its calendar (the state
        // gauges ask this of every open ticket at every collection).
        let unpaused = self.pause_on.is_empty() || state.clocks.is_none();
        if unpaused && Seconds::between(ticket.created_at, now) <= self.target {
            return false;
        }
        self.running(ticket, state, now, calendars) > self.target
    }

    /// The statuses it pauses in, for alerts and dashboards: "pending or
    /// on_hold"; `None` when it never pauses.
    pub fn pauses_text(&self) -> Option<String> {
        (!self.pause_on.is_empty()).then(|| {
            self.pause_on
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        })
    }
}
