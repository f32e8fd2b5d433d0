//! Time in status (DESIGN.md §3, Zendesk's definitions; measured at every
//! solve event).
//!
//! A ticket is `new` from its creation until its first `status` event; each
//! `status` event sets its status. Up to each solve event, in calendar and
//! in business seconds (the team's calendar at each moment):
//! - **requester wait**: time in `new`, `open` and `on_hold` (the customer
//!   waits on us);
//! - **agent wait**: time in `pending` (we wait on the customer);
//! - **on-hold**: time in `on_hold` (we wait on a third party);
//! - **agent work**: time in `new` and `open`.
//!
//! Time in `solved` is never counted; after a reopen the clocks go on.
//!
//! The walk cuts the ticket's life into segments at every status change
//! and every team change; a segment's business seconds are counted in the
//! calendar of the team that held the ticket during it, so a ticket moved
//! from a Paris team to a New York one is measured in each team's hours
//! in turn.

use crate::engine::calendar::Calendars;
use crate::engine::timeline::Elapsed;
use crate::model::{Event, EventKind, Instant, Seconds, Status};

/// The four clocks at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatusTimes {
    pub requester_wait: Elapsed,
    pub agent_wait: Elapsed,
    pub on_hold: Elapsed,
    pub agent_work: Elapsed,
}

const ZERO: Elapsed = Elapsed {
    calendar: Seconds::ZERO,
    business: Seconds::ZERO,
};

impl Default for StatusTimes {
    fn default() -> Self {
        StatusTimes {
            requester_wait: ZERO,
            agent_wait: ZERO,
            on_hold: ZERO,
            agent_work: ZERO,
        }
    }
}

fn add(a: &mut Elapsed, b: Elapsed) {
    a.calendar.0 += b.calendar.0;
    a.business.0 += b.business.0;
}

impl StatusTimes {
    /// Adds a segment of `span` spent in `status`.
    fn count(&mut self, status: Status, span: Elapsed) {
        match status {
            Status::New | Status::Open => {
                add(&mut self.requester_wait, span);
                add(&mut self.agent_work, span);
            }
            Status::OnHold => {
                add(&mut self.requester_wait, span);
                add(&mut self.on_hold, span);
            }
            Status::Pending => add(&mut self.agent_wait, span),
            Status::Solved | Status::Closed | Status::Deleted | Status::Spam => {}
        }
    }
}

/// The running clocks of one ticket, fed its events in time order.
#[derive(Debug, Clone)]
pub struct TimeInStatus {
    status: Status,
    /// Where the running segment started.
    since: Instant,
    team: Option<String>,
    totals: StatusTimes,
}

impl TimeInStatus {
    /// A ticket created at `created_at`: `new`, no team yet.
    pub fn new(created_at: Instant) -> TimeInStatus {
        TimeInStatus {
            status: Status::New,
            since: created_at,
            team: None,
            totals: StatusTimes::default(),
        }
    }

    fn segment(&self, until: Instant, calendars: &Calendars) -> Elapsed {
        Elapsed {
            calendar: Seconds(Seconds::between(self.since, until).0.max(0.0)),
            business: calendars
                .for_team(self.team.as_deref())
                .business_seconds(self.since, until),
        }
    }

    /// `ev` happened; `team` is the ticket's team after it (routing has
    /// seen the event). Ends the running segment when the status or the
    /// team changes.
    pub fn on_event(&mut self, ev: &Event, team: Option<&str>, calendars: &Calendars) {
        let status = match (ev.kind, ev.status) {
            (EventKind::Status, Some(s)) => s,
            _ => self.status,
        };
        if status == self.status && team == self.team.as_deref() {
            return;
        }
        let span = self.segment(ev.occurred_at, calendars);
        self.totals.count(self.status, span);
        self.status = status;
        self.team = team.map(str::to_string);
        self.since = ev.occurred_at;
    }

