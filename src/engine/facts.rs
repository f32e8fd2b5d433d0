//! One ticket's facts: the row of `support_ticket_facts` (DESIGN.md §5
//! "Ticket facts"), the drill-down that Prometheus cannot hold.
//!
//! What each fact means, from the same walk every reader uses:
//! - **first response / first resolution**: the observations of §3 (once per
//!   ticket), in calendar and business seconds;
//! - **solved_at, full resolution, requester wait, agent wait, on-hold**: as
//!   of the ticket's latest solve event (time in status is measured at solve
//!   events); `solved_at` is empty while the ticket is open again after a
//!   reopen, the other values then keep the previous solve's;
//! - **reopens, re-routes, reassignments, interactions, replies, reply
//!   times (summed, with their count)**: totals so
//!   far, open tickets included (a ticket bounced between teams is the one a
//!   lead wants to see before it is solved);
//! - **csat_score**: the latest CSAT answer about the ticket;
//! - **customer_confirmed**: whether the latest solve event was confirmed by
//!   the customer (empty when never solved);
//! - **slo_breached**: the SLOs whose measured time exceeded their target,
//!   and those whose running clock has passed it at `now` (active breaches).

use crate::engine::calendar::Calendars;
use crate::engine::slo::Slo;
use crate::engine::timeline::{Elapsed, Measure, Timeline};
use crate::model::{Instant, Seconds, SurveyResponse, SurveyScore, Ticket};

/// The facts of one walked ticket, as of `updated_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFacts {
    pub category: Option<String>,
    pub agent_id: Option<String>,
    pub first_response: Option<Elapsed>,
    pub first_resolution: Option<Elapsed>,
    pub solved_at: Option<Instant>,
    pub full_resolution: Option<Seconds>,
    pub requester_wait: Option<Seconds>,
    pub agent_wait: Option<Seconds>,
    pub on_hold: Option<Seconds>,
    pub reopens: u32,
    pub reroutes: u32,
    pub reassignments: u32,
    pub interactions: u32,
    pub replies: u32,
    /// Every exchange's reply time so far (`replies`), summed, and how many:
    /// a mean over many tickets is the sum of sums over the sum of counts.
    pub reply_seconds_total: Seconds,
    pub reply_count: u32,
    /// 1–5; `None` until the ticket has a CSAT answer.
    pub csat_score: Option<u8>,
    /// When that answer was given: the store keeps the newest of those it
    /// has read, whatever order they arrive in.
    pub csat_at: Option<Instant>,
    pub customer_confirmed: Option<bool>,
    /// SLO names in configuration order, each once.
    pub slo_breached: Vec<String>,
    pub updated_at: Instant,
}

impl TicketFacts {
    /// The facts of `ticket` walked into `tl`, with `surveys` (its answers
    /// read with it), judged against `slos` at `now`.
    pub fn of(
        ticket: &Ticket,
        tl: &Timeline,
        surveys: &[SurveyResponse],
        slos: &[Slo],
        calendars: &Calendars,
        now: Instant,
    ) -> TicketFacts {
        let mut f = TicketFacts {
            category: ticket.category.clone(),
            agent_id: tl.state.agent.clone(),
            first_response: None,
            first_resolution: None,
            solved_at: None,
            full_resolution: None,
            requester_wait: None,
            agent_wait: None,
            on_hold: None,
            reopens: 0,
            reroutes: 0,
            reassignments: 0,
            interactions: tl.state.interactions,
            replies: tl.state.replies,
            reply_seconds_total: Seconds::ZERO,
            reply_count: 0,
            csat_score: None,
            csat_at: None,
            customer_confirmed: None,
            slo_breached: Vec::new(),
            updated_at: now,
        };
        let mut breached = vec![false; slos.len()];
        for obs in &tl.observations {
            match obs.measure {
                Measure::FirstResponse(e, _) => f.first_response = Some(e),
                Measure::FirstResolution(e, _) => f.first_resolution = Some(e),
                Measure::Solve(s) => {
                    f.solved_at = Some(obs.at);
                    f.full_resolution = Some(s.full_resolution.calendar);
                    f.requester_wait = Some(s.status_times.requester_wait.calendar);
                    f.agent_wait = Some(s.status_times.agent_wait.calendar);
                    f.on_hold = Some(s.status_times.on_hold.calendar);
                    // Confirmed later, if at all (before any reopen).
                    f.customer_confirmed = Some(false);
                }
                Measure::CustomerConfirmed => f.customer_confirmed = Some(true),
                Measure::Reopen => f.reopens += 1,
                Measure::Reroute => f.reroutes += 1,
                Measure::Reassignment => f.reassignments += 1,
                Measure::Reply(e) => {
                    f.reply_seconds_total.0 += e.calendar.0;
                    f.reply_count += 1;
                }
                Measure::Created | Measure::FirstAcknowledgement(_) => {}
            }
            for (slo, b) in slos.iter().zip(breached.iter_mut()) {
                *b |= slo.judge(ticket, obs) == Some(true);
            }
        }
        if !tl.state.status.is_done() {
            f.solved_at = None;
        }
        for (slo, b) in slos.iter().zip(breached.iter_mut()) {
            *b |= slo.is_active_breach(ticket, &tl.state, now, calendars);
        }
        f.slo_breached = slos
            .iter()
            .zip(breached)
            .filter(|(_, b)| *b)
            .map(|(s, _)| s.name.clone())
            .collect();
        let latest = surveys
            .iter()
            .filter_map(|s| match s.score {
                SurveyScore::Csat(v) => Some((s.responded_at, v)),
                _ => None,
            })
            .max_by_key(|(at, _)| *at);
        f.csat_at = latest.map(|(at, _)| at);
        f.csat_score = latest.map(|(_, v)| v);
        f
    }
}

