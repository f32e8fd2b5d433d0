//! One ticket's history, walked in time order, as the measurements it yields.
//!
//! Every measurement is attributed to the moment it becomes known (DESIGN.md
//! §3): the event that completes it. The walk is shared by the period report
//! and the exporter so that both count the same things. The families of
//! measures live in their own modules (`first_response`, `resolution`,
//! `routing`, `interactions`); this module only orders events, rejects the
//! ones that break the contract, and asks each family what an event completes.

use std::collections::HashSet;

use crate::engine::calendar::{Calendar, Calendars};
use crate::engine::first_response::FirstResponse;
use crate::engine::interactions::Interactions;
use crate::engine::replies::Replies;
use crate::engine::resolution::{Resolution, SoFar};
use crate::engine::routing::Routing;
use crate::engine::time_in_status::{ByStatus, TimeInStatus};
use crate::model::{Event, Instant, Seconds, Status, Ticket};

/// Time from a ticket's creation to an instant, in both clocks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Elapsed {
    pub calendar: Seconds,
    pub business: Seconds,
}

impl Elapsed {
    /// From `from` to `to`, business time in `calendar`.
    pub fn between(from: Instant, to: Instant, calendar: &Calendar) -> Elapsed {
        Elapsed {
            calendar: Seconds::between(from, to),
            business: calendar.business_seconds(from, to),
        }
    }
}

/// The ticket's clock: creation time and the calendars to measure with.
pub struct Clock<'a> {
    pub created_at: Instant,
    pub calendars: &'a Calendars,
}

impl Clock<'_> {
    /// Time from creation to `at`, business time in `team`'s calendar.
    pub fn elapsed(&self, at: Instant, team: Option<&str>) -> Elapsed {
        Elapsed::between(self.created_at, at, self.calendars.for_team(team))
    }
}

/// The shape of a ticket at one of its solve events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolveShape {
    /// Full resolution time up to this solve.
    pub full_resolution: Elapsed,
    pub interactions: u32,
    pub replies: u32,
    pub reroutes: u32,
    pub reassignments: u32,
    /// Requester wait, agent wait, on-hold and agent work up to this solve.
    pub status_times: crate::engine::time_in_status::StatusTimes,
}

impl SolveShape {
    /// Solved with exactly one agent reply.
    pub fn one_touch(&self) -> bool {
        self.replies == 1
    }
}

/// What an event completes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// The ticket was opened (attributed to `created_at`).
    Created,
    /// First customer-visible message from anyone but the customer.
    FirstAcknowledgement(Elapsed),
    /// With the time in each status up to the reply, for paused SLO clocks.
    FirstResponse(Elapsed, ByStatus),
    FirstResolution(Elapsed, ByStatus),
    /// Every solve event (see `resolution`).
    Solve(SolveShape),
    Reopen,
    Reroute,
    Reassignment,
    /// A solve event the customer confirmed (`resolution`), at the
    /// confirming event.
    CustomerConfirmed,
    /// One exchange's reply time (`replies`), at the reply.
    Reply(Elapsed),
}

/// A measurement and when it became known.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub at: Instant,
    /// The completing event; `None` for `Created`.
    pub event_id: Option<i64>,
    /// The ticket's team as of the completing event.
    pub team: Option<String>,
    /// The ticket's assignee as of the completing event (DESIGN.md §3
    /// "People").
    pub agent: Option<String>,
    pub measure: Measure,
}

/// Why an event was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventRejection {
    BeforeCreation,
    DuplicateId,
}

impl EventRejection {
    pub fn reason(self) -> &'static str {
        match self {
            EventRejection::BeforeCreation => "event_before_creation",
            EventRejection::DuplicateId => "duplicate_event_id",
        }
    }
}

/// The ticket as of its last event.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketState {
    pub status: Status,
    pub team: Option<String>,
    /// The assignee (`agent_id`) as of the last event.
    pub agent: Option<String>,
    /// Public customer and agent messages so far, and the agents' among them.
    pub interactions: u32,
    pub replies: u32,
    /// When an agent first replied, if ever.
    pub first_response_at: Option<Instant>,
    /// When the ticket was first solved, if ever.
    pub first_resolution_at: Option<Instant>,
    /// The time-in-status clocks, running in the current status: what a
    /// paused SLO's active breach reads. `None` for a stored ticket saved
    /// without them (paused SLOs then read the plain clock).
    pub clocks: Option<TimeInStatus>,
}

/// The ticket's state from an event on, until the next checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub at: Instant,
    pub state: TicketState,
}

