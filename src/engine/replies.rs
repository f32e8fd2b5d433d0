//! Reply time for every exchange (DESIGN.md §3).
//!
//! Each customer public message that starts a wait — the first one after
//! the ticket's creation or after an agent public message — to the next
//! agent public message. Observed at the reply; bots, notes and system
//! messages neither start nor end a wait. The first reply time of a
//! customer-created ticket equals its first response. Waits still open at a
//! period's end are not observations (the backlog shows them).
//!
//! Business time is counted in the calendar of the team holding the ticket
//! at the reply, as the first response is.

use crate::engine::timeline::{Clock, Elapsed, Measure};
use crate::model::{Actor, Event, EventKind, Instant};

#[derive(Debug, Default)]
pub struct Replies {
    waiting_since: Option<Instant>,
}

impl Replies {
    pub fn on_event(
        &mut self,
        ev: &Event,
        clock: &Clock,
        team: Option<&str>,
        out: &mut Vec<Measure>,
    ) {
        if ev.kind != EventKind::Message {
            return;
        }
        match ev.actor {
            Actor::Customer => {
                self.waiting_since.get_or_insert(ev.occurred_at);
            }
            Actor::Agent => {
                if let Some(since) = self.waiting_since.take() {
                    out.push(Measure::Reply(Elapsed::between(
                        since,
                        ev.occurred_at,
                        clock.calendars.for_team(team),
                    )));
                }
            }
            Actor::Bot | Actor::System => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::calendar::Calendars;
    use crate::engine::timeline::{Measure, walk};
    use crate::model::{Actor, Event, EventKind};
    use chrono::{Duration, TimeZone, Utc};

    /// Three exchanges, with a bot message and an internal note between:
    /// customer 0m, bot 1m (no reply), agent note 5m (no reply), agent 20m
    /// → reply 1 = 20m; customer 30m and 35m (one wait, from 30m), agent
    /// 90m → reply 2 = 60m; customer 100m, agent 103m → reply 3 = 3m; a
    /// last customer message at 120m waits unanswered: no observation.
    #[test]
    fn every_exchange_is_a_reply_time() {
        let start = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let ticket = crate::engine::test_ticket(start);
        let steps = [
            (0, EventKind::Message, Actor::Customer),
            (1, EventKind::Message, Actor::Bot),
            (5, EventKind::Note, Actor::Agent),
            (20, EventKind::Message, Actor::Agent),
            (30, EventKind::Message, Actor::Customer),
            (35, EventKind::Message, Actor::Customer),
            (90, EventKind::Message, Actor::Agent),
            (100, EventKind::Message, Actor::Customer),
            (103, EventKind::Message, Actor::Agent),
            (120, EventKind::Message, Actor::Customer),
        ];
        let events = steps
            .iter()
            .enumerate()
            .map(|(i, (minute, kind, actor))| Event {
                id: i as i64 + 1,
                ticket_id: "t".into(),
                occurred_at: start + Duration::minutes(*minute),
                kind: *kind,
                actor: *actor,
                actor_id: None,
                team: None,
                agent_id: None,
                status: None,
            })
            .collect();
        let tl = walk(&ticket, events, &Calendars::default());
        let replies: Vec<f64> = tl
            .observations
            .iter()
            .filter_map(|o| match o.measure {
                Measure::Reply(e) => Some(e.calendar.0 / 60.0),
                _ => None,
            })
            .collect();
        assert_eq!(replies, [20.0, 60.0, 3.0]);
        // The first reply is the first response.
        let first = tl.observations.iter().find_map(|o| match o.measure {
            Measure::FirstResponse(e, _) => Some(e.calendar.0 / 60.0),
            _ => None,
        });
        assert_eq!(first, Some(20.0));
    }
}
