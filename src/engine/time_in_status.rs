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
//! Time in `solved` is never counted in these four; after a reopen the
//! clocks go on. (`ByStatus` keeps it, for an SLO that does not pause in
//! it: a first response after a reopen.)
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

fn add(a: &mut Elapsed, b: Elapsed) {
    a.calendar.0 += b.calendar.0;
    a.business.0 += b.business.0;
}

fn sum(statuses: &[Status], by: &ByStatus) -> Elapsed {
    let mut total = ZERO;
    for s in statuses {
        add(&mut total, by.get(*s));
    }
    total
}

/// Time spent in each status up to an instant, in both clocks; each
/// stretch's business seconds in the calendar of the team holding the
/// ticket then. The four clocks and the paused SLO clocks (DESIGN.md §3)
/// are sums of its entries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ByStatus([Elapsed; Status::ALL.len()]);

impl Default for ByStatus {
    fn default() -> Self {
        ByStatus([ZERO; Status::ALL.len()])
    }
}

impl ByStatus {
    fn slot(status: Status) -> usize {
        Status::ALL.iter().position(|s| *s == status).unwrap_or(0)
    }

    pub fn get(&self, status: Status) -> Elapsed {
        self.0[Self::slot(status)]
    }

    /// Adds `span` to the time in `status`.
    pub(crate) fn count(&mut self, status: Status, span: Elapsed) {
        add(&mut self.0[Self::slot(status)], span);
    }

    /// Time in every status but `paused`: a paused SLO's clock.
    pub fn except(&self, paused: &[Status]) -> Elapsed {
        let mut total = ZERO;
        for (s, e) in Status::ALL.iter().zip(self.0) {
            if !paused.contains(s) {
                add(&mut total, e);
            }
        }
        total
    }

    /// Requester wait, agent wait, on-hold and agent work.
    pub fn times(&self) -> StatusTimes {
        use Status::{New, OnHold, Open, Pending};
        StatusTimes {
            requester_wait: sum(&[New, Open, OnHold], self),
            agent_wait: sum(&[Pending], self),
            on_hold: sum(&[OnHold], self),
            agent_work: sum(&[New, Open], self),
        }
    }

    /// The statuses with time in them, as `status=calendar/business`
    /// pairs joined by `,` (the state store's column).
    pub fn encode(&self) -> String {
        Status::ALL
            .iter()
            .zip(self.0)
            .filter(|(_, e)| e.calendar.0 != 0.0 || e.business.0 != 0.0)
            .map(|(s, e)| format!("{}={}/{}", s.as_str(), e.calendar.0, e.business.0))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The inverse of `encode`; `None` for text it did not write.
    pub fn decode(text: &str) -> Option<ByStatus> {
        let mut by = ByStatus::default();
        for part in text.split(',').filter(|p| !p.is_empty()) {
            let (status, values) = part.split_once('=')?;
            let (calendar, business) = values.split_once('/')?;
            let status: Status = status.parse().ok()?;
            let e = Elapsed {
                calendar: Seconds(calendar.parse().ok()?),
                business: Seconds(business.parse().ok()?),
            };
            if !(e.calendar.0.is_finite() && e.business.0.is_finite()) {
                return None;
            }
            by.count(status, e);
        }
        Some(by)
    }
}

/// The running clocks of one ticket, fed its events in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeInStatus {
    status: Status,
    /// Where the running segment started.
    since: Instant,
    team: Option<String>,
    totals: ByStatus,
}

impl TimeInStatus {
    /// A ticket created at `created_at`: `new`, no team yet.
    pub fn new(created_at: Instant) -> TimeInStatus {
        TimeInStatus {
            status: Status::New,
            since: created_at,
            team: None,
            totals: ByStatus::default(),
        }
    }

    /// The clocks as the state store kept them: `totals` up to `since`,
    /// when the ticket entered `status` (or changed team to `team`).
    pub fn resume(
        status: Status,
        since: Instant,
        team: Option<String>,
        totals: ByStatus,
    ) -> TimeInStatus {
        TimeInStatus {
            status,
            since,
            team,
            totals,
        }
    }

    /// Everything [`TimeInStatus::resume`] takes: the running status, when
    /// its segment started, the team holding it and the totals before.
    pub fn parts(&self) -> (Status, Instant, Option<&str>, &ByStatus) {
        (self.status, self.since, self.team.as_deref(), &self.totals)
    }

    /// When the running segment started, and the totals before it.
    pub fn saved(&self) -> (Instant, &ByStatus) {
        (self.since, &self.totals)
    }

