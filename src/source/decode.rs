//! Raw source rows → typed records (`model`), or a rejection reason.
//!
//! The only place that decides whether a row obeys the contract (DESIGN.md
//! §2). Backends expose their rows through [`RowAccess`]; everything here is
//! backend-agnostic and pure.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::config::CesDirection;
use crate::model::{
    Actor, Agent, Creator, EngagementAnswer, EngagementResponse, Event, EventKind, Instant,
    Priority, Relation, ServqualDimension, ServqualSide, Status, SurveyResponse, SurveyScore,
    Ticket,
};

/// A timestamp column as the backend stored it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawTime {
    Instant(Instant),
    /// A timestamp without zone: taken as UTC (the contract's convention).
    Naive(NaiveDateTime),
    Text(String),
    /// Unix seconds.
    Number(f64),
    /// A value the database holds but no instant can be: PostgreSQL's
    /// `infinity`, `-infinity`, or a year beyond chrono's range.
    OutOfRange(String),
}

/// Typed access to one row's columns, implemented per backend.
pub trait RowAccess {
    /// A text column, borrowed from the row (decoding allocates only what
    /// it keeps); `Err` when the value is not text (e.g. invalid UTF-8).
    fn text(&self, col: &str) -> Result<Option<&str>, String>;
    /// An integer column (any integer width, or numeric text).
    fn int(&self, col: &str) -> Result<Option<i64>, String>;
    fn time(&self, col: &str) -> Result<Option<RawTime>, String>;
}

/// Why a row was rejected, and what it looked like.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub reason: &'static str,
    pub detail: String,
    /// The rejected event's id, when it could be read: a rejected row is
    /// still a row seen (see `collect::pending`).
    pub event_id: Option<i64>,
    /// What names the row across reads (see [`identity`]), so that a row
    /// read again is not counted again.
    pub row: String,
}

fn reject(reason: &'static str, detail: impl Into<String>) -> Rejection {
    Rejection {
        reason,
        detail: detail.into(),
        event_id: None,
        row: String::new(),
    }
}

impl Rejection {
    /// The rejection of `row` of `relation`, named by [`identity`].
    fn of_row(self, row: &dyn RowAccess, relation: Relation) -> Rejection {
        Rejection {
            row: identity(row, super::columns(relation)),
            ..self
        }
    }
}

/// A ticket id that the list of a period's tickets could not read as text
/// (`message`: why): the ticket is one rejected row, as when its own row
/// does not read.
pub fn unreadable_ticket_id(message: &str) -> Rejection {
    Rejection {
        row: format!("id: {message}"),
        ..reject("bad_text", format!("id: {message}"))
    }
}

/// What names a rejected row across reads: its id when the id reads (a
/// ticket rejected again after its `updated_at` moved is the same row),
/// else every cell of it (a row without a usable id is known by content).
fn identity(row: &dyn RowAccess, columns: &[(&str, super::Col)]) -> String {
    let cell = |col: &str| -> Option<String> {
        if let Ok(Some(v)) = row.text(col) {
            return Some(v.to_string());
        }
        if let Ok(Some(v)) = row.int(col) {
            return Some(v.to_string());
        }
        match row.time(col) {
            Ok(Some(t)) => Some(format!("{t:?}")),
            _ => None,
        }
    };
    match cell("id") {
        Some(id) => format!("id={id}"),
        None => columns
            .iter()
            .map(|(c, _)| cell(c).unwrap_or_else(|| "\u{2205}".into()))
            .collect::<Vec<_>>()
            .join("\u{1f}"),
    }
}

/// The earliest instant accepted: timestamps before 1970 are broken data.
fn epoch() -> Instant {
    DateTime::UNIX_EPOCH
}

