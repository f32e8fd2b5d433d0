//! Period aggregation: engine observations → the report's numbers.
//!
//! A measurement belongs to the period when the event that completes it does
//! (DESIGN.md §3), so a report and the Prometheus counters agree. Groups are
//! the ticket's team as of that event, or its current channel, priority or
//! category. Distributions are kept whole so percentiles are exact.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::engine::backlog;
use crate::engine::calendar::Calendars;
use crate::engine::engagement::EngagementTally;
use crate::engine::people::{Directory, People};
use crate::engine::servqual::{Servqual, ServqualTally, ServqualWeights};
use crate::engine::slo::Slo;
use crate::engine::stats::{Summary, ratio};
use crate::engine::surveys::{CesTally, CsatTally, NpsTally};
use crate::engine::timeline::{Measure, Timeline};
use crate::model::{EngagementResponse, Instant, SurveyResponse, SurveyScore, Ticket};
use crate::report::scan::Visitor;

pub use crate::model::{NONE, Period, UNASSIGNED};

/// The `--by` axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Team,
    Channel,
    Priority,
    Category,
    /// The assignee as of the completing event (DESIGN.md §3 "People").
    Agent,
    /// The creation's weekday and hour in `schedule.timezone` (`mon 09`).
    Hour,
    /// The assignee's tenure at the event: `new` in their first 90 days,
    /// `established` after (needs the `support_agents` relation).
    Tenure,
}

/// `mon 00` … `sun 23`, in week order.
static HOURS_OF_WEEK: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .flat_map(|d| (0..24).map(move |h| format!("{d} {h:02}")))
        .collect()
});

