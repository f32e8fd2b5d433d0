//! The first collection: every ticket walked once, in bounded memory.
//!
//! Tickets, their events and their survey answers are merged by ticket id
//! ([`crate::source::merge`]): memory holds one ticket's history at a time
//! whatever the size of the helpdesk. The ticket rows go to the
//! state store in batches inside the collection's transaction, which only
//! the final watermark commits.

use super::{CollectError, EventWindow, Run, orphan_survey, relationship_survey};
use crate::model::{Relation, SurveyResponse};
use crate::source::merge::{ByTicket, Reads};
use crate::source::{Rows, Source};
use crate::state::{AnswerHorizon, AnswerRow, Pending, TicketRow, Writer, pending};

/// Ticket rows (and answers) handed to the state store at a time.
const FLUSH: usize = 5_000;

/// Walks every ticket with its events up to `upto` and its survey answers,
/// writing ticket rows and the answers to remember (those `keep` keeps)
/// through `writer`.
///
/// The walk hands full batches to the writer and goes on while the state
/// store stores them (SQLite works on a thread of its own).
pub(super) async fn walk_all(
    source: &Source,
    run: &mut Run<'_>,
    upto: Option<i64>,
    writer: &mut Writer<'_>,
    keep: AnswerHorizon,
) -> Result<Vec<i64>, CollectError> {
    let (batches, mut to_write) = tokio::sync::mpsc::channel::<Batch>(2);
    let write = async {
        while let Some(b) = to_write.recv().await {
            writer.tickets(&b.tickets).await?;
            writer.answers(&b.answers).await?;
        }
        Ok::<(), CollectError>(())
    };
    let walk = walk_in_order(source, run, upto, batches, keep);
    let (top, ()) = futures_util::future::try_join(walk, write).await?;
    Ok(top)
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
    keep: AnswerHorizon,
) -> Result<Vec<i64>, CollectError> {
    let mut merged = ByTicket::open(
        source,
        &Reads {
            tickets: Rows::All,
            events: upto.map(|upto| Rows::EventIds { after: None, upto }),
            surveys: Rows::All,
        },
    );
    // The holes among the highest ids read are inserts whose transactions
    // were still open: the next runs await them.
    merged.track_event_ids(pending::MAX_RANGES + 1);
    // Every event the read returned counts: those it did not return were
    // never walked (they are awaited by the next runs).
    let none = Pending::default();
    let window = EventWindow::Whole {
        upto: upto.unwrap_or(0),
        awaited: &none,
    };
    let mut rows = Vec::with_capacity(FLUSH);
    let mut answers = Vec::new();
    let mut unmatched = Vec::new();
    let mut walked = 0usize;
    let started = std::time::Instant::now();
    while let Some(m) = merged.next(&mut run.rejects, &mut unmatched).await? {
        for s in unmatched.drain(..) {
            unmatched_survey(run, s, &mut answers);
        }
        super::run_ticket(
            run,
            &m.ticket,
            m.events,
            true,
            window,
            &m.surveys,
            &mut rows,
            &mut answers,
        );
        walked += 1;
        if rows.len() >= FLUSH {
            flush(&out, &mut rows, &mut answers, keep).await;
        }
        if walked.is_multiple_of(100_000) {
            tracing::info!(
                tickets = walked,
                events = merged.read().events,
                seconds = started.elapsed().as_secs(),
                "backfill: tickets walked"
            );
        }
    }
    let read = merged.finish(&mut run.rejects, &mut unmatched).await?;
    let merged_ids = merged.top_event_ids();
    for s in unmatched {
        unmatched_survey(run, s, &mut answers);
    }
    flush(&out, &mut rows, &mut answers, keep).await;
    run.outcome.tickets_walked = walked;
    run.outcome.new_events = read.events;
    run.read(Relation::Tickets, read.tickets);
    run.read(Relation::Events, read.events);
    run.read(Relation::Surveys, read.surveys);
    tracing::info!(
        tickets = walked,
        events = read.events,
        seconds = started.elapsed().as_secs(),
        "backfill: every ticket walked"
    );
    Ok(merged_ids)
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
    keep: AnswerHorizon,
) {
    answers.retain(|a| keep.keeps(a));
    let batch = Batch {
        tickets: std::mem::replace(rows, Vec::with_capacity(FLUSH)),
        answers: std::mem::take(answers),
    };
    // Closed only when the writer failed: its error is the one reported.
    let _ = out.send(batch).await;
}