/// A ticket's walked history.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub observations: Vec<Observation>,
    pub state: TicketState,
    /// Team changes in time order, for attributing surveys to a team.
    pub(crate) team_changes: Vec<(Instant, String)>,
    /// Assignee changes in time order, the same for agents.
    pub(crate) agent_changes: Vec<(Instant, String)>,
    /// The state after each event that changed it, in time order: what
    /// [`Timeline::until`] reads the state of a past instant from.
    pub(crate) history: Vec<Checkpoint>,
    pub rejected: Vec<(EventRejection, i64)>,
}

impl Timeline {
    /// The ticket's team at instant `at`.
    pub fn team_at(&self, at: Instant) -> Option<&str> {
        holder_at(&self.team_changes, at)
    }

    /// The ticket's assignee at instant `at`.
    pub fn agent_at(&self, at: Instant) -> Option<&str> {
        holder_at(&self.agent_changes, at)
    }

    /// A timeline from its parts (the walk's, a stored one's, a cut one's):
    /// the state is the last checkpoint's, or the initial one without any,
    /// and nothing is rejected.
    pub(crate) fn from_parts(
        observations: Vec<Observation>,
        team_changes: Vec<(Instant, String)>,
        agent_changes: Vec<(Instant, String)>,
        history: Vec<Checkpoint>,
        created_at: Instant,
    ) -> Timeline {
        let state = history
            .last()
            .map_or_else(|| initial_state(created_at), |c| c.state.clone());
        Timeline {
            history,
            ..Timeline::with_state(observations, team_changes, agent_changes, state)
        }
    }

    /// A timeline in `state` without the history of states before it
    /// (which only [`Timeline::until`] reads), nothing rejected.
    pub(crate) fn with_state(
        observations: Vec<Observation>,
        team_changes: Vec<(Instant, String)>,
        agent_changes: Vec<(Instant, String)>,
        state: TicketState,
    ) -> Timeline {
        Timeline {
            observations,
            state,
            team_changes,
            agent_changes,
            history: Vec::new(),
            rejected: Vec::new(),
        }
    }

    /// The timeline the walk of the events before `upto` alone gives
    /// (without their rejections): every measurement is known at the event
    /// that completes it, so the earlier ones are kept as they are, and the
    /// state is the last checkpoint's before `upto`. What lets a period
    /// ending in the past be read from a timeline walked since.
    pub fn until(&self, upto: Instant, created_at: Instant) -> Timeline {
        let before = |t: &Instant| *t < upto;
        let changes = |c: &[(Instant, String)]| {
            c.iter()
                .take_while(|(t, _)| before(t))
                .cloned()
                .collect::<Vec<_>>()
        };
        Timeline::from_parts(
            self.observations
                .iter()
                .filter(|o| before(&o.at))
                .cloned()
                .collect(),
            changes(&self.team_changes),
            changes(&self.agent_changes),
            self.history
                .iter()
                .take_while(|c| before(&c.at))
                .cloned()
                .collect(),
            created_at,
        )
    }

    /// The teams the ticket went through up to `at`, in order: the first
    /// assignment, then one per re-route.
    pub fn route_until(&self, at: Instant) -> Vec<&str> {
        self.team_changes
            .iter()
            .take_while(|(t, _)| *t <= at)
            .map(|(_, team)| team.as_str())
            .collect()
    }
}

/// The value of `changes` (in time order) in force at `at`.
fn holder_at(changes: &[(Instant, String)], at: Instant) -> Option<&str> {
    changes
        .iter()
        .take_while(|(t, _)| *t <= at)
        .last()
        .map(|(_, v)| v.as_str())
}

/// Appends `now` to `changes` at `at` when it differs from the last one.
fn record_change(changes: &mut Vec<(Instant, String)>, at: Instant, now: Option<&str>) {
    if let Some(v) = now
        && changes.last().is_none_or(|(_, last)| last != v)
    {
        changes.push((at, v.to_string()));
    }
}