/// The hour-of-week label of `at` in `tz`.
pub fn hour_of_week(at: Instant, tz: chrono_tz::Tz) -> &'static str {
    let (day, hour) = crate::localtime::weekday_hour(at, tz);
    let i = day as usize * 24 + hour as usize;
    HOURS_OF_WEEK.get(i).map_or(NONE, String::as_str)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRate {
    pub total: u64,
    pub tickets: u64,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneTouch {
    pub tickets: u64,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Csat {
    pub responses: u64,
    pub satisfied: u64,
    pub ratio: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nps {
    pub responses: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ces {
    pub responses: u64,
    pub mean: Option<f64>,
    pub low_effort_ratio: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Enps {
    pub responses: u64,
    pub promoters: u64,
    pub detractors: u64,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Engagement {
    pub responses: u64,
    pub index: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backlog {
    pub tickets: u64,
    pub by_status: BTreeMap<&'static str, u64>,
    pub awaiting_first_response: u64,
    pub oldest_awaiting_first_response_seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloResult {
    pub name: String,
    pub measured: u64,
    pub breached: u64,
    pub attainment: Option<f64>,
    pub active_breaches: u64,
}

/// The numbers of one group (or of everything).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub tickets_created: u64,
    pub tickets_solved: u64,
    pub first_response_seconds: Summary,
    pub first_response_business_seconds: Summary,
    pub first_acknowledgement_seconds: Summary,
    pub first_resolution_seconds: Summary,
    pub full_resolution_seconds: Summary,
    /// Time in status up to each solve event (DESIGN §3), calendar and
    /// business seconds.
    pub requester_wait_seconds: Summary,
    pub requester_wait_business_seconds: Summary,
    pub agent_wait_seconds: Summary,
    pub agent_wait_business_seconds: Summary,
    pub on_hold_seconds: Summary,
    pub on_hold_business_seconds: Summary,
    pub agent_work_seconds: Summary,
    pub agent_work_business_seconds: Summary,
    pub interactions: Summary,
    pub replies: Summary,
    pub reroutes: EventRate,
    pub reassignments: EventRate,
    pub reopens: EventRate,
    pub one_touch: OneTouch,
    /// Solve events the customer confirmed (closed or solved themselves,
    /// or confirmed before any reopen), and their share of the solves.
    pub customer_confirmed: OneTouch,
    /// Every exchange's reply time (DESIGN §3), calendar and business.
    pub reply_seconds: Summary,
    pub reply_business_seconds: Summary,
    pub csat: Csat,
    pub nps: Nps,
    pub ces: Ces,
    pub enps: Enps,
    pub engagement: Engagement,
    /// Expectations against perceptions per dimension (DESIGN §3
    /// "SERVQUAL"); `null` without a SERVQUAL answer in the period.
    pub servqual: Option<Servqual>,
    /// Headcount, leavers, turnover and tenure (DESIGN §3 "People"), of
    /// everyone or a home team; `null` without `support_agents` (and for
    /// groups that are not teams).
    pub people: Option<People>,
    pub backlog: Backlog,
    pub slo: Vec<SloResult>,
}

#[derive(Debug, Default)]
struct SloTally {
    measured: u64,
    breached: u64,
    active: u64,
}

/// Running totals of one group.
#[derive(Debug, Default)]
struct Acc {
    created: u64,
    solved: u64,
    first_response: Vec<f64>,
    first_response_business: Vec<f64>,
    first_ack: Vec<f64>,
    first_resolution: Vec<f64>,
    full_resolution: Vec<f64>,
    requester_wait: Vec<f64>,
    requester_wait_business: Vec<f64>,
    agent_wait: Vec<f64>,
    agent_wait_business: Vec<f64>,
    on_hold: Vec<f64>,
    on_hold_business: Vec<f64>,
    agent_work: Vec<f64>,
    agent_work_business: Vec<f64>,
    interactions: Vec<f64>,
    replies: Vec<f64>,
    reroute_events: u64,
    solves_rerouted: u64,
    reassignment_events: u64,
    solves_reassigned: u64,
    reopen_events: u64,
    reopened_tickets: HashSet<String>,
    one_touch: u64,
    customer_confirmed: u64,
    reply: Vec<f64>,
    reply_business: Vec<f64>,
    csat: CsatTally,
    nps: NpsTally,
    ces: CesTally,
    engagement: EngagementTally,
    servqual: ServqualTally,
    backlog_by_status: BTreeMap<&'static str, u64>,
    awaiting: u64,
    oldest_awaiting: Option<f64>,
    slo: Vec<SloTally>,
}

impl Acc {
    /// The group's numbers (its samples are left reordered).
    fn metrics(&mut self, slos: &[Slo], weights: &ServqualWeights) -> Metrics {
        let solved = self.solved;
        let rate = |tickets: u64| ratio(tickets, solved);
        Metrics {
            tickets_created: self.created,
            tickets_solved: solved,
            first_response_seconds: Summary::of(&mut self.first_response),
            first_response_business_seconds: Summary::of(&mut self.first_response_business),
            first_acknowledgement_seconds: Summary::of(&mut self.first_ack),
            first_resolution_seconds: Summary::of(&mut self.first_resolution),
            full_resolution_seconds: Summary::of(&mut self.full_resolution),
            requester_wait_seconds: Summary::of(&mut self.requester_wait),
            requester_wait_business_seconds: Summary::of(&mut self.requester_wait_business),
            agent_wait_seconds: Summary::of(&mut self.agent_wait),
            agent_wait_business_seconds: Summary::of(&mut self.agent_wait_business),
            on_hold_seconds: Summary::of(&mut self.on_hold),
            on_hold_business_seconds: Summary::of(&mut self.on_hold_business),
            agent_work_seconds: Summary::of(&mut self.agent_work),
            agent_work_business_seconds: Summary::of(&mut self.agent_work_business),
            interactions: Summary::of(&mut self.interactions),
            replies: Summary::of(&mut self.replies),
            reroutes: EventRate {
                total: self.reroute_events,
                tickets: self.solves_rerouted,
                rate: rate(self.solves_rerouted),
            },
            reassignments: EventRate {
                total: self.reassignment_events,
                tickets: self.solves_reassigned,
                rate: rate(self.solves_reassigned),
            },
            reopens: EventRate {
                total: self.reopen_events,
                tickets: self.reopened_tickets.len() as u64,
                rate: rate(self.reopened_tickets.len() as u64),
            },
            reply_seconds: Summary::of(&mut self.reply),
            reply_business_seconds: Summary::of(&mut self.reply_business),
            customer_confirmed: OneTouch {
                tickets: self.customer_confirmed,
                rate: rate(self.customer_confirmed),
            },
            one_touch: OneTouch {
                tickets: self.one_touch,
                rate: rate(self.one_touch),
            },
            csat: Csat {
                responses: self.csat.responses,
                satisfied: self.csat.satisfied,
                ratio: self.csat.ratio(),
            },
            nps: Nps {
                responses: self.nps.responses(),
                promoters: self.nps.promoters,
                passives: self.nps.passives,
                detractors: self.nps.detractors,
                score: self.nps.score(),
            },
            ces: Ces {
                responses: self.ces.responses,
                mean: self.ces.mean(),
                low_effort_ratio: self.ces.low_effort_ratio(),
            },
            enps: Enps {
                responses: self.engagement.enps.responses(),
                promoters: self.engagement.enps.promoters,
                detractors: self.engagement.enps.detractors,
                score: self.engagement.enps.score(),
            },
            engagement: Engagement {
                responses: self.engagement.responses,
                index: self.engagement.index(),
            },
            servqual: self.servqual.result(weights),
            // Not a sum of measurements: `report` sets it from the staff.
            people: None,
            backlog: Backlog {
                tickets: self.backlog_by_status.values().sum(),
                by_status: self.backlog_by_status.clone(),
                awaiting_first_response: self.awaiting,
                oldest_awaiting_first_response_seconds: self.oldest_awaiting,
            },
            slo: slos
                .iter()
                .zip(
                    self.slo
                        .iter()
                        .chain(std::iter::repeat(&SloTally::default())),
                )
                .map(|(s, t)| SloResult {
                    name: s.name.clone(),
                    measured: t.measured,
                    breached: t.breached,
                    attainment: ratio(t.measured - t.breached, t.measured),
                    active_breaches: t.active,
                })
                .collect(),
        }
    }
}

impl Acc {
    /// Adds `part`, the same group's totals over the next period (the
    /// periods adjacent, counted alike): what is counted in a period —
    /// samples, counts, tallies, distinct reopened tickets — is summed;
    /// what is taken at a period's end (the backlog, active breaches) is
    /// the later period's.
    fn absorb(&mut self, part: Acc) {
        let Acc {
            created,
            solved,
            first_response,
            first_response_business,
            first_ack,
            first_resolution,
            full_resolution,
            requester_wait,
            requester_wait_business,
            agent_wait,
            agent_wait_business,
            on_hold,
            on_hold_business,
            agent_work,
            agent_work_business,
            interactions,
            replies,
            reroute_events,
            solves_rerouted,
            reassignment_events,
            solves_reassigned,
            reopen_events,
            reopened_tickets,
            one_touch,
            customer_confirmed,
            reply,
            reply_business,
            csat,
            nps,
            ces,
            engagement,
            servqual,
            backlog_by_status,
            awaiting,
            oldest_awaiting,
            slo,
        } = part;
        self.created += created;
        self.solved += solved;
        for (into, from) in [
            (&mut self.first_response, first_response),
            (&mut self.first_response_business, first_response_business),
            (&mut self.first_ack, first_ack),
            (&mut self.first_resolution, first_resolution),
            (&mut self.full_resolution, full_resolution),
            (&mut self.requester_wait, requester_wait),
            (&mut self.requester_wait_business, requester_wait_business),
            (&mut self.agent_wait, agent_wait),
            (&mut self.agent_wait_business, agent_wait_business),
            (&mut self.on_hold, on_hold),
            (&mut self.on_hold_business, on_hold_business),
            (&mut self.agent_work, agent_work),
            (&mut self.agent_work_business, agent_work_business),
            (&mut self.interactions, interactions),
            (&mut self.replies, replies),
            (&mut self.reply, reply),
            (&mut self.reply_business, reply_business),
        ] {
            into.extend(from);
        }
        self.reroute_events += reroute_events;
        self.solves_rerouted += solves_rerouted;
        self.reassignment_events += reassignment_events;
        self.solves_reassigned += solves_reassigned;
        self.reopen_events += reopen_events;
        self.reopened_tickets.extend(reopened_tickets);
        self.one_touch += one_touch;
        self.customer_confirmed += customer_confirmed;
        self.csat.merge(&csat);
        self.nps.merge(&nps);
        self.ces.merge(&ces);
        self.engagement.merge(&engagement);
        self.servqual.merge(&servqual);
        self.backlog_by_status = backlog_by_status;
        self.awaiting = awaiting;
        self.oldest_awaiting = oldest_awaiting;
        for (i, t) in slo.iter().enumerate() {
            grow(&mut self.slo, i);
            self.slo[i].measured += t.measured;
            self.slo[i].breached += t.breached;
        }
        for (i, t) in self.slo.iter_mut().enumerate() {
            t.active = slo.get(i).map_or(0, |p| p.active);
        }
    }
}

/// An aggregator's numbers: overall, and per group when grouped.
pub type Finished = (Metrics, Option<BTreeMap<String, Metrics>>);

/// Accumulates one period, overall and by one dimension.
pub struct Aggregator<'a> {
    period: Period,
    by: Option<Dimension>,
    /// The instant backlog and active breaches are taken at.
    as_of: Instant,
    calendars: &'a Calendars,
    slos: &'a [Slo],
    /// `Some(until)`: group by every team the ticket reached (see
    /// [`Aggregator::by_teams_reached`]) instead of the team at the event.
    reached: Option<Instant>,
    /// Where `--by hour` reads a creation's weekday and hour.
    timezone: chrono_tz::Tz,
    /// `[servqual] weights`, for the weighted score.
    weights: ServqualWeights,
    /// The staff, for `--by tenure`.
    agents: Option<&'a Directory>,
    overall: Acc,
    groups: BTreeMap<String, Acc>,
}

/// Who held a ticket when a measurement became known.
#[derive(Debug, Clone, Copy, Default)]
struct Holder<'t> {
    team: Option<&'t str>,
    agent: Option<&'t str>,
}

impl<'a> Aggregator<'a> {
    pub fn new(
        period: Period,
        by: Option<Dimension>,
        as_of: Instant,
        calendars: &'a Calendars,
        slos: &'a [Slo],
    ) -> Self {
        Aggregator {
            period,
            by,
            as_of,
            calendars,
            slos,
            reached: None,
            timezone: chrono_tz::UTC,
            weights: ServqualWeights::default(),
            agents: None,
            overall: Acc::default(),
            groups: BTreeMap::new(),
        }
    }

    /// `--by hour` in `tz` (`schedule.timezone`; UTC by default).
    pub fn in_timezone(mut self, tz: chrono_tz::Tz) -> Self {
        self.timezone = tz;
        self
    }

    /// The staff whose tenure `--by tenure` reads.
    pub fn with_agents(mut self, agents: &'a Directory) -> Self {
        self.agents = Some(agents);
        self
    }

    /// The weighted SERVQUAL score with `weights` (`[servqual]`; equal
    /// weights by default).
    pub fn servqual_weights(mut self, weights: ServqualWeights) -> Self {
        self.weights = weights;
        self
    }

    /// Groups by team, a ticket counting under **every team it reached**:
    /// a measurement under each team the ticket had been assigned to by
    /// the event (a creation: within a day of it, and by `until`, the end
    /// of the digest's week — the same horizon for every week compared;
    /// see `facts::creation_horizon`). The backlog stays the current team's.
    /// This is how the digest counts for a team, so that its headline and
    /// its issues count the same tickets: those that reached the team,
    /// first or after a transfer.
    pub fn by_teams_reached(mut self, until: Instant) -> Self {
        self.by = Some(Dimension::Team);
        self.reached = Some(until);
        self
    }

    /// The groups a measurement at `at` counts in: the teams reached by
    /// then (see [`Aggregator::by_teams_reached`]), or the one group of
    /// the team at the event (or the ticket's channel, priority, category).
    fn keys<'t>(
        &self,
        ticket: Option<&'t Ticket>,
        timeline: Option<&'t Timeline>,
        holder: Holder<'t>,
        at: Instant,
    ) -> Vec<&'t str> {
        match (self.reached, timeline) {
            (Some(_), Some(timeline)) => crate::digest::facts::reached(timeline, at),
            _ => self.key(ticket, holder, at).into_iter().collect(),
        }
    }

    /// Adds `f`'s effect to the overall totals and to each key's group (a
    /// key is copied only for a group not seen before).
    fn add(&mut self, keys: &[&str], f: impl Fn(&mut Acc)) {
        f(&mut self.overall);
        for k in keys {
            match self.groups.get_mut(*k) {
                Some(a) => f(a),
                None => f(self.groups.entry(k.to_string()).or_default()),
            }
        }
    }

    fn key<'t>(
        &self,
        ticket: Option<&'t Ticket>,
        holder: Holder<'t>,
        at: Instant,
    ) -> Option<&'t str> {
        let value = match (self.by?, ticket) {
            (Dimension::Team, _) => holder.team.unwrap_or(UNASSIGNED),
            (Dimension::Agent, Some(_)) => holder.agent.unwrap_or(UNASSIGNED),
            (Dimension::Tenure, Some(_)) => match (holder.agent, self.agents) {
                (Some(agent), Some(dir)) => dir.tenure_group(agent, at),
                (Some(_), None) => crate::engine::people::UNKNOWN,
                (None, _) => UNASSIGNED,
            },
            (_, None) => NONE,
            (Dimension::Hour, Some(t)) => hour_of_week(t.created_at, self.timezone),
            (Dimension::Channel, Some(t)) => t.channel.as_str(),
            (Dimension::Priority, Some(t)) => t.priority.as_str(),
            (Dimension::Category, Some(t)) => t.category.as_deref().unwrap_or(NONE),
        };
        Some(value)
    }

    /// One ticket's timeline and the surveys answered about it.
    pub fn ticket(&mut self, ticket: &Ticket, timeline: &Timeline, surveys: &[SurveyResponse]) {
        let (slos, calendars) = (self.slos, self.calendars);
        for obs in &timeline.observations {
            if !self.period.contains(obs.at) {
                continue;
            }
            let at = match (obs.measure, self.reached) {
                (Measure::Created, Some(until)) => {
                    crate::digest::facts::creation_horizon(ticket.created_at, until)
                }
                _ => obs.at,
            };
            let holder = Holder {
                team: obs.team.as_deref(),
                agent: obs.agent.as_deref(),
            };
            let keys = self.keys(Some(ticket), Some(timeline), holder, at);
            let k = keys.as_slice();
            let id = ticket.id.as_str();
            match obs.measure {
                Measure::Created => self.add(k, |a| a.created += 1),
                Measure::FirstAcknowledgement(e) => self.add(k, |a| a.first_ack.push(e.calendar.0)),
                Measure::FirstResponse(e, _) => self.add(k, |a| {
                    a.first_response.push(e.calendar.0);
                    a.first_response_business.push(e.business.0);
                }),
                Measure::FirstResolution(e, _) => {
                    self.add(k, |a| a.first_resolution.push(e.calendar.0))
                }
                Measure::Solve(s) => self.add(k, |a| {
                    a.solved += 1;
                    a.full_resolution.push(s.full_resolution.calendar.0);
                    a.requester_wait
                        .push(s.status_times.requester_wait.calendar.0);
                    a.requester_wait_business
                        .push(s.status_times.requester_wait.business.0);
                    a.agent_wait.push(s.status_times.agent_wait.calendar.0);
                    a.agent_wait_business
                        .push(s.status_times.agent_wait.business.0);
                    a.on_hold.push(s.status_times.on_hold.calendar.0);
                    a.on_hold_business.push(s.status_times.on_hold.business.0);
                    a.agent_work.push(s.status_times.agent_work.calendar.0);
                    a.agent_work_business
                        .push(s.status_times.agent_work.business.0);
                    a.interactions.push(f64::from(s.interactions));
                    a.replies.push(f64::from(s.replies));
                    a.solves_rerouted += u64::from(s.reroutes > 0);
                    a.solves_reassigned += u64::from(s.reassignments > 0);
                    a.one_touch += u64::from(s.one_touch());
                }),
                Measure::Reopen => self.add(k, |a| {
                    a.reopen_events += 1;
                    a.reopened_tickets.insert(id.to_string());
                }),
                Measure::Reroute => self.add(k, |a| a.reroute_events += 1),
                Measure::Reassignment => self.add(k, |a| a.reassignment_events += 1),
                Measure::CustomerConfirmed => self.add(k, |a| a.customer_confirmed += 1),
                Measure::Reply(e) => self.add(k, |a| {
                    a.reply.push(e.calendar.0);
                    a.reply_business.push(e.business.0);
                }),
            }
            for (i, slo) in slos.iter().enumerate() {
                if let Some(breached) = slo.judge(ticket, obs) {
                    self.add(k, |a| {
                        grow(&mut a.slo, i);
                        a.slo[i].measured += 1;
                        a.slo[i].breached += u64::from(breached);
                    });
                }
            }
        }

        if ticket.created_at < self.as_of {
            // The backlog and active breaches are the current team's: the
            // team that holds the ticket now is the one to act on it.
            let holder = Holder {
                team: timeline.state.team.as_deref(),
                agent: timeline.state.agent.as_deref(),
            };
            let keys = self.keys(Some(ticket), None, holder, self.as_of);
            let k = keys.as_slice();
            if let Some(entry) = backlog::entry(ticket, &timeline.state, self.as_of) {
                self.add(k, |a| {
                    *a.backlog_by_status
                        .entry(entry.status.as_str())
                        .or_default() += 1;
                    if let Some(age) = entry.awaiting_first_response {
                        a.awaiting += 1;
                        a.oldest_awaiting = Some(a.oldest_awaiting.map_or(age.0, |o| o.max(age.0)));
                    }
                });
            }
            for (i, slo) in slos.iter().enumerate() {
                if slo.is_active_breach(ticket, &timeline.state, self.as_of, calendars) {
                    self.add(k, |a| {
                        grow(&mut a.slo, i);
                        a.slo[i].active += 1;
                    });
                }
            }
        }

        for s in surveys {
            if !self.period.contains(s.responded_at) {
                continue;
            }
            let holder = Holder {
                team: timeline.team_at(s.responded_at),
                agent: timeline.agent_at(s.responded_at),
            };
            let keys = self.keys(Some(ticket), Some(timeline), holder, s.responded_at);
            self.add_survey(&keys, s);
        }
    }

    /// A survey answer; `ticket` is `None` for relationship surveys.
    pub fn survey(&mut self, ticket: Option<&Ticket>, team: Option<&str>, s: &SurveyResponse) {
        if !self.period.contains(s.responded_at) {
            return;
        }
        let holder = Holder { team, agent: None };
        let keys = self.keys(ticket, None, holder, s.responded_at);
        self.add_survey(&keys, s);
    }

    fn add_survey(&mut self, keys: &[&str], s: &SurveyResponse) {
        match s.score {
            SurveyScore::Csat(v) => self.add(keys, |a| a.csat.add(v)),
            SurveyScore::Nps(v) => self.add(keys, |a| a.nps.add(v)),
            SurveyScore::Ces(v) => self.add(keys, |a| a.ces.add(v)),
            SurveyScore::Servqual {
                side,
                dimension,
                score,
                ..
            } => self.add(keys, |a| a.servqual.add(side, dimension, score)),
        }
    }

    /// An engagement answer: grouped by its own team, and only under `--by team`.
    pub fn engagement(&mut self, e: &EngagementResponse) {
        if !self.period.contains(e.responded_at) {
            return;
        }
        let keys: Vec<&str> = (self.by == Some(Dimension::Team))
            .then_some(e.team.as_str())
            .into_iter()
            .collect();
        self.add(&keys, |a| a.engagement.add(&e.answer));
    }

    pub fn finish(mut self) -> Finished {
        self.numbers()
    }

    /// The numbers so far (the samples are left reordered).
    fn numbers(&mut self) -> Finished {
        let (slos, weights) = (self.slos, self.weights);
        let groups = self.by.map(|_| {
            self.groups
                .iter_mut()
                .map(|(k, a)| (k.clone(), a.metrics(slos, &weights)))
                .collect()
        });
        (self.overall.metrics(slos, &weights), groups)
    }

    /// The numbers of each of `parts` — aggregators of adjacent periods in
    /// time order, built alike — and of the periods in `union` taken as
    /// one, equal to what one aggregator over that span would give (its
    /// backlog the last period's) without visiting its tickets twice or
    /// holding their samples twice: the digest's baseline is its four
    /// trend weeks before the week.
    pub fn finish_with_union(
        parts: Vec<Aggregator<'a>>,
        union: std::ops::Range<usize>,
    ) -> (Vec<Finished>, Finished) {
        let mut each = Vec::with_capacity(parts.len());
        let mut joined: Option<Aggregator<'a>> = None;
        for (i, mut part) in parts.into_iter().enumerate() {
            each.push(part.numbers());
            if !union.contains(&i) {
                continue;
            }
            match joined.as_mut() {
                None => joined = Some(part),
                Some(j) => {
                    j.overall.absorb(part.overall);
                    let mut groups = std::mem::take(&mut part.groups);
                    for (k, g) in j.groups.iter_mut() {
                        // A group the later period lacks has no backlog at its end.
                        g.absorb(groups.remove(k).unwrap_or_default());
                    }
                    j.groups.extend(groups);
                }
            }
        }
        let Some(mut joined) = joined else {
            return (
                each,
                (
                    Acc::default().metrics(&[], &ServqualWeights::default()),
                    None,
                ),
            );
        };
        let (slos, weights) = (joined.slos, joined.weights);
        let empty = Acc::default().metrics(slos, &weights);
        let (overall, groups) = joined.numbers();
        // A group that only held an earlier period's backlog is no group
        // of the span (one aggregator over it never made it).
        let groups = groups.map(|g| g.into_iter().filter(|(_, m)| *m != empty).collect());
        (each, (overall, groups))
    }
}

impl Visitor for Aggregator<'_> {
    fn ticket(&mut self, ticket: &Ticket, timeline: &Timeline, surveys: &[SurveyResponse]) {
        Aggregator::ticket(self, ticket, timeline, surveys);
    }
    fn ticketless_survey(&mut self, survey: &SurveyResponse) {
        self.survey(None, None, survey);
    }
    fn engagement(&mut self, answer: &EngagementResponse) {
        Aggregator::engagement(self, answer);
    }
}