    /// The running segment up to `until`; none before its start (a
    /// stored ticket read with a clock behind its last event).
    fn segment(&self, until: Instant, calendars: &Calendars) -> Elapsed {
        let mut span =
            Elapsed::between(self.since, until, calendars.for_team(self.team.as_deref()));
        span.calendar.0 = span.calendar.0.max(0.0);
        span
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

    /// Time in each status up to `at` (not before the running segment's
    /// start).
    pub fn by_status(&self, at: Instant, calendars: &Calendars) -> ByStatus {
        let mut t = self.totals;
        t.count(self.status, self.segment(at, calendars));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::calendar::{Calendar, WeeklyHours, parse_day_hours};
    use crate::engine::slo::{Objective, Slo, SloClock, SloMetric};
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
                at_solves.push(clocks.by_status(ev.occurred_at, &cal).times());
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
        let at = clocks.by_status(solve.occurred_at, &cal).times();
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
        use crate::model::Period;
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

    fn journey_events(until: usize) -> Vec<Event> {
        JOURNEY[..until]
            .iter()
            .enumerate()
            .map(|(i, (at, st))| Event {
                id: i as i64 + 1,
                ..status(at, *st)
            })
            .collect()
    }

    fn resolution_slo(clock: SloClock, target_hours: f64, pause_on: Vec<Status>) -> Slo {
        Slo {
            name: "res".into(),
            metric: SloMetric::Resolution,
            clock,
            target: Seconds(target_hours * H),
            objective: Objective::DEFAULT,
            priorities: vec![],
            team: None,
            channel: None,
            pause_on,
        }
    }

    /// The journey's first resolution (Wed 28 Oct 11:00 Paris), measured
    /// by SLOs that pause. Plain clocks from creation (Fri 23 Oct 15:00):
    /// 117 h, and in business time Fri 15–17 + Mon + Tue + Wed 09–11 = 20 h.
    /// Paused while pending, the 4 h of Monday 10:00–14:00 (all business
    /// time) drop out: 113 h and 16 h. Paused while pending or on hold, so
    /// do Tuesday 09:30 → Wednesday 11:00 (25.5 h, 9.5 business h): 87.5 h
    /// and 6.5 h, the agent work time.
    #[test]
    fn a_paused_slo_measures_without_the_paused_statuses() {
        use crate::engine::timeline::{Measure, walk};
        let cal = paris();
        let ticket = crate::engine::test_ticket(t("2026-10-23T13:00:00Z"));
        let timeline = walk(&ticket, journey_events(JOURNEY.len()), &cal);
        let first_resolution = timeline
            .observations
            .iter()
            .find(|o| matches!(o.measure, Measure::FirstResolution(..)))
            .expect("a first resolution");
        let measured = |clock, pause_on: Vec<Status>| {
            resolution_slo(clock, 1.0, pause_on)
                .measured(&ticket, first_resolution)
                .map(|s| s.0 / H)
        };
        use Status::{OnHold, Pending};
        assert_eq!(measured(SloClock::Calendar, vec![]), Some(117.0));
        assert_eq!(measured(SloClock::Business, vec![]), Some(20.0));
        assert_eq!(measured(SloClock::Calendar, vec![Pending]), Some(113.0));
        assert_eq!(measured(SloClock::Business, vec![Pending]), Some(16.0));
        assert_eq!(
            measured(SloClock::Calendar, vec![Pending, OnHold]),
            Some(87.5)
        );
        assert_eq!(
            measured(SloClock::Business, vec![Pending, OnHold]),
            Some(6.5)
        );
        // A 17 h business target: breached by the plain clock, met by the
        // clock that pauses while pending.
        let judge = |pause_on| {
            resolution_slo(SloClock::Business, 17.0, pause_on).judge(&ticket, first_resolution)
        };
        assert_eq!(judge(vec![]), Some(true));
        assert_eq!(judge(vec![Pending]), Some(false));
    }

    /// The same ticket while it is pending, Monday 26 Oct 13:00 Paris (it
    /// went pending at 10:00). A 4 h business target: the plain clock has
    /// run Fri 15–17 + Mon 09–13 = 6 h, an active breach; the paused one
    /// stopped at 10:00, Fri 15–17 + Mon 09–10 = 3 h, no breach. Still so
    /// once the state store has kept the ticket's clocks and the gauges
    /// read them back. Back to open at 14:00, the paused clock reaches the
    /// target at 15:00 (not a breach: a breach exceeds it) and breaches a
    /// minute later.
    #[test]
    fn a_paused_slo_s_active_breach_skips_the_pending_period() {
        use crate::engine::timeline::walk;
        let cal = paris();
        let ticket = crate::engine::test_ticket(t("2026-10-23T13:00:00Z"));
        let pending = walk(&ticket, journey_events(2), &cal);
        let now = t("2026-10-26T12:00:00Z");
        let plain = resolution_slo(SloClock::Business, 4.0, vec![]);
        let paused = resolution_slo(SloClock::Business, 4.0, vec![Status::Pending]);
        assert!(plain.is_active_breach(&ticket, &pending.state, now, &cal));
        assert!(!paused.is_active_breach(&ticket, &pending.state, now, &cal));
        assert_eq!(
            paused.running(&ticket, &pending.state, now, &cal).0 / H,
            3.0
        );

        // Saved and resumed as the state store does.
        let clocks = pending.state.clocks.as_ref().expect("walked clocks");
        let (since, totals) = clocks.saved();
        assert_eq!(since, t("2026-10-26T09:00:00Z"));
        let decoded = ByStatus::decode(&totals.encode()).expect("decodes");
        assert_eq!(&decoded, totals);
        let resumed = crate::engine::timeline::TicketState {
            clocks: Some(TimeInStatus::resume(Status::Pending, since, None, decoded)),
            ..pending.state.clone()
        };
        assert!(!paused.is_active_breach(&ticket, &resumed, now, &cal));

        let reopened = walk(&ticket, journey_events(3), &cal);
        let at = |s: &str| paused.is_active_breach(&ticket, &reopened.state, t(s), &cal);
        assert!(!at("2026-10-26T14:00:00Z"));
        assert!(at("2026-10-26T14:01:00Z"));
    }

    #[test]
    fn stored_clocks_that_were_not_written_by_encode_are_refused() {
        for bad in [
            "pending",
            "pending=1",
            "waiting=1/1",
            "open=x/1",
            "open=inf/1",
        ] {
            assert_eq!(ByStatus::decode(bad), None, "{bad}");
        }
        assert_eq!(ByStatus::decode(""), Some(ByStatus::default()));
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
                let c = clocks.by_status(at, &cal).times();
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