/// `names` as the facts column holds them: comma-separated, empty for none.
pub fn join_breached(names: &[String]) -> String {
    names.join(",")
}

/// `stored` with the names in `more` it lacks, in the order given: the
/// running-clock breaches found since the row was written.
pub fn with_breaches(stored: &str, more: &[&str]) -> Option<String> {
    // Called for every open ticket at every collection: most have no
    // running breach, and cost nothing.
    if more.is_empty() {
        return None;
    }
    let have: Vec<&str> = stored.split(',').filter(|s| !s.is_empty()).collect();
    let missing: Vec<&str> = more.iter().copied().filter(|m| !have.contains(m)).collect();
    if missing.is_empty() {
        return None;
    }
    Some(
        have.into_iter()
            .chain(missing)
            .collect::<Vec<_>>()
            .join(","),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::engine::calendar::tests::{hours, t};
    use crate::engine::calendar::{Calendar, Calendars};
    use crate::engine::slo::{SloClock, SloMetric};
    use crate::engine::tests::ev;
    use crate::engine::timeline::walk;
    use crate::model::{Actor, Creator, Event, EventKind, Status};

    /// A customer's high-priority email ticket about billing.
    fn ticket(created: &str) -> Ticket {
        crate::engine::tests::ticket(created, Creator::Customer)
    }

    /// A status change by `actor`.
    fn status(id: i64, at: &str, s: Status, actor: Actor) -> Event {
        Event {
            actor,
            ..crate::engine::tests::status(id, at, s)
        }
    }

    fn assign(id: i64, at: &str, team: &str, agent: &str) -> Event {
        crate::engine::tests::assign(id, at, Some(team), Some(agent))
    }

    fn slo(name: &str, metric: SloMetric, hours: f64) -> Slo {
        crate::engine::tests::slo(name, metric, SloClock::Calendar, hours)
    }

    fn csat(id: &str, at: &str, score: u8) -> SurveyResponse {
        SurveyResponse {
            id: id.into(),
            ticket_id: Some("T1".into()),
            responded_at: t(at),
            score: SurveyScore::Csat(score),
            comment: None,
        }
    }

    /// Business hours Monday–Friday 09:00–17:00 UTC.
    fn office() -> Calendars {
        let cal: Calendar = hours(chrono_tz::UTC, &[0, 1, 2, 3, 4], "09:00-17:00", &[]);
        Calendars::new(cal, HashMap::new())
    }

    /// Monday 5 January 2026, 08:00: the customer writes; billing/a1 take
    /// it at 09:10 and answer at 10:30 (9,000 s, of which 5,400 s in
    /// office hours: a breach of the 1 h first-response SLO); tier2/a2 at
    /// 11:00 (one re-route, one reassignment), pending 11:00–16:00, solved
    /// at 16:00 (first resolution 8 h = 28,800 s, exactly the 8 h target:
    /// not a breach; 7 h in office hours). The customer reopens on Tuesday
    /// at 08:00, a2 answers at 10:00, solves at 11:00 (full resolution 27 h),
    /// and the customer closes it at 12:00 (confirmed). Up to the last solve:
    /// new 08:00–11:00 (3 h) + open Tue 08:00–11:00 (3 h) = 6 h requester
    /// wait; pending 5 h of agent wait. Two CSAT answers: the later, 5, holds.
    #[test]
    fn a_reopened_rerouted_ticket_has_the_hand_computed_facts() {
        let tk = ticket("2026-01-05T08:00:00Z");
        let events = vec![
            ev(
                1,
                "2026-01-05T08:00:00Z",
                EventKind::Message,
                Actor::Customer,
            ),
            assign(2, "2026-01-05T09:10:00Z", "billing", "a1"),
            ev(3, "2026-01-05T10:30:00Z", EventKind::Message, Actor::Agent),
            assign(4, "2026-01-05T11:00:00Z", "tier2", "a2"),
            status(5, "2026-01-05T11:00:00Z", Status::Pending, Actor::Agent),
            status(6, "2026-01-05T16:00:00Z", Status::Solved, Actor::Agent),
            status(7, "2026-01-06T08:00:00Z", Status::Open, Actor::Customer),
            ev(8, "2026-01-06T10:00:00Z", EventKind::Message, Actor::Agent),
            status(9, "2026-01-06T11:00:00Z", Status::Solved, Actor::Agent),
            status(10, "2026-01-06T12:00:00Z", Status::Closed, Actor::Customer),
        ];
        let cals = office();
        let tl = walk(&tk, events, &cals);
        let slos = [
            slo("frt_high", SloMetric::FirstResponse, 1.0),
            slo("resolution_high", SloMetric::Resolution, 8.0),
        ];
        let surveys = [
            csat("s2", "2026-01-06T13:00:00Z", 5),
            csat("s1", "2026-01-05T17:00:00Z", 2),
        ];
        let now = t("2026-01-07T00:00:00Z");
        let f = TicketFacts::of(&tk, &tl, &surveys, &slos, &cals, now);
        let e = |c: f64, b: f64| {
            Some(Elapsed {
                calendar: Seconds(c),
                business: Seconds(b),
            })
        };
        assert_eq!(f.category.as_deref(), Some("billing"));
        assert_eq!(f.agent_id.as_deref(), Some("a2"));
        assert_eq!(f.first_response, e(9_000.0, 5_400.0));
        assert_eq!(f.first_resolution, e(28_800.0, 25_200.0));
        assert_eq!(f.solved_at, Some(t("2026-01-06T11:00:00Z")));
        assert_eq!(f.full_resolution, Some(Seconds(27.0 * 3600.0)));
        assert_eq!(f.requester_wait, Some(Seconds(6.0 * 3600.0)));
        assert_eq!(f.agent_wait, Some(Seconds(5.0 * 3600.0)));
        assert_eq!(f.on_hold, Some(Seconds(0.0)));
        assert_eq!(
            (f.reopens, f.reroutes, f.reassignments),
            (1, 1, 1),
            "reopens, re-routes, reassignments"
        );
        assert_eq!((f.interactions, f.replies), (3, 2));
        // Two exchanges: 08:00 → 10:30 (9,000 s); the reopen is a status,
        // not a message, so Tuesday's reply answers no customer message.
        assert_eq!(
            (f.reply_seconds_total, f.reply_count),
            (Seconds(9_000.0), 1)
        );
        assert_eq!(f.csat_score, Some(5));
        assert_eq!(f.customer_confirmed, Some(true));
        assert_eq!(f.slo_breached, vec!["frt_high".to_string()]);
        assert_eq!(f.updated_at, now);
    }

    /// Open and unanswered at 10:30 after arriving at 09:00: the 1 h
    /// first-response clock has run out (an active breach), nothing is
    /// solved, nothing confirmed; reopened tickets lose their `solved_at`.
    #[test]
    fn an_open_ticket_shows_its_running_breaches_and_no_solve() {
        let tk = ticket("2026-01-05T09:00:00Z");
        let cals = Calendars::default();
        let slos = [
            slo("frt_high", SloMetric::FirstResponse, 1.0),
            slo("resolution_high", SloMetric::Resolution, 8.0),
        ];
        let waiting = walk(
            &tk,
            vec![ev(
                1,
                "2026-01-05T09:00:00Z",
                EventKind::Message,
                Actor::Customer,
            )],
            &cals,
        );
        let at = |s: &str| TicketFacts::of(&tk, &waiting, &[], &slos, &cals, t(s));
        let early = at("2026-01-05T10:00:00Z");
        assert!(early.slo_breached.is_empty(), "exactly 1 h is not past 1 h");
        let late = at("2026-01-05T10:30:00Z");
        assert_eq!(late.slo_breached, vec!["frt_high".to_string()]);
        assert_eq!((late.solved_at, late.customer_confirmed), (None, None));
        assert_eq!(
            (late.interactions, late.replies, late.csat_score),
            (1, 0, None)
        );

        let reopened = walk(
            &tk,
            vec![
                status(1, "2026-01-05T10:00:00Z", Status::Solved, Actor::Agent),
                status(2, "2026-01-05T11:00:00Z", Status::Open, Actor::Customer),
            ],
            &cals,
        );
        let f = TicketFacts::of(&tk, &reopened, &[], &slos, &cals, t("2026-01-05T12:00:00Z"));
        assert_eq!(f.solved_at, None);
        assert_eq!(f.full_resolution, Some(Seconds(3600.0)), "the last solve's");
        assert_eq!(f.customer_confirmed, Some(false));
        assert_eq!(f.reopens, 1);
    }

    #[test]
    fn running_breaches_are_added_once_in_the_order_found() {
        assert_eq!(with_breaches("", &["a"]).as_deref(), Some("a"));
        assert_eq!(with_breaches("a", &["a"]), None);
        assert_eq!(with_breaches("a", &["b", "a"]).as_deref(), Some("a,b"));
        assert_eq!(with_breaches("a,b", &[]), None);
        assert_eq!(join_breached(&["x".into(), "y".into()]), "x,y");
    }
}
