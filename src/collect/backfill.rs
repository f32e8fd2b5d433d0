//! The first collection: every ticket walked once, in bounded memory.
//!
//! Tickets, their events and their survey answers are read as three
//! streams in the same order — by ticket id, in byte order
//! ([`Source::by_ticket`]) — and merged: a ticket is walked as soon as its
//! events and answers have arrived, so memory holds one ticket's history at
//! a time whatever the size of the helpdesk. The ticket rows go to the
//! state store in batches inside the collection's transaction, which only
//! the final watermark commits.

use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::{EventWindow, Run, orphan_event, orphan_survey, relationship_survey};
use crate::model::{Event, Instant, Relation, SurveyResponse, Ticket};
use crate::rejects::Rejects;
use crate::source::decode::{self, Rejection};
use crate::source::{Rows, Source, SourceError};
use crate::state::{AnswerRow, TicketRow, Writer};

use super::CollectError;

/// Ticket rows (and answers) handed to the state store at a time.
const FLUSH: usize = 5_000;

/// One relation's stream, one decoded row ahead.
struct Cursor<'a, T> {
    relation: Relation,
    rows: BoxStream<'a, Result<Result<T, Rejection>, SourceError>>,
    head: Option<T>,
    done: bool,
    /// Rows read, rejected ones included.
    read: u64,
    /// The ticket a row belongs to (`None`: no ticket).
    key: fn(&T) -> Option<&str>,
    /// The last ticket id seen: keys must not go back.
    last: Option<String>,
    source: &'a Source,
}