/// Parses a text timestamp in every form helpdesks write (DESIGN.md §2):
/// RFC 3339 with `Z` or an offset (`+02:00`, `+0200`, `+00` as PostgreSQL
/// prints timestamptz), `T` or a space between date and time (either case,
/// as `Z`), with or without seconds and fractions; a naive one is taken as
/// UTC; or unix seconds written as text (`1764583200`, `1764583200.5`).
pub fn parse_timestamp(s: &str) -> Option<Instant> {
    let s = s.trim();
    if let Some(secs) = unix_seconds(s) {
        return from_unix_seconds(secs);
    }
    // One spelling: `T` between date and time, `+00:00` for `Z`.
    let mut t = String::with_capacity(s.len() + 6);
    for (i, c) in s.char_indices() {
        t.push(if i == 10 && matches!(c, ' ' | 't') {
            'T'
        } else {
            c
        });
    }
    if t.ends_with(['Z', 'z']) {
        t.pop();
        t.push_str("+00:00");
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M%#z"] {
        if let Ok(d) = DateTime::parse_from_str(&t, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&t, fmt) {
            return Some(n.and_utc());
        }
    }
    None
}

/// `s` as unix seconds, when it is a plain number: digits with a sign and
/// one point, or a real as SQLite prints one (`9.3e+18`).
fn unix_seconds(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (digits, None),
    };
    let plain = !mantissa.is_empty()
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && mantissa.bytes().filter(|b| *b == b'.').count() <= 1
        && mantissa.bytes().any(|b| b.is_ascii_digit())
        && exponent.is_none_or(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()));
    if !plain {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Unix seconds as an instant; `None` beyond chrono's calendar (`as`
/// saturates, so a value past i64 microseconds is refused, not wrapped).
fn from_unix_seconds(secs: f64) -> Option<Instant> {
    let micros = (secs * 1e6).round();
    (micros.abs() < 9.2e18)
        .then(|| DateTime::from_timestamp_micros(micros as i64))
        .flatten()
}

/// Unix seconds in `col`, or the row's rejection as out of range.
fn unix_instant(col: &str, secs: f64) -> Result<Instant, Rejection> {
    from_unix_seconds(secs).ok_or_else(|| {
        reject(
            "timestamp_out_of_range",
            format!("{col} = {secs} unix seconds is beyond any calendar"),
        )
    })
}

fn instant(row: &dyn RowAccess, col: &str, horizon: Horizon) -> Result<Instant, Rejection> {
    let raw = row
        .time(col)
        .map_err(|e| reject("bad_timestamp", format!("{col}: {e}")))?
        .ok_or_else(|| reject("null_timestamp", format!("{col} is null")))?;
    let t = match &raw {
        RawTime::Instant(t) => Some(*t),
        RawTime::Naive(n) => Some(n.and_utc()),
        RawTime::Text(s) => match unix_seconds(s.trim()) {
            Some(secs) => Some(unix_instant(col, secs)?),
            None => parse_timestamp(s),
        },
        RawTime::Number(secs) if secs.is_finite() => Some(unix_instant(col, *secs)?),
        RawTime::Number(_) => None,
        RawTime::OutOfRange(what) => {
            return Err(reject("timestamp_out_of_range", format!("{col}: {what}")));
        }
    }
    .ok_or_else(|| {
        reject(
            "bad_timestamp",
            format!("{col} = {raw:?} is not a timestamp"),
        )
    })?;
    if t < epoch() {
        return Err(reject("timestamp_before_1970", format!("{col} = {t}")));
    }
    if !horizon.admits(t) {
        return Err(reject(
            "timestamp_in_future",
            format!("{col} = {t} is more than a day ahead of this machine's clock"),
        ));
    }
    Ok(t)
}

/// The latest instant a decoded timestamp may hold: a day ahead of the
/// job's clock, room for clock skew between the helpdesk and this machine;
/// anything later is broken data that would stretch every duration.
///
/// Built from the `now` the job was started with (DESIGN: time is an
/// input), never from a clock read here: a long-running `serve` whose
/// helpdesk was quiet for a weekend must accept Monday's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon(Option<Instant>);

impl Horizon {
    /// How far ahead of the clock a timestamp may be.
    pub const SKEW: chrono::TimeDelta = chrono::TimeDelta::days(1);

    /// The horizon of a job started at `now`.
    pub fn at(now: Instant) -> Horizon {
        Horizon(now.checked_add_signed(Self::SKEW))
    }

    /// No upper bound (tools that decode rows outside any job).
    pub const NONE: Horizon = Horizon(None);

    fn admits(self, t: Instant) -> bool {
        self.0.is_none_or(|h| t <= h)
    }
}

fn text<'r>(row: &'r dyn RowAccess, col: &str) -> Result<Option<&'r str>, Rejection> {
    row.text(col)
        .map(|v| v.filter(|s| !s.is_empty()))
        .map_err(|e| reject("bad_text", format!("{col}: {e}")))
}

