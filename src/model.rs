//! Typed records of the source data contract (DESIGN.md §2).
//!
//! Everything here is validated: a value of these types obeys the contract.
//! Raw rows become these records in `source::decode`, which is the only place
//! that knows how to reject a row. Nothing here does I/O.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// An instant in UTC. Every timestamp in the engine is one.
pub type Instant = DateTime<Utc>;

/// A length of time in seconds (calendar or business, as the field says).
///
/// Fractional because sources keep sub-second precision and percentiles
/// interpolate between ranks.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize)]
#[serde(transparent)]
pub struct Seconds(pub f64);

impl Seconds {
    pub const ZERO: Seconds = Seconds(0.0);

    /// The calendar time from `a` to `b` (negative when `b` is before `a`).
    pub fn between(a: Instant, b: Instant) -> Seconds {
        let d = b.signed_duration_since(a);
        // num_microseconds only overflows beyond ±292,000 years.
        Seconds(
            d.num_microseconds()
                .map_or(d.num_seconds() as f64, |us| us as f64 / 1e6),
        )
    }

    pub fn as_f64(self) -> f64 {
        self.0
    }
}

/// Ticket statuses of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Open,
    Pending,
    OnHold,
    Solved,
    Closed,
    Deleted,
    Spam,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::Open,
        Status::Pending,
        Status::OnHold,
        Status::Solved,
        Status::Closed,
        Status::Deleted,
        Status::Spam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::Pending => "pending",
            Status::OnHold => "on_hold",
            Status::Solved => "solved",
            Status::Closed => "closed",
            Status::Deleted => "deleted",
            Status::Spam => "spam",
        }
    }

    /// Solved or closed: no longer in the backlog.
    pub fn is_done(self) -> bool {
        matches!(self, Status::Solved | Status::Closed)
    }

    /// Deleted and spam tickets are ignored everywhere (DESIGN.md §3).
    pub fn is_ignored(self) -> bool {
        matches!(self, Status::Deleted | Status::Spam)
    }
}

impl std::str::FromStr for Status {
    type Err = ();
    /// Any case; `-` or a space for `_` (`On-Hold`, `on hold`).
    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.trim();
        let same = |name: &str| {
            s.len() == name.len()
                && s.bytes().zip(name.bytes()).all(|(a, b)| {
                    let a = a.to_ascii_lowercase();
                    a == b || (b == b'_' && (a == b'-' || a == b' '))
                })
        };
        Status::ALL
            .into_iter()
            .find(|st| same(st.as_str()))
            .ok_or(())
    }
}

/// Ticket priorities of the contract; `None` when the helpdesk left it empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
    None,
}

impl Priority {
    pub const ALL: [Priority; 5] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
        Priority::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
            Priority::None => "none",
        }
    }

    /// The source column's value: none is stored as NULL.
    pub fn stored(self) -> Option<&'static str> {
        (self != Priority::None).then(|| self.as_str())
    }
}

impl std::str::FromStr for Priority {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.trim();
        Priority::ALL
            .into_iter()
            .find(|p| s.eq_ignore_ascii_case(p.as_str()))
            .ok_or(())
    }
}

/// Who opened the ticket. Agent-initiated (outbound) tickets have no first
/// response: no customer was waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Creator {
    Customer,
    Agent,
}

impl Creator {
    pub fn as_str(self) -> &'static str {
        match self {
            Creator::Customer => "customer",
            Creator::Agent => "agent",
        }
    }

    /// The inverse of [`Creator::as_str`] for what the state store kept:
    /// anything but `agent` is a customer's ticket.
    pub fn from_stored(text: &str) -> Creator {
        if text == Creator::Agent.as_str() {
            Creator::Agent
        } else {
            Creator::Customer
        }
    }
}

/// `support_ticket_events.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Customer-visible message.
    Message,
    /// Internal note: never an interaction or a reply.
    Note,
    Assign,
    Status,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Message => "message",
            EventKind::Note => "note",
            EventKind::Assign => "assign",
            EventKind::Status => "status",
        }
    }
}