    /// The clocks at `at` (a solve event: after `on_event` of its event,
    /// whose status is then `solved`, so nothing runs past it).
    pub fn at(&self, at: Instant, calendars: &Calendars) -> StatusTimes {
        let mut t = self.totals;
        t.count(self.status, self.segment(at, calendars));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::calendar::{Calendar, WeeklyHours, parse_day_hours};
    use crate::model::Actor;
    use chrono::{DateTime, NaiveDate, Utc};
    use proptest::prelude::*;

    fn t(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn status(at: &str, s: Status) -> Event {
        Event {
            id: 0,
            ticket_id: "t".into(),
            occurred_at: t(at),
            kind: EventKind::Status,
            actor: Actor::Agent,
            actor_id: None,
            team: None,
            agent_id: None,
            status: Some(s),
        }
    }

    /// Monday to Friday 09:00–17:00 in Paris; Friday 30 October 2026 a
    /// holiday.
    fn paris() -> Calendars {
        let mut days: [Vec<_>; 7] = Default::default();
        for d in days.iter_mut().take(5) {
            *d = parse_day_hours("09:00-17:00").expect("hours");
        }
        let hours = WeeklyHours {
            timezone: chrono_tz::Europe::Paris,
            days,
            holidays: [NaiveDate::from_ymd_opt(2026, 10, 30).expect("date")].into(),
        };
        Calendars::new(Calendar::Hours(hours), Default::default())
    }

    const H: f64 = 3600.0;

    /// The status events of the ticket both hand-computed tests follow
    /// (UTC; the Paris hours are in the first test's comment), created
    /// 2026-10-23T13:00:00Z.
    const JOURNEY: [(&str, Status); 7] = [
        ("2026-10-23T14:00:00Z", Status::Open),
        ("2026-10-26T09:00:00Z", Status::Pending),
        ("2026-10-26T13:00:00Z", Status::Open),
        ("2026-10-27T08:30:00Z", Status::OnHold),
        ("2026-10-28T10:00:00Z", Status::Solved),
        ("2026-10-29T09:00:00Z", Status::Open),
        ("2026-11-02T11:00:00Z", Status::Solved),
    ];

    fn hours(e: Elapsed) -> (f64, f64) {
        (e.calendar.0 / H, e.business.0 / H)
    }

    /// new → open → pending → open → on_hold → solved → reopened → solved,
    /// over a weekend with the change from summer time (Sunday 25 October:
    /// that weekend is an hour longer), and a holiday before the second
    /// solve. Hand-computed in Paris time:
    /// - new, Fri 23 Oct 15:00–16:00: 1 h, 1 business h;
    /// - open, Fri 16:00 → Mon 26 10:00: 67 h (66 on the wall clock plus
    ///   the hour given back), business Fri 16–17 + Mon 09–10 = 2 h;
    /// - pending, Mon 10:00–14:00: 4 h, 4 business h;
    /// - open, Mon 14:00 → Tue 09:30: 19.5 h, business 3 + 0.5 = 3.5 h;
    /// - on hold, Tue 09:30 → Wed 11:00: 25.5 h, business 7.5 + 2 = 9.5 h;
    /// - solved Wed 11:00 → reopened Thu 29 10:00: not counted;
    /// - open, Thu 10:00 → Mon 2 Nov 12:00: 98 h, business Thu 10–17 = 7 h,
    ///   Friday the holiday, Mon 09–12 = 3 h, so 10 h.
    #[test]
    fn the_four_clocks_across_a_weekend_a_dst_change_and_a_holiday() {
        let cal = paris();
        let team = Some("billing");
        let mut clocks = TimeInStatus::new(t("2026-10-23T13:00:00Z"));
        let mut at_solves = Vec::new();
        for (at, s) in JOURNEY {
            let ev = status(at, s);
            clocks.on_event(&ev, team, &cal);
            if s == Status::Solved {
                at_solves.push(clocks.at(ev.occurred_at, &cal));
            }
        }
        let first = at_solves[0];
        assert_eq!(hours(first.requester_wait), (113.0, 16.0));
        assert_eq!(hours(first.agent_wait), (4.0, 4.0));
        assert_eq!(hours(first.on_hold), (25.5, 9.5));
        assert_eq!(hours(first.agent_work), (87.5, 6.5));
        // Requester wait + agent wait = full resolution (117 h) until the
        // first solve: no time in solved yet.
        let second = at_solves[1];
        assert_eq!(hours(second.requester_wait), (211.0, 26.0));
        assert_eq!(hours(second.agent_wait), (4.0, 4.0));
        assert_eq!(hours(second.on_hold), (25.5, 9.5));
        assert_eq!(hours(second.agent_work), (185.5, 16.5));
    }

    /// A repeated status and a message change nothing; a team change cuts
    /// the segment so that each team's calendar counts its own part.
    #[test]
    fn each_team_counts_in_its_own_calendar() {
        let mut by_team = std::collections::HashMap::new();
        by_team.insert("night".to_string(), Calendar::AlwaysOpen);
        let cal = Calendars::new(paris().for_team(None).clone(), by_team);
        // Created Friday 23 Oct 16:00 Paris in billing (Paris hours),
        // moved to `night` (always open) at 17:00, solved Sat 02:00.
        let mut clocks = TimeInStatus::new(t("2026-10-23T14:00:00Z"));
        let mut assign = status("2026-10-23T15:00:00Z", Status::New);
        assign.kind = EventKind::Assign;
        assign.status = None;
        clocks.on_event(
            &status("2026-10-23T14:00:00Z", Status::New),
            Some("billing"),
            &cal,
        );
        clocks.on_event(&assign, Some("night"), &cal);
        let solve = status("2026-10-24T00:00:00Z", Status::Solved);
        clocks.on_event(&solve, Some("night"), &cal);
        let at = clocks.at(solve.occurred_at, &cal);
        // 16:00–17:00 in billing's hours (1 business h), then 17:00–02:00
        // in night's (9 h, all business).
        assert_eq!(hours(at.requester_wait), (10.0, 10.0));
    }

    /// The same ticket through the engine walk and a report: each solve
    /// event is one observation of each clock (113 h and 211 h of requester
    /// wait; the median of two is their mean), and the team's calendar is
    /// the one the assignment names.
    #[test]
    fn a_report_summarises_the_clocks_at_every_solve() {
        use crate::report::Period;
        use crate::report::aggregate::Aggregator;
        let cal = paris();
        let ticket = crate::engine::test_ticket(t("2026-10-23T13:00:00Z"));
        let mut events: Vec<Event> = JOURNEY.into_iter().map(|(at, st)| status(at, st)).collect();
        let mut assign = status("2026-10-23T13:00:00Z", Status::New);
        assign.kind = EventKind::Assign;
        assign.status = None;
        assign.team = Some("billing".into());
        events.insert(0, assign);
        for (i, e) in events.iter_mut().enumerate() {
            e.id = i as i64 + 1;
        }
        let timeline = crate::engine::timeline::walk(&ticket, events, &cal);
        let period = Period {
            from: t("2026-10-01T00:00:00Z"),
            to: t("2026-12-01T00:00:00Z"),
        };
        let mut agg = Aggregator::new(period, None, period.to, &cal, &[]);
        agg.ticket(&ticket, &timeline, &[]);
        let (m, _) = agg.finish();
        assert_eq!(m.requester_wait_seconds.count, 2);
        assert_eq!(m.requester_wait_seconds.p50, Some(162.0 * H));
        assert_eq!(m.requester_wait_business_seconds.p50, Some(21.0 * H));
        assert_eq!(m.agent_wait_seconds.p50, Some(4.0 * H));
        assert_eq!(m.on_hold_business_seconds.p90, Some(9.5 * H));
        assert_eq!(m.agent_work_business_seconds.p50, Some(11.5 * H));
    }

    fn any_status() -> impl Strategy<Value = Status> {
        prop_oneof![
            Just(Status::New),
            Just(Status::Open),
            Just(Status::Pending),
            Just(Status::OnHold),
            Just(Status::Solved),
            Just(Status::Closed),
        ]
    }

    proptest! {
        /// At every instant: requester wait + agent wait ≤ the time since
        /// creation; agent work and on-hold ≤ requester wait; business ≤
        /// calendar for each clock.
        #[test]
        fn the_clocks_keep_their_order(
            steps in proptest::collection::vec((1u32..200_000, any_status(), any::<bool>()), 1..30)
        ) {
            let cal = paris();
            let created = t("2026-10-20T08:00:00Z");
            let mut clocks = TimeInStatus::new(created);
            let mut at = created;
            for (gap, s, move_team) in steps {
                at += chrono::Duration::seconds(i64::from(gap));
                let team = if move_team { Some("night") } else { Some("billing") };
                clocks.on_event(&status(&at.to_rfc3339(), s), team, &cal);
                let c = clocks.at(at, &cal);
                let since = Seconds::between(created, at).0 + 1e-6;
                prop_assert!(c.requester_wait.calendar.0 + c.agent_wait.calendar.0 <= since);
                prop_assert!(c.agent_work.calendar.0 <= c.requester_wait.calendar.0 + 1e-6);
                prop_assert!(c.on_hold.calendar.0 <= c.requester_wait.calendar.0 + 1e-6);
                for e in [c.requester_wait, c.agent_wait, c.on_hold, c.agent_work] {
                    prop_assert!(e.business.0 <= e.calendar.0 + 1e-6);
                }
            }
        }
    }
}