/// Walks `events` (all of the ticket's events, in any order) and returns the
/// timeline. Events are ordered by time, then by id, so events that arrive
/// out of order in id vs time are placed where they happened.
pub fn walk(ticket: &Ticket, mut events: Vec<Event>, calendars: &Calendars) -> Timeline {
    let mut rejected = Vec::new();
    // Duplicated ids: keep the first copy of each id.
    let mut seen = HashSet::with_capacity(events.len());
    events.retain(|e| {
        let fresh = seen.insert(e.id);
        if !fresh {
            rejected.push((EventRejection::DuplicateId, e.id));
        }
        fresh
    });
    events.retain(|e| {
        let ok = e.occurred_at >= ticket.created_at;
        if !ok {
            rejected.push((EventRejection::BeforeCreation, e.id));
        }
        ok
    });
    events.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then(a.id.cmp(&b.id)));

    let clock = Clock {
        created_at: ticket.created_at,
        calendars,
    };
    let mut routing = Routing::default();
    let mut interactions = Interactions::default();
    let mut first_response = FirstResponse::new(ticket);
    let mut resolution = Resolution::default();
    let mut time_in_status = TimeInStatus::new(ticket.created_at);
    let mut replies = Replies::default();
    let mut observations = Vec::new();
    let mut team_changes: Vec<(Instant, String)> = Vec::new();
    let mut agent_changes: Vec<(Instant, String)> = Vec::new();
    let mut history: Vec<Checkpoint> = Vec::new();
    let mut created_emitted = false;

    let initial = initial_state(ticket.created_at);
    let mut measures = Vec::new();
    for ev in &events {
        // The creation is attributed to the team after every event at the
        // creation instant (routing rules assign on creation).
        if !created_emitted && ev.occurred_at > ticket.created_at {
            observations.push(created(ticket, &routing));
            created_emitted = true;
        }
        measures.clear();
        routing.on_event(ev, &mut measures);
        record_change(&mut team_changes, ev.occurred_at, routing.team());
        record_change(&mut agent_changes, ev.occurred_at, routing.agent());
        interactions.on_event(ev);
        // Before the resolution: a solve reads the clocks up to it.
        time_in_status.on_event(ev, routing.team(), calendars);
        first_response.on_event(ev, &clock, routing.team(), &time_in_status, &mut measures);
        replies.on_event(ev, &clock, routing.team(), &mut measures);
        resolution.on_event(
            ev,
            &clock,
            routing.team(),
            SoFar {
                interactions: &interactions,
                routing: &routing,
                time_in_status: &time_in_status,
            },
            &mut measures,
        );
        observations.extend(measures.drain(..).map(|measure| Observation {
            at: ev.occurred_at,
            event_id: Some(ev.id),
            team: routing.team().map(str::to_string),
            agent: routing.agent().map(str::to_string),
            measure,
        }));
        let state = |clocks: &TimeInStatus| TicketState {
            status: resolution.status(),
            team: routing.team().map(str::to_string),
            agent: routing.agent().map(str::to_string),
            interactions: interactions.interactions(),
            replies: interactions.replies(),
            first_response_at: first_response.responded_at(),
            first_resolution_at: resolution.first_solved_at(),
            clocks: Some(clocks.clone()),
        };
        let last = history.last().map_or(&initial, |c| &c.state);
        if changed(
            last,
            &resolution,
            &routing,
            &interactions,
            &first_response,
            &time_in_status,
        ) {
            history.push(Checkpoint {
                at: ev.occurred_at,
                state: state(&time_in_status),
            });
        }
    }
    if !created_emitted {
        observations.push(created(ticket, &routing));
    }

    Timeline {
        rejected,
        ..Timeline::from_parts(
            observations,
            team_changes,
            agent_changes,
            history,
            ticket.created_at,
        )
    }
}

/// A ticket before its first event: `new`, nobody's, clocks at zero.
pub(crate) fn initial_state(created_at: Instant) -> TicketState {
    TicketState {
        status: Status::New,
        team: None,
        agent: None,
        interactions: 0,
        replies: 0,
        first_response_at: None,
        first_resolution_at: None,
        clocks: Some(TimeInStatus::new(created_at)),
    }
}

/// Whether the walkers' state differs from `last`.
fn changed(
    last: &TicketState,
    resolution: &Resolution,
    routing: &Routing,
    interactions: &Interactions,
    first_response: &FirstResponse,
    clocks: &TimeInStatus,
) -> bool {
    last.status != resolution.status()
        || last.team.as_deref() != routing.team()
        || last.agent.as_deref() != routing.agent()
        || last.interactions != interactions.interactions()
        || last.replies != interactions.replies()
        || last.first_response_at != first_response.responded_at()
        || last.first_resolution_at != resolution.first_solved_at()
        || last.clocks.as_ref() != Some(clocks)
}

fn created(ticket: &Ticket, routing: &Routing) -> Observation {
    Observation {
        at: ticket.created_at,
        event_id: None,
        team: routing.team().map(str::to_string),
        agent: routing.agent().map(str::to_string),
        measure: Measure::Created,
    }
}