/// `support_ticket_events.actor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Customer,
    Agent,
    /// Automation and auto-replies: a first acknowledgement, never a response.
    Bot,
    System,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Customer => "customer",
            Actor::Agent => "agent",
            Actor::Bot => "bot",
            Actor::System => "system",
        }
    }
}

/// One row of `support_tickets`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: String,
    pub created_at: Instant,
    pub channel: String,
    pub priority: Priority,
    pub category: Option<String>,
    pub requester_id: String,
    pub created_by: Creator,
    pub status: Status,
    /// `None` when the row has none (or an unreadable one).
    pub updated_at: Option<Instant>,
}

/// One row of `support_ticket_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub ticket_id: String,
    pub occurred_at: Instant,
    pub kind: EventKind,
    pub actor: Actor,
    pub actor_id: Option<String>,
    pub team: Option<String>,
    pub agent_id: Option<String>,
    pub status: Option<Status>,
}

/// A survey answer, its score validated against its kind's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyScore {
    /// 1–5; 4 and 5 are "satisfied".
    Csat(u8),
    /// 0–10.
    Nps(u8),
    /// 1–7, normalised so that 1 is the lowest effort whatever the source's
    /// direction (see `config::CesDirection`).
    Ces(u8),
    /// A SERVQUAL item (1–7): what the customer expected of a dimension of
    /// service, or what they perceived (DESIGN.md §3 "SERVQUAL").
    Servqual {
        side: ServqualSide,
        dimension: ServqualDimension,
        /// `n` of a `<dimension>.<n>` item code, if the answer names one.
        item: Option<u16>,
        score: u8,
    },
}

impl SurveyScore {
    /// The source's `kind`.
    pub fn kind_str(self) -> &'static str {
        match self {
            SurveyScore::Csat(_) => "csat",
            SurveyScore::Nps(_) => "nps",
            SurveyScore::Ces(_) => "ces",
            SurveyScore::Servqual { side, .. } => side.kind(),
        }
    }

    pub fn value(self) -> u8 {
        match self {
            SurveyScore::Csat(v) | SurveyScore::Nps(v) | SurveyScore::Ces(v) => v,
            SurveyScore::Servqual { score, .. } => score,
        }
    }

    /// The `question` column: a SERVQUAL answer's dimension or item code.
    pub fn question(self) -> Option<String> {
        match self {
            SurveyScore::Servqual {
                dimension, item, ..
            } => Some(match item {
                Some(n) => format!("{}.{n}", dimension.as_str()),
                None => dimension.as_str().to_string(),
            }),
            _ => None,
        }
    }
}

/// The five dimensions of service quality SERVQUAL asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServqualDimension {
    /// Facilities, equipment, the look of what the customer sees.
    Tangibles,
    /// Doing what was promised, dependably and accurately.
    Reliability,
    /// Willingness to help, and help given promptly.
    Responsiveness,
    /// Knowledge and courtesy that inspire trust.
    Assurance,
    /// Caring, individual attention.
    Empathy,
}

impl ServqualDimension {
    pub const ALL: [ServqualDimension; 5] = [
        ServqualDimension::Tangibles,
        ServqualDimension::Reliability,
        ServqualDimension::Responsiveness,
        ServqualDimension::Assurance,
        ServqualDimension::Empathy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServqualDimension::Tangibles => "tangibles",
            ServqualDimension::Reliability => "reliability",
            ServqualDimension::Responsiveness => "responsiveness",
            ServqualDimension::Assurance => "assurance",
            ServqualDimension::Empathy => "empathy",
        }
    }

    /// Position in [`ServqualDimension::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// A dimension's name, any case.
    pub fn parse(name: &str) -> Option<ServqualDimension> {
        ServqualDimension::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The dimension (and item number) a `question` code names:
    /// `<dimension>` or `<dimension>.<n>` (an item of the 22-item form).
    pub fn of_question(question: &str) -> Option<(ServqualDimension, Option<u16>)> {
        let question = question.trim();
        let (dimension, item) = match question.split_once('.') {
            Some((d, n)) => (d, Some(n.parse::<u16>().ok()?)),
            None => (question, None),
        };
        Some((ServqualDimension::parse(dimension)?, item))
    }
}