fn owned(row: &dyn RowAccess, col: &str) -> Result<Option<String>, Rejection> {
    Ok(text(row, col)?.map(str::to_string))
}

fn required<'r>(
    row: &'r dyn RowAccess,
    col: &str,
    reason: &'static str,
) -> Result<&'r str, Rejection> {
    text(row, col)?.ok_or_else(|| reject(reason, format!("{col} is null or empty")))
}

/// The value of `options` that `v` names, ignoring ASCII case.
fn one_of<T: Copy>(v: &str, options: &[(&str, T)]) -> Option<T> {
    options
        .iter()
        .find(|(name, _)| v.eq_ignore_ascii_case(name))
        .map(|(_, t)| *t)
}

fn parsed<T: std::str::FromStr>(
    row: &dyn RowAccess,
    col: &str,
    reason: &'static str,
    expected: &str,
) -> Result<T, Rejection> {
    let v = required(row, col, reason)?;
    v.parse()
        .map_err(|_| reject(reason, format!("{col} = `{v}`; expected {expected}")))
}

pub fn ticket(row: &dyn RowAccess, horizon: Horizon) -> Result<Ticket, Rejection> {
    ticket_fields(row, horizon).map_err(|r| r.of_row(row, Relation::Tickets))
}

fn ticket_fields(row: &dyn RowAccess, horizon: Horizon) -> Result<Ticket, Rejection> {
    let created_by = required(row, "created_by", "unknown_created_by")?;
    let created_by = one_of(
        created_by,
        &[("customer", Creator::Customer), ("agent", Creator::Agent)],
    )
    .ok_or_else(|| {
        reject(
            "unknown_created_by",
            format!("created_by = `{created_by}`; expected customer or agent"),
        )
    })?;
    let priority = match text(row, "priority")? {
        None => Priority::None,
        Some(p) => p.parse().map_err(|_| {
            reject(
                "unknown_priority",
                format!("priority = `{p}`; expected low, normal, high or urgent"),
            )
        })?,
    };
    let created_at = instant(row, "created_at", horizon)?;
    Ok(Ticket {
        id: required(row, "id", "null_id")?.to_string(),
        created_at,
        // A missing channel or requester is kept as `unknown` rather than
        // losing the ticket: neither changes any duration or count.
        channel: text(row, "channel")?.map_or_else(|| "unknown".into(), |c| c.to_ascii_lowercase()),
        priority,
        category: owned(row, "category")?,
        requester_id: owned(row, "requester_id")?.unwrap_or_else(|| "unknown".into()),
        created_by,
        status: parsed(
            row,
            "status",
            "unknown_status",
            "new, open, pending, on_hold, solved, closed, deleted or spam",
        )?,
        // updated_at only drives incremental reads (a hint: the events
        // decide); a missing or unreadable one loses nothing.
        updated_at: instant(row, "updated_at", horizon).ok(),
    })
}

pub fn event(row: &dyn RowAccess, horizon: Horizon) -> Result<Event, Rejection> {
    event_fields(row, horizon).map_err(|r| r.of_row(row, Relation::Events))
}

fn event_fields(row: &dyn RowAccess, horizon: Horizon) -> Result<Event, Rejection> {
    let id = row
        .int("id")
        .map_err(|e| reject("bad_id", format!("id: {e}")))?
        .ok_or_else(|| reject("null_id", "id is null"))?;
    event_with_id(row, id, horizon).map_err(|r| Rejection {
        event_id: Some(id),
        ..r
    })
}

