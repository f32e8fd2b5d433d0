//! Tickets with their events and survey answers, one ticket at a time, in
//! bounded memory.
//!
//! The three relations are read as streams in the same order — by ticket
//! id, in byte order ([`Source::by_ticket`]) — and merged: a ticket is
//! handed over as soon as its events and answers have arrived, so memory
//! holds one ticket's history at a time whatever the size of the helpdesk.
//! Both the first collection and `report`/`digest` read this way.

use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::decode::{self, Rejection, RowAccess};
use super::first_ids::FirstIds;
use super::{Rows, Source, SourceError, Timeout};
use crate::model::{Event, Relation, SurveyResponse, Ticket};
use crate::rejects::Rejects;

/// The highest ids a read returned, at most `cap` of them (a backfill's
/// last events, among which `state::pending` looks for holes).
#[derive(Debug)]
pub struct TopIds {
    cap: usize,
    heap: std::collections::BinaryHeap<std::cmp::Reverse<i64>>,
}

impl TopIds {
    pub fn new(cap: usize) -> TopIds {
        TopIds {
            cap,
            heap: Default::default(),
        }
    }

    pub fn add(&mut self, id: i64) {
        if self.heap.len() < self.cap {
            self.heap.push(std::cmp::Reverse(id));
        } else if self.heap.peek().is_some_and(|low| id > low.0) {
            self.heap.pop();
            self.heap.push(std::cmp::Reverse(id));
        }
    }

    /// The ids kept, in no order.
    pub fn into_ids(self) -> Vec<i64> {
        self.heap.into_iter().map(|r| r.0).collect()
    }
}

/// How a row's event id is read, and the highest ids kept.
type IdTracker<T> = (fn(&T) -> i64, TopIds);

/// How an answer's id is read, and the ids read so far.
type AnswerIds<T> = (fn(&T) -> &str, FirstIds);

/// One relation's stream, one decoded row ahead.
struct Cursor<T> {
    relation: Relation,
    rows: BoxStream<'static, Result<Result<T, Rejection>, SourceError>>,
    head: Option<T>,
    done: bool,
    /// Rows read, rejected ones included.
    read: u64,
    /// The ticket a row belongs to (`None`: no ticket).
    key: fn(&T) -> Option<&str>,
    /// The last ticket id seen: keys must not go back.
    last: Option<String>,
    /// Where the relation is read from, for the out-of-order error.
    from: String,
    /// Events: the highest ids read, decoded or rejected.
    ids: Option<IdTracker<T>>,
    /// Answers: the ids read, each counted once.
    first: Option<AnswerIds<T>>,
}

impl<T> Cursor<T> {
    fn new(
        source: &Source,
        relation: Relation,
        rows: BoxStream<'static, Result<Result<T, Rejection>, SourceError>>,
        key: fn(&T) -> Option<&str>,
    ) -> Self {
        Cursor {
            relation,
            rows,
            head: None,
            done: false,
            read: 0,
            key,
            last: None,
            from: source.describe(relation),
            ids: None,
            first: None,
        }
    }

    /// The next row that decodes (rejections are counted on the way).
    async fn peek(&mut self, rejects: &mut Rejects) -> Result<Option<&T>, SourceError> {
        while self.head.is_none() && !self.done {
            match self.rows.next().await {
                None => self.done = true,
                Some(row) => {
                    self.read += 1;
                    let row = row?;
                    if let Some((id_of, top)) = &mut self.ids {
                        match &row {
                            Ok(v) => top.add(id_of(v)),
                            Err(r) => r.event_id.into_iter().for_each(|id| top.add(id)),
                        }
                    }
                    match row {
                        Ok(v) => {
                            self.check_order((self.key)(&v))?;
                            if let Some((id_of, first)) = &mut self.first
                                && !first.first(id_of(&v), rejects)
                            {
                                continue;
                            }
                            self.head = Some(v);
                        }
                        Err(r) => rejects.add(self.relation, r.reason, &r.row, &r.detail),
                    }
                }
            }
        }
        Ok(self.head.as_ref())
    }

    /// The merge is only right when every stream is in the same order: a
    /// database that sorts otherwise is an error, not wrong numbers.
    fn check_order(&mut self, key: Option<&str>) -> Result<(), SourceError> {
        let last = self.last.as_deref();
        if key == last {
            return Ok(());
        }
        if key < last {
            return Err(SourceError::Relation {
                relation: self.relation,
                from: self.from.clone(),
                message: format!(
                    "ticket id `{}` arrived after `{}` although the query sorts by ticket id \
                     (byte order); the database does not sort as asked",
                    key.unwrap_or("NULL"),
                    last.unwrap_or("NULL")
                ),
            });
        }
        self.last = key.map(str::to_string);
        Ok(())
    }

