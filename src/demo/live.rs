//! Live traffic for the demo: while `demo` serves, a few tickets and events
//! per minute are written to the demo helpdesk so that a Grafana pointed at
//! the exporter shows moving lines.
//!
//! Each tick (every 20 s) may open a ticket and moves up to two open ones
//! one step along: first agent reply, then solve (sometimes a reopen), then
//! a CSAT answer.

use std::time::Duration;

use chrono::Utc;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::watch;

use crate::demo::generate::{Dataset, TEAMS};
use crate::demo::write;
use crate::model::{
    Actor, Creator, Event, EventKind, Priority, Status, SurveyResponse, SurveyScore, Ticket,
};
use crate::source::{Pool, Source};

/// Time between two ticks.
pub const TICK: Duration = Duration::from_secs(20);

const CHANNELS: [&str; 4] = ["email", "chat", "web", "phone"];
const PRIORITIES: [Priority; 4] = [
    Priority::Low,
    Priority::Normal,
    Priority::High,
    Priority::Urgent,
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    AwaitingReply,
    Answered,
    Solved,
}

struct Open {
    ticket: Ticket,
    team: &'static str,
    step: Step,
}

/// Writes live traffic until `stop` turns true. Errors are logged and the
/// next tick tries again.
pub async fn run(source: Source, seed: u64, mut stop: watch::Receiver<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ Utc::now().timestamp() as u64);
    let mut open: Vec<Open> = Vec::new();
    let mut serial = 0u64;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let next_event = match max_event_id(&source).await {
            Ok(id) => id + 1,
            Err(e) => {
                tracing::warn!(
                    "demo live traffic: cannot read the last event id: {}",
                    crate::error_chain::Chain(&e)
                );
                continue;
            }
        };
        let mut data = Dataset {
            tickets: Vec::new(),
            events: Vec::new(),
            surveys: Vec::new(),
            engagement: Vec::new(),
            agents: Vec::new(),
        };
        let mut solved_ids = Vec::new();
        let now = Utc::now();
        let event = |data: &mut Dataset, t: &Ticket, kind, actor, team: Option<&str>, status| {
            data.events.push(Event {
                id: next_event + data.events.len() as i64,
                ticket_id: t.id.clone(),
                occurred_at: now,
                kind,
                actor,
                actor_id: None,
                team: team.map(str::to_string),
                agent_id: team.map(|t| format!("{t}-agent")),
                status,
            });
        };
        if rng.random_bool(0.8) {
            serial += 1;
            let team = TEAMS[rng.random_range(0..TEAMS.len())];
            let ticket = Ticket {
                id: format!("live-{}-{serial}", now.timestamp()),
                created_at: now,
                channel: CHANNELS[rng.random_range(0..CHANNELS.len())].to_string(),
                priority: PRIORITIES[rng.random_range(0..PRIORITIES.len())],
                category: Some("live".to_string()),
                requester_id: format!("live-customer-{serial}"),
                created_by: Creator::Customer,
                status: Status::New,
                updated_at: Some(now),
            };
            event(
                &mut data,
                &ticket,
                EventKind::Message,
                Actor::Customer,
                None,
                None,
            );
            event(
                &mut data,
                &ticket,
                EventKind::Assign,
                Actor::System,
                Some(team),
                None,
            );
            data.tickets.push(ticket.clone());
            open.push(Open {
                ticket,
                team,
                step: Step::AwaitingReply,
            });
        }
        for _ in 0..2 {
            if open.is_empty() {
                break;
            }
            let i = rng.random_range(0..open.len());
            let o = &mut open[i];
            match o.step {
                Step::AwaitingReply => {
                    event(
                        &mut data,
                        &o.ticket,
                        EventKind::Message,
                        Actor::Agent,
                        None,
                        None,
                    );
                    o.step = Step::Answered;
                }
                Step::Answered => {
                    event(
                        &mut data,
                        &o.ticket,
                        EventKind::Status,
                        Actor::Agent,
                        None,
                        Some(Status::Solved),
                    );
                    solved_ids.push(o.ticket.id.clone());
                    o.step = Step::Solved;
                }
                Step::Solved => {
                    if rng.random_bool(0.15) {
                        event(
                            &mut data,
                            &o.ticket,
                            EventKind::Message,
                            Actor::Customer,
                            None,
                            None,
                        );
                        event(
                            &mut data,
                            &o.ticket,
                            EventKind::Status,
                            Actor::System,
                            None,
                            Some(Status::Open),
                        );
                        o.step = Step::Answered;
                    } else {
                        if rng.random_bool(0.5) {
                            data.surveys.push(SurveyResponse {
                                id: format!("{}-csat", o.ticket.id),
                                ticket_id: Some(o.ticket.id.clone()),
                                responded_at: now,
                                score: SurveyScore::Csat(rng.random_range(2..=5)),
                                comment: None,
                            });
                        }
                        let done = open.swap_remove(i);
                        tracing::debug!(
                            ticket = done.ticket.id,
                            team = done.team,
                            "demo ticket done"
                        );
                    }
                }
            }
        }
        if let Err(e) = write::insert(&source, &data).await {
            tracing::warn!(
                "demo live traffic: cannot write: {}",
                crate::error_chain::Chain(&e)
            );
            continue;
        }
        if let Err(e) = write::mark_solved(&source, &solved_ids, now).await {
            tracing::warn!(
                "demo live traffic: cannot update tickets: {}",
                crate::error_chain::Chain(&e)
            );
        }
        tracing::debug!(
            tickets = data.tickets.len(),
            events = data.events.len(),
            surveys = data.surveys.len(),
            "demo live traffic written"
        );
    }
}

async fn max_event_id(source: &Source) -> Result<i64, sqlx::Error> {
    const SQL: &str = "SELECT COALESCE(MAX(id), 0) FROM support_ticket_events";
    match source.pool() {
        Pool::Sqlite(p) => sqlx::query_scalar(SQL).fetch_one(p).await,
        Pool::Postgres(p) => sqlx::query_scalar(SQL).fetch_one(p).await,
        Pool::MySql(p) => sqlx::query_scalar(SQL).fetch_one(p).await,
    }
}