fn grow(v: &mut Vec<SloTally>, i: usize) {
    while v.len() <= i {
        v.push(SloTally::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::slo::{SloClock, SloMetric};
    use crate::engine::tests::{arbitrary, slo};
    use crate::engine::timeline::walk;

    /// Monday `2026-03-16` plus `weeks` weeks, midnight in Paris: the
    /// weeks the arbitrary tickets (created 2026-03-20, events up to three
    /// weeks later, across the DST change of 29 March) fall in.
    fn monday(weeks: i64) -> Instant {
        crate::localtime::instant(
            chrono_tz::Europe::Paris,
            chrono::NaiveDate::from_ymd_opt(2026, 3, 16)
                .unwrap_or_default()
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                + chrono::Duration::weeks(weeks),
        )
    }

    proptest::proptest! {
        /// Four adjacent weeks taken as one are what one aggregator over
        /// the four gives: samples, counts, tallies, distinct reopened
        /// tickets, and the backlog and active breaches at the end.
        #[test]
        fn weeks_taken_as_one_are_one_aggregator_over_them(
            tickets in proptest::collection::vec(arbitrary::ticket_and_events(), 1..8),
            scores in proptest::collection::vec((0u32..40_000, 1u8..6), 0..12),
            grouping in 0u8..3,
        ) {
            let calendars = arbitrary::calendars();
            let slos = [
                slo("response", SloMetric::FirstResponse, SloClock::Business, 4.0),
                slo("resolution", SloMetric::Resolution, SloClock::Calendar, 48.0),
            ];
            let build = |p: Period| {
                let a = Aggregator::new(p, None, p.to, &calendars, &slos);
                match grouping {
                    0 => a,
                    1 => Aggregator::new(p, Some(Dimension::Team), p.to, &calendars, &slos),
                    _ => a.by_teams_reached(monday(5)),
                }
            };
            let mut whole = build(Period { from: monday(0), to: monday(4) });
            let mut weeks: Vec<Aggregator> = (0..5)
                .map(|w| build(Period { from: monday(w), to: monday(w + 1) }))
                .collect();
            for (n, (mut tk, events)) in tickets.into_iter().enumerate() {
                tk.id = format!("T{n}");
                let tl = walk(&tk, events, &calendars);
                let surveys: Vec<SurveyResponse> = scores
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % 8 == n)
                    .map(|(i, &(minutes, score))| SurveyResponse {
                        id: format!("S{i}"),
                        ticket_id: Some(tk.id.clone()),
                        responded_at: tk.created_at + chrono::Duration::minutes(i64::from(minutes)),
                        score: SurveyScore::Csat(score),
                        comment: None,
                    })
                    .collect();
                whole.ticket(&tk, &tl, &surveys);
                for w in &mut weeks {
                    w.ticket(&tk, &tl, &surveys);
                }
            }
            let (each, union) = Aggregator::finish_with_union(weeks, 0..4);
            proptest::prop_assert_eq!(each.len(), 5);
            proptest::prop_assert_eq!(union, whole.finish());
        }
    }
}