    /// Takes the rows of tickets ordered before `upto` (all of them when
    /// `None`), handing each to `skipped`, then returns those of `upto`.
    async fn until(
        &mut self,
        upto: Option<&str>,
        rejects: &mut Rejects,
        mut skipped: impl FnMut(T, &mut Rejects),
    ) -> Result<Vec<T>, SourceError> {
        let mut of = Vec::new();
        let key_of = self.key;
        while let Some(head) = self.peek(rejects).await? {
            let key = key_of(head);
            let before = match upto {
                None => true,
                Some(u) => key.is_none_or(|k| k < u),
            };
            if !before && key != upto {
                break;
            }
            let Some(row) = self.head.take() else { break };
            if before {
                skipped(row, rejects);
            } else {
                of.push(row);
            }
        }
        Ok(of)
    }
}

/// A ticket and what belongs to it.
pub struct Merged {
    pub ticket: Ticket,
    /// In id order.
    pub events: Vec<Event>,
    pub surveys: Vec<SurveyResponse>,
}

/// Rows read per relation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Read {
    pub tickets: u64,
    pub events: u64,
    pub surveys: u64,
}

/// The merge of the three relations.
pub struct ByTicket {
    tickets: Cursor<Ticket>,
    events: Cursor<Event>,
    surveys: Cursor<SurveyResponse>,
    /// A period's events of tickets the source does not have, read apart
    /// (`source::period`): all rejected at the end.
    orphans: Option<Cursor<Event>>,
}

/// What to read of each relation.
pub struct Reads<'a> {
    pub tickets: Rows<'a>,
    /// `None`: no events at all.
    pub events: Option<Rows<'a>>,
    pub surveys: Rows<'a>,
}

impl ByTicket {
    pub fn open(source: &Source, reads: &Reads<'_>) -> ByTicket {
        let h = source.horizon();
        let ticket_key: fn(&Ticket) -> Option<&str> = |t| Some(t.id.as_str());
        let event_key: fn(&Event) -> Option<&str> = |e| Some(e.ticket_id.as_str());
        let decode_ticket = move |r: &dyn RowAccess| decode::ticket(r, h);
        let decode_event = move |r: &dyn RowAccess| decode::event(r, h);
        let (tickets, events, orphans) = match (reads.tickets, reads.events) {
            // A period's tickets and events: one list of ids, read a chunk
            // at a time by both; the events of tickets it does not have
            // apart.
            (Rows::Active { from, to }, Some(Rows::Active { .. })) => {
                let parts = source.period_parts(from, to);
                (
                    source.stream_parts(
                        Relation::Tickets,
                        parts.tickets,
                        decode_ticket,
                        ticket_key,
                        Timeout::Kept,
                    ),
                    source.stream_parts(
                        Relation::Events,
                        parts.events,
                        decode_event,
                        event_key,
                        Timeout::Kept,
                    ),
                    Some(Cursor::new(
                        source,
                        Relation::Events,
                        source.stream_parts(
                            Relation::Events,
                            parts.orphans,
                            decode_event,
                            event_key,
                            Timeout::Kept,
                        ),
                        event_key,
                    )),
                )
            }
            (tickets, events) => (
                source.by_ticket(Relation::Tickets, &tickets, decode_ticket),
                match events {
                    Some(rows) => source.by_ticket(Relation::Events, &rows, decode_event),
                    None => Box::pin(futures_util::stream::empty()),
                },
                None,
            ),
        };
        ByTicket {
            tickets: Cursor::new(source, Relation::Tickets, tickets, ticket_key),
            events: Cursor::new(source, Relation::Events, events, event_key),
            orphans,
            surveys: survey_cursor(source, &reads.surveys),
        }
    }

    /// The next ticket with its events and answers; `None` at the end.
    /// Events of tickets the source does not have are rejected on the way;
    /// answers without a ticket, or whose ticket it does not have, go to
    /// `unmatched`.
    pub async fn next(
        &mut self,
        rejects: &mut Rejects,
        unmatched: &mut Vec<SurveyResponse>,
    ) -> Result<Option<Merged>, SourceError> {
        self.tickets.peek(rejects).await?;
        let Some(mut ticket) = self.tickets.head.take() else {
            return Ok(None);
        };
        // A ticket id seen twice: the last row is used, as everywhere.
        while let Some(next) = self.tickets.peek(rejects).await?
            && next.id == ticket.id
        {
            rejects.add(
                Relation::Tickets,
                "duplicate_ticket_id",
                &ticket.id,
                &format!(
                    "ticket {} appears more than once; the last row is used",
                    ticket.id
                ),
            );
            if let Some(t) = self.tickets.head.take() {
                ticket = t;
            }
        }
        // Rows ordered before this ticket belong to no ticket in the source.
        let events = self
            .events
            .until(Some(&ticket.id), rejects, orphan_event)
            .await?;
        let surveys = self
            .surveys
            .until(Some(&ticket.id), rejects, |s, _| unmatched.push(s))
            .await?;
        Ok(Some(Merged {
            ticket,
            events,
            surveys,
        }))
    }