impl<'a, T> Cursor<'a, T> {
    fn new(source: &'a Source, relation: Relation, key: fn(&T) -> Option<&str>) -> Self
    where
        T: Send + 'a,
    {
        Cursor {
            relation,
            rows: Box::pin(futures_util::stream::empty()),
            head: None,
            done: false,
            read: 0,
            key,
            last: None,
            source,
        }
    }

    /// The next row that decodes (rejections are counted on the way).
    async fn peek(&mut self, rejects: &mut Rejects) -> Result<Option<&T>, SourceError> {
        while self.head.is_none() && !self.done {
            match self.rows.next().await {
                None => self.done = true,
                Some(row) => {
                    self.read += 1;
                    match row? {
                        Ok(v) => {
                            self.check_order((self.key)(&v))?;
                            self.head = Some(v);
                        }
                        Err(r) => rejects.add(self.relation, r.reason, &r.detail),
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
            return Err(self.source.order_error(
                self.relation,
                &format!(
                    "ticket id `{}` arrived after `{}` although the query sorts by ticket id \
                     (byte order); the database does not sort as asked",
                    key.unwrap_or("NULL"),
                    last.unwrap_or("NULL")
                ),
            ));
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

/// Walks every ticket with its events up to `upto` and its survey answers,
/// writing ticket rows and the answers to remember (those at or after
/// `keep_answers_from`) through `writer`.
///
/// The walk hands full batches to the writer and goes on while the state
/// store stores them (SQLite works on a thread of its own).
pub(super) async fn walk_all(
    source: &Source,
    run: &mut Run<'_>,
    upto: Option<i64>,
    writer: &mut Writer<'_>,
    keep_answers_from: Instant,
) -> Result<(), CollectError> {
    let (batches, mut to_write) = tokio::sync::mpsc::channel::<Batch>(2);
    let write = async {
        while let Some(b) = to_write.recv().await {
            writer.tickets(&b.tickets).await?;
            writer.answers(&b.answers).await?;
        }
        Ok::<(), CollectError>(())
    };
    let walk = walk_in_order(source, run, upto, batches, keep_answers_from);
    futures_util::future::try_join(walk, write).await?;
    Ok(())
}

/// Rows for the state store.
struct Batch {
    tickets: Vec<TicketRow>,
    answers: Vec<AnswerRow>,
}

/// The merge itself; batches go to `out`.
async fn walk_in_order(
    source: &Source,
    run: &mut Run<'_>,
    upto: Option<i64>,
    out: tokio::sync::mpsc::Sender<Batch>,
    keep_answers_from: Instant,
) -> Result<(), CollectError> {
    let ces = source.ces_direction();
    let mut tickets = Cursor::new(source, Relation::Tickets, |t: &Ticket| Some(t.id.as_str()));
    tickets.rows = source.by_ticket(Relation::Tickets, &Rows::All, decode::ticket);
    let mut events = Cursor::new(source, Relation::Events, |e: &Event| {
        Some(e.ticket_id.as_str())
    });
    if let Some(upto) = upto {
        let rows = Rows::EventIds { after: None, upto };
        events.rows = source.by_ticket(Relation::Events, &rows, decode::event);
    }
    let mut surveys = Cursor::new(source, Relation::Surveys, |s: &SurveyResponse| {
        s.ticket_id.as_deref()
    });
    surveys.rows = source.by_ticket(Relation::Surveys, &Rows::All, move |r| {
        decode::survey(r, ces)
    });
    let window = EventWindow {
        after: None,
        upto: upto.unwrap_or(0),
    };
    let mut rows = Vec::with_capacity(FLUSH);
    let mut answers = Vec::new();
    let mut walked = 0usize;
    let started = std::time::Instant::now();
    loop {
        tickets.peek(&mut run.rejects).await?;
        let Some(mut ticket) = tickets.head.take() else {
            break;
        };
        // A ticket id seen twice: the last row is used, as everywhere.
        while let Some(next) = tickets.peek(&mut run.rejects).await?
            && next.id == ticket.id
        {
            run.rejects.add(
                Relation::Tickets,
                "duplicate_ticket_id",
                &format!(
                    "ticket {} appears more than once; the last row is used",
                    ticket.id
                ),
            );
            if let Some(t) = tickets.head.take() {
                ticket = t;
            }
        }
        // Rows ordered before this ticket belong to no ticket in the source.
        let evs = events
            .until(Some(&ticket.id), &mut run.rejects, |e, r| {
                orphan_event(&e, r)
            })
            .await?;
        let mut unmatched = Vec::new();
        let svs = surveys
            .until(Some(&ticket.id), &mut run.rejects, |s, _| unmatched.push(s))
            .await?;
        for s in unmatched {
            unmatched_survey(run, s, &mut answers);
        }
        super::run_ticket(
            run,
            &ticket,
            evs,
            true,
            window,
            &svs,
            &mut rows,
            &mut answers,
        );
        walked += 1;
        if rows.len() >= FLUSH {
            flush(&out, &mut rows, &mut answers, keep_answers_from).await;
        }
        if walked.is_multiple_of(100_000) {
            tracing::info!(
                tickets = walked,
                events = events.read,
                seconds = started.elapsed().as_secs(),
                "backfill: tickets walked"
            );
        }
    }
    // What is left belongs to no ticket in the source.
    events
        .until(None, &mut run.rejects, |e, r| orphan_event(&e, r))
        .await?;
    let mut unmatched = Vec::new();
    surveys
        .until(None, &mut run.rejects, |s, _| unmatched.push(s))
        .await?;
    for s in unmatched {
        unmatched_survey(run, s, &mut answers);
    }
    flush(&out, &mut rows, &mut answers, keep_answers_from).await;
    run.outcome.tickets_walked = walked;
    run.outcome.new_events = events.read;
    run.read(Relation::Tickets, tickets.read);
    run.read(Relation::Events, events.read);
    run.read(Relation::Surveys, surveys.read);
    tracing::info!(
        tickets = walked,
        events = events.read,
        seconds = started.elapsed().as_secs(),
        "backfill: every ticket walked"
    );
    Ok(())
}

/// An answer met before any ticket it could belong to: a relationship
/// survey (no ticket), or one whose ticket the source does not have.
fn unmatched_survey(run: &mut Run<'_>, s: SurveyResponse, answers: &mut Vec<AnswerRow>) {
    match s.ticket_id.clone() {
        None => relationship_survey(run, &s, answers),
        Some(id) => orphan_survey(run, &s, &id, answers),
    }
}

/// Hands the buffered rows to the writer; answers old enough to be
/// forgotten at the commit are dropped here already.
async fn flush(
    out: &tokio::sync::mpsc::Sender<Batch>,
    rows: &mut Vec<TicketRow>,
    answers: &mut Vec<AnswerRow>,
    keep_from: Instant,
) {
    answers.retain(|a| a.responded_at >= keep_from);
    let batch = Batch {
        tickets: std::mem::replace(rows, Vec::with_capacity(FLUSH)),
        answers: std::mem::take(answers),
    };
    // Closed only when the writer failed: its error is the one reported.
    let _ = out.send(batch).await;
}
