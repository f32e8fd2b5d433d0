//! Hand-computed scenarios over whole ticket timelines.

use std::collections::HashMap;

use crate::engine::backlog;
use crate::engine::calendar::tests::{hours, t};
use crate::engine::calendar::{Calendar, Calendars};
use crate::engine::slo::{Slo, SloClock, SloMetric};
use crate::engine::timeline::{EventRejection, Measure, Observation, walk};
use crate::model::{Actor, Creator, Event, EventKind, Priority, Seconds, Status, Ticket};

pub(crate) fn ticket(created: &str, created_by: Creator) -> Ticket {
    Ticket {
        id: "T1".into(),
        created_at: t(created),
        channel: "email".into(),
        priority: Priority::High,
        category: Some("billing".into()),
        requester_id: "C1".into(),
        created_by,
        status: Status::Open,
        updated_at: Some(t(created)),
    }
}

/// An SLO of `hours` on high-priority tickets, measured on `clock`.
pub(crate) fn slo(
    name: &str,
    metric: crate::engine::slo::SloMetric,
    clock: crate::engine::slo::SloClock,
    hours: f64,
) -> crate::engine::slo::Slo {
    crate::engine::slo::Slo {
        name: name.into(),
        metric,
        clock,
        objective: crate::engine::slo::Objective::DEFAULT,
        target: crate::model::Seconds(hours * 3600.0),
        priorities: vec![Priority::High],
        team: None,
        channel: None,
        pause_on: vec![],
    }
}

pub(crate) fn ev(id: i64, at: &str, kind: EventKind, actor: Actor) -> Event {
    Event {
        id,
        ticket_id: "T1".into(),
        occurred_at: t(at),
        kind,
        actor,
        actor_id: None,
        team: None,
        agent_id: None,
        status: None,
    }
}

fn msg(id: i64, at: &str, actor: Actor) -> Event {
    ev(id, at, EventKind::Message, actor)
}

pub(crate) fn status(id: i64, at: &str, s: Status) -> Event {
    Event {
        status: Some(s),
        ..ev(id, at, EventKind::Status, Actor::Agent)
    }
}

pub(crate) fn assign(id: i64, at: &str, team: Option<&str>, agent: Option<&str>) -> Event {
    Event {
        team: team.map(Into::into),
        agent_id: agent.map(Into::into),
        ..ev(id, at, EventKind::Assign, Actor::System)
    }
}

fn measures(obs: &[Observation]) -> Vec<Measure> {
    obs.iter().map(|o| o.measure).collect()
}

fn first_response(obs: &[Observation]) -> Option<&Observation> {
    obs.iter()
        .find(|o| matches!(o.measure, Measure::FirstResponse(..)))
}

#[test]
fn bots_and_auto_replies_do_not_answer_the_customer() {
    let tk = ticket("2026-01-05T10:00:00Z", Creator::Customer);
    let tl = walk(
        &tk,
        vec![
            msg(1, "2026-01-05T10:00:00Z", Actor::Customer),
            msg(2, "2026-01-05T10:00:05Z", Actor::Bot),
            msg(3, "2026-01-05T10:01:00Z", Actor::System),
            ev(4, "2026-01-05T10:30:00Z", EventKind::Note, Actor::Agent),
            msg(5, "2026-01-05T11:15:00Z", Actor::Agent),
        ],
        &Calendars::default(),
    );
    let fr = first_response(&tl.observations).expect("a first response");
    assert_eq!(fr.event_id, Some(5));
    assert_eq!(fr.at, t("2026-01-05T11:15:00Z"));
    match fr.measure {
        Measure::FirstResponse(e, _) => {
            assert_eq!(e.calendar, Seconds(4500.0));
            // No calendar configured: business seconds equal calendar seconds.
            assert_eq!(e.business, Seconds(4500.0));
        }
        other => panic!("unexpected {other:?}"),
    }
    let ack = tl
        .observations
        .iter()
        .find_map(|o| match o.measure {
            Measure::FirstAcknowledgement(e) => Some(e.calendar),
            _ => None,
        })
        .expect("the bot acknowledged");
    assert_eq!(ack, Seconds(5.0));
}