    /// After the last ticket: what is left belongs to no ticket.
    pub async fn finish(
        &mut self,
        rejects: &mut Rejects,
        unmatched: &mut Vec<SurveyResponse>,
    ) -> Result<Read, SourceError> {
        self.events.until(None, rejects, orphan_event).await?;
        if let Some(orphans) = &mut self.orphans {
            orphans.until(None, rejects, orphan_event).await?;
        }
        self.surveys
            .until(None, rejects, |s, _| unmatched.push(s))
            .await?;
        Ok(self.read())
    }

    /// Keeps the highest `cap` event ids read from now on (see
    /// [`ByTicket::top_event_ids`]).
    pub fn track_event_ids(&mut self, cap: usize) {
        self.events.ids = Some((|e: &Event| e.id, TopIds::new(cap)));
    }

    /// The ids [`ByTicket::track_event_ids`] kept.
    pub fn top_event_ids(&mut self) -> Vec<i64> {
        self.events
            .ids
            .take()
            .map(|(_, top)| top.into_ids())
            .unwrap_or_default()
    }

    pub fn read(&self) -> Read {
        Read {
            tickets: self.tickets.read,
            events: self.events.read + self.orphans.as_ref().map_or(0, |o| o.read),
            surveys: self.surveys.read,
        }
    }
}

/// The events `rows` selects, one ticket's at a time, grouped as
/// [`ByTicket`] groups them (by ticket id in byte order, the order checked)
/// for a reader that has its tickets already (an incremental run).
pub struct EventsByTicket {
    events: Cursor<Event>,
}

impl EventsByTicket {
    pub fn open(source: &Source, rows: &Rows<'_>) -> EventsByTicket {
        let h = source.horizon();
        EventsByTicket {
            events: Cursor::new(
                source,
                Relation::Events,
                source.by_ticket(Relation::Events, rows, move |r| decode::event(r, h)),
                |e: &Event| Some(e.ticket_id.as_str()),
            ),
        }
    }

    /// The next ticket id with its events (in id order); `None` at the end.
    pub async fn next(
        &mut self,
        rejects: &mut Rejects,
    ) -> Result<Option<(String, Vec<Event>)>, SourceError> {
        let Some(head) = self.events.peek(rejects).await? else {
            return Ok(None);
        };
        let id = head.ticket_id.clone();
        // Nothing sorts before the head: `until` returns its group.
        let events = self.events.until(Some(&id), rejects, orphan_event).await?;
        Ok(Some((id, events)))
    }

    /// Rows read, rejected ones included.
    pub fn read(&self) -> u64 {
        self.events.read
    }
}

/// The survey answers `rows` selects, whole, in the order [`ByTicket`]
/// hands them (by ticket id in byte order, answers without a ticket
/// first), each id counted once: for a reader that has its tickets from
/// elsewhere (`report --from-state`).
pub async fn surveys_by_ticket(
    source: &Source,
    rows: &Rows<'_>,
    rejects: &mut Rejects,
) -> Result<Vec<SurveyResponse>, SourceError> {
    let mut out = Vec::new();
    survey_cursor(source, rows)
        .until(None, rejects, |s, _| out.push(s))
        .await?;
    Ok(out)
}

/// The answers `rows` selects, by ticket id, each answer id counted once.
fn survey_cursor(source: &Source, rows: &Rows<'_>) -> Cursor<SurveyResponse> {
    let ces = source.ces_direction();
    let h = source.horizon();
    let survey_key: fn(&SurveyResponse) -> Option<&str> = |s| s.ticket_id.as_deref();
    let decode_survey = move |r: &dyn RowAccess| decode::survey(r, ces, h);
    let stream = match rows {
        // A period's answers are read before its walk (see
        // `Source::by_ticket_read_first`).
        Rows::Active { .. } => {
            source.by_ticket_read_first(Relation::Surveys, rows, decode_survey, survey_key)
        }
        _ => source.by_ticket(Relation::Surveys, rows, decode_survey),
    };
    Cursor {
        first: Some((
            |s: &SurveyResponse| s.id.as_str(),
            FirstIds::new(Relation::Surveys),
        )),
        ..Cursor::new(source, Relation::Surveys, stream, survey_key)
    }
}

/// An event whose ticket is not in the tickets relation.
pub fn orphan_event(e: Event, rejects: &mut Rejects) {
    rejects.add(
        Relation::Events,
        "unknown_ticket",
        &format!("id={}", e.id),
        &format!(
            "event {} refers to ticket {}, which is not in the tickets relation",
            e.id, e.ticket_id
        ),
    );
}

/// A survey answer about a ticket the source does not have.
pub fn orphan_survey(s: &SurveyResponse, ticket_id: &str, rejects: &mut Rejects) {
    rejects.add(
        Relation::Surveys,
        "unknown_ticket",
        &format!("id={}", s.id),
        &format!(
            "survey {} refers to ticket {ticket_id}, which is not in the tickets relation",
            s.id
        ),
    );
}