fn event_with_id(row: &dyn RowAccess, id: i64, horizon: Horizon) -> Result<Event, Rejection> {
    let kind_text = required(row, "kind", "unknown_kind")?;
    let kind = one_of(
        kind_text,
        &[
            ("message", EventKind::Message),
            ("note", EventKind::Note),
            ("assign", EventKind::Assign),
            ("status", EventKind::Status),
        ],
    )
    .ok_or_else(|| {
        reject(
            "unknown_kind",
            format!("event {id}: kind = `{kind_text}`; expected message, note, assign or status"),
        )
    })?;
    let actor_text = required(row, "actor", "unknown_actor")?;
    let actor = one_of(
        actor_text,
        &[
            ("customer", Actor::Customer),
            ("agent", Actor::Agent),
            ("bot", Actor::Bot),
            ("system", Actor::System),
        ],
    )
    .ok_or_else(|| {
        reject(
            "unknown_actor",
            format!("event {id}: actor = `{actor_text}`; expected customer, agent, bot or system"),
        )
    })?;
    let status = match text(row, "status")? {
        None if kind == EventKind::Status => {
            return Err(reject(
                "null_status",
                format!("event {id}: a status event without a status"),
            ));
        }
        None => None,
        Some(s) => Some(
            s.parse::<Status>()
                .map_err(|_| reject("unknown_status", format!("event {id}: status = `{s}`")))?,
        ),
    };
    Ok(Event {
        id,
        ticket_id: required(row, "ticket_id", "null_ticket_id")?.to_string(),
        occurred_at: instant(row, "occurred_at", horizon)?,
        kind,
        actor,
        actor_id: owned(row, "actor_id")?,
        team: owned(row, "team")?,
        agent_id: owned(row, "agent_id")?,
        status,
    })
}

fn score_in(
    row: &dyn RowAccess,
    range: std::ops::RangeInclusive<i64>,
    what: &str,
) -> Result<u8, Rejection> {
    let s = row
        .int("score")
        .map_err(|e| reject("bad_score", format!("score: {e}")))?
        .ok_or_else(|| reject("null_score", format!("{what} score is null")))?;
    if !range.contains(&s) {
        return Err(reject(
            "score_out_of_range",
            format!("{what} score {s} outside {}–{}", range.start(), range.end()),
        ));
    }
    u8::try_from(s).map_err(|_| reject("score_out_of_range", format!("{what} score {s}")))
}

pub fn survey(
    row: &dyn RowAccess,
    ces: CesDirection,
    horizon: Horizon,
) -> Result<SurveyResponse, Rejection> {
    survey_fields(row, ces, horizon).map_err(|r| r.of_row(row, Relation::Surveys))
}

fn survey_fields(
    row: &dyn RowAccess,
    ces: CesDirection,
    horizon: Horizon,
) -> Result<SurveyResponse, Rejection> {
    #[derive(Clone, Copy)]
    enum Kind {
        Csat,
        Nps,
        Ces,
        Servqual(ServqualSide),
    }
    let kind_text = required(row, "kind", "unknown_kind")?;
    let kind = one_of(
        kind_text,
        &[
            ("csat", Kind::Csat),
            ("nps", Kind::Nps),
            ("ces", Kind::Ces),
            (
                "servqual_expectation",
                Kind::Servqual(ServqualSide::Expectation),
            ),
            (
                "servqual_perception",
                Kind::Servqual(ServqualSide::Perception),
            ),
        ],
    )
    .ok_or_else(|| {
        reject(
            "unknown_kind",
            format!(
                "kind = `{kind_text}`; expected csat, nps, ces, \
                 servqual_expectation or servqual_perception"
            ),
        )
    })?;
    let score = match kind {
        Kind::Csat => SurveyScore::Csat(score_in(row, 1..=5, "csat")?),
        Kind::Nps => SurveyScore::Nps(score_in(row, 0..=10, "nps")?),
        Kind::Ces => {
            let s = score_in(row, 1..=7, "ces")?;
            SurveyScore::Ces(match ces {
                CesDirection::OneIsLowEffort => s,
                CesDirection::SevenIsLowEffort => 8 - s,
            })
        }
        Kind::Servqual(side) => {
            let (dimension, item) = servqual_question(row)?;
            SurveyScore::Servqual {
                side,
                dimension,
                item,
                score: score_in(row, 1..=7, side.kind())?,
            }
        }
    };
    Ok(SurveyResponse {
        id: required(row, "id", "null_id")?.to_string(),
        ticket_id: owned(row, "ticket_id")?,
        responded_at: instant(row, "responded_at", horizon)?,
        score,
        comment: owned(row, "comment")?,
    })
}