/// Which half of a SERVQUAL pair an answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServqualSide {
    /// E: what excellent service would do.
    Expectation,
    /// P: what this service did.
    Perception,
}

impl ServqualSide {
    /// The `kind` label of `support_servqual_responses_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServqualSide::Expectation => "expectation",
            ServqualSide::Perception => "perception",
        }
    }

    /// The source's `kind`.
    pub fn kind(self) -> &'static str {
        match self {
            ServqualSide::Expectation => "servqual_expectation",
            ServqualSide::Perception => "servqual_perception",
        }
    }
}

/// One row of the optional `support_agents` relation: a member of the
/// support staff (DESIGN.md §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// The `agent_id` / `actor_id` the events use.
    pub id: String,
    /// Home team.
    pub team: String,
    /// First working day.
    pub started_on: chrono::NaiveDate,
    /// Last working day; `None` while employed.
    pub left_on: Option<chrono::NaiveDate>,
}

/// One row of `support_survey_responses`.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyResponse {
    pub id: String,
    pub ticket_id: Option<String>,
    pub responded_at: Instant,
    pub score: SurveyScore,
    pub comment: Option<String>,
}

/// An engagement answer: the eNPS question (0–10) or a Likert item (1–5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngagementAnswer {
    Enps(u8),
    Likert { item: String, score: u8 },
}

impl EngagementAnswer {
    /// The row's `question` (`enps` or the item code) and `score`.
    pub fn parts(&self) -> (&str, u8) {
        match self {
            EngagementAnswer::Enps(v) => ("enps", *v),
            EngagementAnswer::Likert { item, score } => (item.as_str(), *score),
        }
    }
}

/// One row of `support_engagement_responses`.
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementResponse {
    pub id: String,
    pub employee_id: String,
    pub team: String,
    pub responded_at: Instant,
    pub answer: EngagementAnswer,
}

/// The four relations of the contract; names used in logs, errors and the
/// `relation` label of rejected-row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Tickets,
    Events,
    Surveys,
    Engagement,
    /// The support staff: optional (DESIGN.md §2), not in [`Relation::ALL`].
    Agents,
}

impl Relation {
    pub const ALL: [Relation; 4] = [
        Relation::Tickets,
        Relation::Events,
        Relation::Surveys,
        Relation::Engagement,
    ];

    /// Every relation a source may have: the four it must, and the optional.
    pub const ANY: [Relation; 5] = [
        Relation::Tickets,
        Relation::Events,
        Relation::Surveys,
        Relation::Engagement,
        Relation::Agents,
    ];

    /// The key naming the relation in `[source.relations]` and `[source.queries]`.
    pub fn short_name(self) -> &'static str {
        match self {
            Relation::Tickets => "tickets",
            Relation::Events => "events",
            Relation::Surveys => "surveys",
            Relation::Engagement => "engagement",
            Relation::Agents => "agents",
        }
    }

    /// The canonical relation name.
    pub fn canonical_name(self) -> &'static str {
        match self {
            Relation::Tickets => "support_tickets",
            Relation::Events => "support_ticket_events",
            Relation::Surveys => "support_survey_responses",
            Relation::Engagement => "support_engagement_responses",
            Relation::Agents => "support_agents",
        }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical_name())
    }
}

/// A period of time, `[from, to)`: a report's, a digest's week.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Period {
    pub from: Instant,
    pub to: Instant,
}

impl Period {
    pub fn contains(&self, t: Instant) -> bool {
        self.from <= t && t < self.to
    }
}

/// The team label of tickets that no team has been assigned yet.
pub const UNASSIGNED: &str = "unassigned";
/// The label of tickets without a category, and of surveys without a ticket.
pub const NONE: &str = "none";
/// The uid of the ticket drill-down dashboard (`dashboards::tickets`), which
/// the digest links each issue to.
pub const TICKETS_DASHBOARD: &str = "support-tickets";
/// The uid of the organisation-wide surveys dashboard (SERVQUAL's row).
pub const SURVEYS_DASHBOARD: &str = "support-surveys";