#[test]
fn agent_initiated_tickets_have_no_first_response() {
    let tk = ticket("2026-01-05T10:00:00Z", Creator::Agent);
    let tl = walk(
        &tk,
        vec![
            msg(1, "2026-01-05T10:00:00Z", Actor::Agent),
            msg(2, "2026-01-05T12:00:00Z", Actor::Customer),
            msg(3, "2026-01-05T13:00:00Z", Actor::Agent),
        ],
        &Calendars::default(),
    );
    assert!(first_response(&tl.observations).is_none());
    let b = backlog::entry(&tk, &tl.state, t("2026-01-06T00:00:00Z")).expect("still open");
    assert_eq!(b.awaiting_first_response, None);
}

#[test]
fn reopen_then_resolve_again_gives_first_and_full_resolution() {
    // Created 09:00; agent reply 09:30; solved 10:00; customer writes back
    // 12:00 and the ticket reopens; agent reply 13:00; solved again 15:00;
    // closed 16:00 (not a solve: it was already solved).
    let tk = ticket("2026-01-05T09:00:00Z", Creator::Customer);
    let tl = walk(
        &tk,
        vec![
            msg(1, "2026-01-05T09:00:00Z", Actor::Customer),
            msg(2, "2026-01-05T09:30:00Z", Actor::Agent),
            status(3, "2026-01-05T10:00:00Z", Status::Solved),
            msg(4, "2026-01-05T12:00:00Z", Actor::Customer),
            status(5, "2026-01-05T12:00:00Z", Status::Open),
            msg(6, "2026-01-05T13:00:00Z", Actor::Agent),
            status(7, "2026-01-05T15:00:00Z", Status::Solved),
            status(8, "2026-01-05T16:00:00Z", Status::Closed),
        ],
        &Calendars::default(),
    );
    let firsts: Vec<_> = tl
        .observations
        .iter()
        .filter_map(|o| match o.measure {
            Measure::FirstResolution(e, _) => Some(e.calendar),
            _ => None,
        })
        .collect();
    assert_eq!(firsts, vec![Seconds(3600.0)]);
    let solves: Vec<_> = tl
        .observations
        .iter()
        .filter_map(|o| match o.measure {
            Measure::Solve(s) => Some((
                o.event_id,
                s.full_resolution.calendar,
                s.interactions,
                s.replies,
                s.one_touch(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        solves,
        vec![
            (Some(3), Seconds(3600.0), 2, 1, true),
            (Some(7), Seconds(6.0 * 3600.0), 4, 2, false),
        ]
    );
    let reopens: Vec<_> = tl
        .observations
        .iter()
        .filter(|o| o.measure == Measure::Reopen)
        .map(|o| o.event_id)
        .collect();
    assert_eq!(reopens, vec![Some(5)]);
    assert_eq!(tl.state.status, Status::Closed);
}

#[test]
fn closing_an_unsolved_ticket_is_a_solve_and_repeated_status_is_not_a_change() {
    let tk = ticket("2026-01-05T09:00:00Z", Creator::Customer);
    let tl = walk(
        &tk,
        vec![
            status(1, "2026-01-05T09:10:00Z", Status::Open),
            status(2, "2026-01-05T09:20:00Z", Status::Open),
            status(3, "2026-01-05T10:00:00Z", Status::Closed),
            status(4, "2026-01-05T10:05:00Z", Status::Closed),
        ],
        &Calendars::default(),
    );
    let solves = tl
        .observations
        .iter()
        .filter(|o| matches!(o.measure, Measure::Solve(_)))
        .count();
    assert_eq!(solves, 1);
    assert!(tl.observations.iter().any(|o| o.event_id == Some(3)
        && matches!(o.measure, Measure::FirstResolution(e, _) if e.calendar == Seconds(3600.0))));
}

#[test]
fn reroutes_count_team_changes_after_the_first_assignment() {
    // Team: none → tier1 (first assignment) → billing (re-route) → billing
    // (no change) → tier1 (re-route). Agent: a → b (reassignment); a null
    // agent means unchanged.
    let tk = ticket("2026-01-05T09:00:00Z", Creator::Customer);
    let tl = walk(
        &tk,
        vec![
            assign(1, "2026-01-05T09:00:00Z", Some("tier1"), Some("a")),
            assign(2, "2026-01-05T09:05:00Z", Some("billing"), None),
            assign(3, "2026-01-05T09:06:00Z", Some("billing"), Some("a")),
            assign(4, "2026-01-05T09:07:00Z", Some("tier1"), Some("b")),
            msg(5, "2026-01-05T09:30:00Z", Actor::Agent),
            status(6, "2026-01-05T10:00:00Z", Status::Solved),
        ],
        &Calendars::default(),
    );
    let m = measures(&tl.observations);
    assert_eq!(m.iter().filter(|m| **m == Measure::Reroute).count(), 2);
    assert_eq!(m.iter().filter(|m| **m == Measure::Reassignment).count(), 1);
    let shape = m
        .iter()
        .find_map(|m| match m {
            Measure::Solve(s) => Some(*s),
            _ => None,
        })
        .expect("solved");
    assert_eq!((shape.reroutes, shape.reassignments), (2, 1));
    // Created is attributed to the team assigned at the creation instant.
    let created = tl
        .observations
        .iter()
        .find(|o| o.measure == Measure::Created)
        .expect("created");
    assert_eq!(created.team.as_deref(), Some("tier1"));
    // The solve is attributed to the team as of the solve.
    let solve = tl
        .observations
        .iter()
        .find(|o| matches!(o.measure, Measure::Solve(_)))
        .expect("solve");
    assert_eq!(solve.team.as_deref(), Some("tier1"));
    assert_eq!(tl.team_at(t("2026-01-05T09:05:30Z")), Some("billing"));
    assert_eq!(tl.team_at(t("2026-01-05T08:00:00Z")), None);
}

#[test]
fn events_out_of_order_in_id_vs_time_are_placed_by_time() {
    // Event 9 (an agent reply at 09:20) was written after event 3 (a reply
    // at 09:40): the first response is event 9.
    let tk = ticket("2026-01-05T09:00:00Z", Creator::Customer);
    let tl = walk(
        &tk,
        vec![
            msg(3, "2026-01-05T09:40:00Z", Actor::Agent),
            status(10, "2026-01-05T10:00:00Z", Status::Solved),
            msg(9, "2026-01-05T09:20:00Z", Actor::Agent),
        ],
        &Calendars::default(),
    );
    let fr = first_response(&tl.observations).expect("responded");
    assert_eq!(fr.event_id, Some(9));
    assert!(matches!(fr.measure, Measure::FirstResponse(e, _) if e.calendar == Seconds(1200.0)));
}

#[test]
fn events_before_creation_and_duplicate_ids_are_rejected() {
    let tk = ticket("2026-01-05T09:00:00Z", Creator::Customer);
    let tl = walk(
        &tk,
        vec![
            msg(1, "2026-01-05T08:59:59Z", Actor::Agent),
            msg(2, "2026-01-05T09:10:00Z", Actor::Agent),
            msg(2, "2026-01-05T09:10:00Z", Actor::Agent),
        ],
        &Calendars::default(),
    );
    assert_eq!(
        tl.rejected,
        vec![
            (EventRejection::DuplicateId, 2),
            (EventRejection::BeforeCreation, 1)
        ]
    );
    assert_eq!(
        first_response(&tl.observations).map(|o| o.event_id),
        Some(Some(2))
    );
}

#[test]
fn business_first_response_uses_the_team_calendar_over_a_holiday_weekend() {
    // Paris support: Mon-Fri 09:00-17:00, Monday 2026-05-25 a holiday.
    // Created Friday 16:30 local (14:30Z), answered Tuesday 10:00 local
    // (08:00Z): 30 min + 60 min = 5400 business seconds. The us team uses
    // New York 24h weekdays: Fri 10:30 EDT → Tue 04:00 EDT is
    // Fri 13.5 h + Mon 24 h + Tue 4 h = 41.5 h.
    let paris = hours(
        chrono_tz::Europe::Paris,
        &[0, 1, 2, 3, 4],
        "09:00-17:00",
        &["2026-05-25"],
    );
    let ny = hours(
        chrono_tz::America::New_York,
        &[0, 1, 2, 3, 4],
        "00:00-24:00",
        &[],
    );
    let cals = Calendars::new(paris, HashMap::from([("us".to_string(), ny)]));
    let run = |team: &str| {
        let tk = ticket("2026-05-22T14:30:00Z", Creator::Customer);
        let tl = walk(
            &tk,
            vec![
                assign(1, "2026-05-22T14:30:00Z", Some(team), None),
                msg(2, "2026-05-26T08:00:00Z", Actor::Agent),
            ],
            &cals,
        );
        match first_response(&tl.observations).map(|o| o.measure) {
            Some(Measure::FirstResponse(e, _)) => e,
            other => panic!("unexpected {other:?}"),
        }
    };
    let fr = run("fr");
    assert_eq!(fr.business, Seconds(5400.0));
    assert_eq!(fr.calendar, Seconds(322_200.0));
    assert_eq!(run("us").business, Seconds(41.5 * 3600.0));
}

#[test]
fn slo_breaches_measured_and_active() {
    let slo = Slo {
        name: "frt_high".into(),
        metric: SloMetric::FirstResponse,
        clock: SloClock::Calendar,
        objective: crate::engine::slo::Objective::DEFAULT,
        target: Seconds(3600.0),
        priorities: vec![Priority::High],
        team: None,
        channel: None,
        pause_on: vec![],
    };
    let cals = Calendars::default();
    let tk = ticket("2026-01-05T09:00:00Z", Creator::Customer);
    // Answered after exactly one hour: not a breach (exceeding breaches).
    let on_time = walk(
        &tk,
        vec![msg(1, "2026-01-05T10:00:00Z", Actor::Agent)],
        &cals,
    );
    let fr = first_response(&on_time.observations).expect("fr");
    assert_eq!(slo.judge(&tk, fr), Some(false));
    let late = walk(
        &tk,
        vec![msg(1, "2026-01-05T10:00:01Z", Actor::Agent)],
        &cals,
    );
    assert_eq!(
        slo.judge(&tk, first_response(&late.observations).expect("fr")),
        Some(true)
    );
    // Not answered: an active breach once the clock passes the target.
    let waiting = walk(
        &tk,
        vec![msg(1, "2026-01-05T09:00:00Z", Actor::Customer)],
        &cals,
    );
    assert!(!slo.is_active_breach(&tk, &waiting.state, t("2026-01-05T09:59:00Z"), &cals));
    assert!(slo.is_active_breach(&tk, &waiting.state, t("2026-01-05T10:01:00Z"), &cals));
    // Another priority is not covered.
    let low = Ticket {
        priority: Priority::Low,
        ..tk.clone()
    };
    assert!(!slo.is_active_breach(&low, &waiting.state, t("2026-01-05T10:01:00Z"), &cals));
    // Business clock with no calendar configured equals the calendar clock.
    let business = Slo {
        clock: SloClock::Business,
        ..slo.clone()
    };
    assert!(business.is_active_breach(&tk, &waiting.state, t("2026-01-05T10:01:00Z"), &cals));
    let _ = Calendar::AlwaysOpen;
}

#[test]
fn backlog_and_awaiting_first_response() {
    let tk = ticket("2026-01-05T09:00:00Z", Creator::Customer);
    let cals = Calendars::default();
    let pending = walk(
        &tk,
        vec![status(1, "2026-01-05T09:05:00Z", Status::Pending)],
        &cals,
    );
    let b = backlog::entry(&tk, &pending.state, t("2026-01-05T11:00:00Z")).expect("in backlog");
    assert_eq!(b.status, Status::Pending);
    assert_eq!(b.awaiting_first_response, Some(Seconds(7200.0)));
    let solved = walk(
        &tk,
        vec![status(1, "2026-01-05T09:05:00Z", Status::Solved)],
        &cals,
    );
    assert!(backlog::entry(&tk, &solved.state, t("2026-01-05T11:00:00Z")).is_none());
    // A ticket with no event at all is new and waiting.
    let fresh = walk(&tk, vec![], &cals);
    assert_eq!(fresh.state.status, Status::New);
    assert_eq!(measures(&fresh.observations), vec![Measure::Created]);
}

/// Random tickets for the properties of the walk and of its stored form:
/// messages, notes, assignments and status changes by every actor, on two
/// teams with different calendars, some events out of time order and some
/// ids repeated.
pub(crate) mod arbitrary {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::{ev, ticket};
    use crate::engine::calendar::Calendars;
    use crate::engine::calendar::tests::hours;
    use crate::model::{Actor, Creator, Event, EventKind, Status, Ticket};

    /// Paris business hours by default, New York's for team `us`.
    pub(crate) fn calendars() -> Calendars {
        let by_team = HashMap::from([(
            "us".to_string(),
            hours(
                chrono_tz::America::New_York,
                &[0, 1, 2, 3, 4],
                "09:00-17:00",
                &[],
            ),
        )]);
        Calendars::new(
            hours(
                chrono_tz::Europe::Paris,
                &[0, 1, 2, 3, 4],
                "09:00-12:30,13:30-18:00",
                &["2026-03-30"],
            ),
            by_team,
        )
    }

    fn one_event() -> impl Strategy<Value = (u32, u8, u8, u8, u8)> {
        // Minutes after creation (up to ~3 weeks, across the DST change of
        // 29 March 2026), kind, actor, status or team, id reuse.
        (0u32..30_000, 0u8..4, 0u8..4, 0u8..8, 0u8..20)
    }

    /// A ticket created on 2026-03-20 and its events, in no order; one
    /// event in twenty is the previous row again (a duplicated row).
    pub(crate) fn ticket_and_events() -> impl Strategy<Value = (Ticket, Vec<Event>)> {
        (any::<bool>(), proptest::collection::vec(one_event(), 0..24)).prop_map(
            |(by_customer, raw)| {
                let creator = if by_customer {
                    Creator::Customer
                } else {
                    Creator::Agent
                };
                let tk = ticket("2026-03-20T08:00:00Z", creator);
                let mut events: Vec<Event> = Vec::new();
                for (i, &(minutes, kind, actor, pick, reuse)) in raw.iter().enumerate() {
                    if let (0, Some(last)) = (reuse, events.last()) {
                        events.push(last.clone());
                        continue;
                    }
                    let id = i as i64 + 1;
                    let at = tk.created_at + chrono::Duration::minutes(i64::from(minutes));
                    let actor = [Actor::Customer, Actor::Agent, Actor::Bot, Actor::System]
                        [usize::from(actor)];
                    let mut e = ev(id, "2026-03-20T08:00:00Z", EventKind::Note, actor);
                    e.occurred_at = at;
                    match kind {
                        0 => e.kind = EventKind::Message,
                        1 => {}
                        2 => {
                            e.kind = EventKind::Assign;
                            e.team = Some(["eu", "us", "eu", "us"][usize::from(pick % 4)].into());
                            e.agent_id = (pick % 3 != 0).then(|| format!("a{}", pick % 3));
                        }
                        _ => {
                            e.kind = EventKind::Status;
                            e.status = Some(
                                [
                                    Status::Open,
                                    Status::Pending,
                                    Status::OnHold,
                                    Status::Solved,
                                    Status::Closed,
                                    Status::Open,
                                    Status::Solved,
                                    Status::New,
                                ][usize::from(pick)],
                            );
                        }
                    }
                    events.push(e);
                }
                (tk, events)
            },
        )
    }
}

proptest::proptest! {
    /// A timeline cut at an instant is the walk of the events before it:
    /// what a report of a past period read from the state store relies on.
    #[test]
    fn a_timeline_until_an_instant_is_the_walk_of_the_events_before_it(
        (tk, events) in arbitrary::ticket_and_events(),
        cut_minutes in 0i64..31_000,
    ) {
        let calendars = arbitrary::calendars();
        let upto = tk.created_at + chrono::Duration::minutes(cut_minutes);
        let whole = walk(&tk, events.clone(), &calendars);
        let before: Vec<Event> = events.into_iter().filter(|e| e.occurred_at < upto).collect();
        let mut expected = walk(&tk, before, &calendars);
        expected.rejected.clear();
        proptest::prop_assert_eq!(whole.until(upto, tk.created_at), expected);
    }
}