/// A SERVQUAL answer's dimension and item, from the optional `question`
/// column.
fn servqual_question(row: &dyn RowAccess) -> Result<(ServqualDimension, Option<u16>), Rejection> {
    let question = text(row, "question")?.ok_or_else(|| {
        reject(
            "null_question",
            "a servqual answer needs `question` to name its dimension (tangibles, \
             reliability, responsiveness, assurance or empathy); the surveys relation \
             has no `question` column or it is null"
                .to_string(),
        )
    })?;
    ServqualDimension::of_question(question).ok_or_else(|| {
        reject(
            "unknown_servqual_dimension",
            format!(
                "question = `{question}`; expected <dimension> or <dimension>.<n> with \
                 dimension tangibles, reliability, responsiveness, assurance or empathy"
            ),
        )
    })
}

/// A row of the optional `support_agents` relation.
pub fn agent(row: &dyn RowAccess) -> Result<Agent, Rejection> {
    agent_fields(row).map_err(|r| r.of_row(row, Relation::Agents))
}

fn agent_fields(row: &dyn RowAccess) -> Result<Agent, Rejection> {
    let id = required(row, "agent_id", "null_agent_id")?.to_string();
    let team = required(row, "team", "null_team")?.to_string();
    let started_on = date(row, "started_on")?
        .ok_or_else(|| reject("null_started_on", format!("agent {id}: started_on is null")))?;
    let left_on = date(row, "left_on")?;
    if let Some(left) = left_on.filter(|l| *l < started_on) {
        return Err(reject(
            "left_before_start",
            format!("agent {id}: left_on {left} is before started_on {started_on}"),
        ));
    }
    Ok(Agent {
        id,
        team,
        started_on,
        left_on,
    })
}

/// A calendar date: `YYYY-MM-DD`, or a timestamp's date part (a DATETIME
/// column read as text).
fn date(row: &dyn RowAccess, col: &str) -> Result<Option<chrono::NaiveDate>, Rejection> {
    let Some(text) = text(row, col)? else {
        return Ok(None);
    };
    let t = text.trim();
    t.get(..10)
        .filter(|_| {
            t.get(10..)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', 'T', 't']))
        })
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(Some)
        .ok_or_else(|| {
            reject(
                "bad_date",
                format!("{col} = `{t}`; expected a date, YYYY-MM-DD"),
            )
        })
}

pub fn engagement(row: &dyn RowAccess, horizon: Horizon) -> Result<EngagementResponse, Rejection> {
    engagement_fields(row, horizon).map_err(|r| r.of_row(row, Relation::Engagement))
}

fn engagement_fields(
    row: &dyn RowAccess,
    horizon: Horizon,
) -> Result<EngagementResponse, Rejection> {
    let question = required(row, "question", "null_question")?;
    let answer = if question.eq_ignore_ascii_case("enps") {
        EngagementAnswer::Enps(score_in(row, 0..=10, "enps")?)
    } else {
        EngagementAnswer::Likert {
            score: score_in(row, 1..=5, &format!("likert item `{question}`"))?,
            item: question.to_string(),
        }
    };
    Ok(EngagementResponse {
        id: required(row, "id", "null_id")?.to_string(),
        employee_id: required(row, "employee_id", "null_employee_id")?.to_string(),
        team: required(row, "team", "null_team")?.to_string(),
        responded_at: instant(row, "responded_at", horizon)?,
        answer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A row of text cells, for decoding tests.
    struct Cells(HashMap<&'static str, Option<&'static str>>);

    impl RowAccess for Cells {
        fn text(&self, col: &str) -> Result<Option<&str>, String> {
            Ok(self.0.get(col).copied().flatten())
        }
        fn int(&self, col: &str) -> Result<Option<i64>, String> {
            self.text(col)?
                .map(|s| s.parse().map_err(|_| format!("`{s}` is not an integer")))
                .transpose()
        }
        fn time(&self, col: &str) -> Result<Option<RawTime>, String> {
            Ok(self.text(col)?.map(|s| RawTime::Text(s.to_string())))
        }
    }

    /// The clock of these tests: the day after their rows.
    fn now() -> Horizon {
        Horizon::at(parse_timestamp("2026-01-06T00:00:00Z").expect("fixed"))
    }

    fn event_at(row: &Cells) -> Result<Event, Rejection> {
        event(row, now())
    }

    fn servqual_row(
        kind: &'static str,
        question: Option<&'static str>,
        score: &'static str,
    ) -> Cells {
        let mut row = survey_row(kind, score);
        row.0.insert("question", question);
        row
    }

    #[test]
    fn servqual_answers_name_their_dimension_in_question() {
        let d = CesDirection::OneIsLowEffort;
        let e = survey(
            &servqual_row("servqual_expectation", Some("reliability.3"), "7"),
            d,
            now(),
        )
        .expect("ok");
        assert_eq!(
            e.score,
            SurveyScore::Servqual {
                side: ServqualSide::Expectation,
                dimension: ServqualDimension::Reliability,
                item: Some(3),
                score: 7
            }
        );
        let p = survey(
            &servqual_row("SERVQUAL_PERCEPTION", Some("Empathy"), "1"),
            d,
            now(),
        )
        .expect("ok");
        assert_eq!(p.score.kind_str(), "servqual_perception");
        assert_eq!(p.score.value(), 1);
        let reason = |row: &Cells| survey(row, d, now()).map(|_| ()).map_err(|r| r.reason);
        assert_eq!(
            reason(&servqual_row("servqual_perception", None, "4")),
            Err("null_question")
        );
        for bad in [
            "courtesy",
            "reliability.",
            "reliability.x",
            "tangibles.1.2",
            "empathy.-1",
        ] {
            assert_eq!(
                reason(&servqual_row("servqual_perception", Some(bad), "4")),
                Err("unknown_servqual_dimension"),
                "{bad}"
            );
        }
        assert_eq!(
            reason(&servqual_row(
                "servqual_expectation",
                Some("assurance"),
                "8"
            )),
            Err("score_out_of_range")
        );
        assert_eq!(
            reason(&servqual_row(
                "servqual_expectation",
                Some("assurance"),
                "0"
            )),
            Err("score_out_of_range")
        );
    }

    fn survey_row(kind: &'static str, score: &'static str) -> Cells {
        Cells(HashMap::from([
            ("id", Some("s1")),
            ("ticket_id", Some("1")),
            ("responded_at", Some("2026-01-05T10:00:00Z")),
            ("kind", Some(kind)),
            ("score", Some(score)),
            ("comment", None),
        ]))
    }

    #[test]
    fn timestamps_in_every_accepted_form() {
        let want = parse_timestamp("2026-01-05T09:00:00Z").expect("rfc3339");
        for s in [
            "2026-01-05T10:00:00+01:00",
            "2026-01-05 09:00:00",
            "2026-01-05T09:00:00",
            "2026-01-05 09:00:00.000000",
            "2026-01-05 09:00:00+00",
            "2026-01-05 09:00",
            "2026-01-05t09:00:00z",
            "2026-01-05T10:00:00+0100",
            "2026-01-05 10:00+01:00",
            "2026-01-05T09:00Z",
            "1767603600",
            "1767603600.0",
            " 2026-01-05T09:00:00Z ",
        ] {
            assert_eq!(parse_timestamp(s), Some(want), "{s}");
        }
        assert_eq!(parse_timestamp("05/01/2026"), None);
        assert_eq!(
            parse_timestamp("20260105"),
            parse_timestamp("1970-08-23T11:48:25Z")
        );
        assert_eq!(parse_timestamp("1.2.3"), None);
        assert_eq!(parse_timestamp(""), None);
        assert_eq!(parse_timestamp("2026-01-05T09:00:00+25:00"), None);
    }

    #[test]
    fn scores_out_of_range_are_rejected_at_every_boundary() {
        let d = CesDirection::OneIsLowEffort;
        assert!(survey(&survey_row("csat", "1"), d, now()).is_ok());
        assert!(survey(&survey_row("csat", "5"), d, now()).is_ok());
        assert_eq!(
            survey(&survey_row("csat", "0"), d, now())
                .unwrap_err()
                .reason,
            "score_out_of_range"
        );
        assert_eq!(
            survey(&survey_row("csat", "6"), d, now())
                .unwrap_err()
                .reason,
            "score_out_of_range"
        );
        assert!(survey(&survey_row("nps", "0"), d, now()).is_ok());
        assert_eq!(
            survey(&survey_row("nps", "11"), d, now())
                .unwrap_err()
                .reason,
            "score_out_of_range"
        );
        assert_eq!(
            survey(&survey_row("ces", "8"), d, now())
                .unwrap_err()
                .reason,
            "score_out_of_range"
        );
        assert_eq!(
            survey(&survey_row("stars", "3"), d, now())
                .unwrap_err()
                .reason,
            "unknown_kind"
        );
        assert_eq!(
            survey(&survey_row("nps", "x"), d, now())
                .unwrap_err()
                .reason,
            "bad_score"
        );
    }

    #[test]
    fn ces_direction_is_normalised() {
        let one = survey(&survey_row("ces", "2"), CesDirection::OneIsLowEffort, now()).expect("ok");
        let seven = survey(
            &survey_row("ces", "2"),
            CesDirection::SevenIsLowEffort,
            now(),
        )
        .expect("ok");
        assert_eq!(one.score, SurveyScore::Ces(2));
        assert_eq!(seven.score, SurveyScore::Ces(6));
    }

    #[test]
    fn events_break_the_contract_in_named_ways() {
        let base = || {
            HashMap::from([
                ("id", Some("7")),
                ("ticket_id", Some("1")),
                ("occurred_at", Some("2026-01-05T10:00:00Z")),
                ("kind", Some("status")),
                ("actor", Some("agent")),
                ("status", Some("solved")),
            ])
        };
        assert!(event_at(&Cells(base())).is_ok());
        let mut r = base();
        r.insert("kind", Some("like"));
        assert_eq!(event_at(&Cells(r)).unwrap_err().reason, "unknown_kind");
        let mut r = base();
        r.insert("status", None);
        assert_eq!(event_at(&Cells(r)).unwrap_err().reason, "null_status");
        let mut r = base();
        r.insert("occurred_at", None);
        assert_eq!(event_at(&Cells(r)).unwrap_err().reason, "null_timestamp");
        let mut r = base();
        r.insert("occurred_at", Some("1969-12-31T23:59:59Z"));
        assert_eq!(
            event_at(&Cells(r)).unwrap_err().reason,
            "timestamp_before_1970"
        );
        let mut r = base();
        r.insert("occurred_at", Some("2999-01-01T00:00:00Z"));
        assert_eq!(
            event_at(&Cells(r)).unwrap_err().reason,
            "timestamp_in_future"
        );
        // Clock skew of up to a day is not an error; past it, it is.
        let mut r = base();
        r.insert("occurred_at", Some("2026-01-07T00:00:00Z"));
        assert!(event_at(&Cells(r)).is_ok());
        let mut r = base();
        r.insert("occurred_at", Some("2026-01-07T00:00:01Z"));
        assert_eq!(
            event_at(&Cells(r)).unwrap_err().reason,
            "timestamp_in_future"
        );
        // The horizon is the job's clock, not the machine's: three days
        // later (a quiet weekend inside one `serve`) the same row is fine.
        let later = Horizon::at(parse_timestamp("2026-01-09T00:00:00Z").expect("fixed"));
        let mut r = base();
        r.insert("occurred_at", Some("2026-01-08T12:00:00Z"));
        assert_eq!(
            event(&Cells(r.clone()), now()).unwrap_err().reason,
            "timestamp_in_future"
        );
        assert!(event(&Cells(r), later).is_ok());
        let mut r = base();
        r.insert("actor", Some("alien"));
        let e = event_at(&Cells(r)).unwrap_err();
        assert_eq!(e.reason, "unknown_actor");
        assert!(e.detail.contains("alien"));
    }
}
