//! A period's tickets and events ([`Rows::Active`]), read in chunks of
//! ticket ids.
//!
//! Why not one statement: choosing the period's tickets and reading all
//! their events in one query makes the database build the whole answer —
//! join every event, then sort every row in byte order — before it sends
//! the first row: 12 s for one week of a 1M-ticket PostgreSQL helpdesk,
//! more than the minute of `statement_timeout` for twelve weeks, while the
//! walk waited. Here one statement lists the ids the period needs, in byte
//! order; then each chunk of `source.period_chunk` ids (1,000) is read by a
//! short statement (the ticket id's index), a chunk ahead of the walk: the
//! database works while the tickets are walked, and no statement grows with
//! the period.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::decode;
use super::{Relation, Source, SourceError, backends, id_in, key_column, ordered, text_type};
use crate::model::Instant;

/// One statement of a read, in order.
pub(crate) enum Part {
    /// `only`: the ticket ids asked for, in byte order — the rows of other
    /// ids are dropped (see [`asked`]).
    Sql {
        sql: String,
        only: Option<Arc<[String]>>,
    },
    /// An id the list of the period's tickets could not read: one rejected
    /// ticket row, counted where the tickets are.
    Rejected(decode::Rejection),
    /// The last part: a channel that closes without it was cut short (its
    /// sender failed), which the reader reports rather than taking for the
    /// end of the rows.
    End,
}

/// The statements of one relation's read, handed over as they are known.
pub(crate) type Parts = mpsc::Receiver<Result<Part, SourceError>>;

/// The reads of a period: its tickets and their events by chunks of ids,
/// and the period's events of tickets the source does not have.
pub(crate) struct PeriodParts {
    pub tickets: Parts,
    pub events: Parts,
    pub orphans: Parts,
}

/// Whether a row of ticket `key` belongs to a statement that asked for the
/// ids `only` (all rows do when it named none). Byte-equal, not the
/// database's equality: under a case- or pad-insensitive collation
/// `ticket_id IN ('K')` also returns the rows of `k` and `K `, which their
/// own chunk reads.
pub(crate) fn asked(only: Option<&[String]>, key: Option<&str>) -> bool {
    match (only, key) {
        (None, _) => true,
        (Some(ids), Some(k)) => ids.binary_search_by(|id| id.as_str().cmp(k)).is_ok(),
        (Some(_), None) => false,
    }
}

/// A channel holding `parts`, then [`Part::End`].
pub(crate) fn ready(parts: Vec<Part>) -> Parts {
    let (tx, rx) = mpsc::channel(parts.len() + 1);
    for part in parts.into_iter().chain([Part::End]) {
        // The channel has room for every part.
        let _ = tx.try_send(Ok(part));
    }
    rx
}

impl Source {
    /// The statements that read [`Rows::Active`] `{from, to}`: the tickets
    /// (first those without an id, to be rejected and counted) and their
    /// events, a chunk of ids at a time, in the order of their ticket ids;
    /// and, apart, the period's events of tickets the source does not have
    /// (rejected and counted; they need no order). A task reads the list of
    /// ids whole — then its statement is over and its connection free —
    /// and each relation is handed its chunks by a task of its own, so
    /// that neither read waits for the other's consumer.
    pub(crate) fn period_parts(&self, from: Instant, to: Instant) -> PeriodParts {
        let dialect = self.dialect();
        let ticket_base = self.select(Relation::Tickets);
        let event_base = self.select(Relation::Events);
        let active = super::active_tickets(dialect, from, to);
        let orphans = ready(vec![Part::Sql {
            sql: ordered(
                dialect,
                Relation::Events,
                &[format!(
                    "{event_base} WHERE {}",
                    self.orphan_events(from, to)
                )],
            ),
            only: None,
        }]);
        let (ticket_tx, tickets) = mpsc::channel(4);
        let (event_tx, events) = mpsc::channel(4);
        let null_ids = Part::Sql {
            sql: ordered(
                dialect,
                Relation::Tickets,
                &[format!("{ticket_base} WHERE id IS NULL AND {active}")],
            ),
            only: None,
        };
        let list = self.period_ids(from, to);
        let list_from = format!(
            "{}, choosing by {} and {}",
            self.describe(Relation::Tickets),
            self.describe(Relation::Events),
            self.describe(Relation::Surveys)
        );
        let pool = self.pool.clone();
        let size = self.settings.period_chunk.max(1);
        // The rows of relation `r` (read by `base`) of the tickets `ids`.
        let of_ids = move |r: Relation, base: &str, ids: &[String]| {
            let only = format!("{base} WHERE {}", id_in(dialect, key_column(r), ids));
            ordered(dialect, r, &[only])
        };
        let ticket_sql = move |ids: &[String]| of_ids(Relation::Tickets, &ticket_base, ids);
        let event_sql = move |ids: &[String]| of_ids(Relation::Events, &event_base, ids);
        let lister = async move {
            use futures_util::StreamExt;
            let _ = ticket_tx.send(Ok(null_ids)).await;
            let mut chunks: Vec<Arc<[String]>> = Vec::new();
            let mut chunk: Vec<String> = Vec::with_capacity(size);
            let mut rows = backends::map_rows(&pool, list, |row| {
                row.text("id").map(|v| v.map(str::to_string))
            });
            while let Some(row) = rows.next().await {
                match row {
                    Ok(Ok(Some(id))) => {
                        chunk.push(id);
                        if chunk.len() == size {
                            chunks.push(
                                std::mem::replace(&mut chunk, Vec::with_capacity(size)).into(),
                            );
                        }
                    }
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => {
                        let rejected = Part::Rejected(decode::unreadable_ticket_id(&e));
                        let _ = ticket_tx.send(Ok(rejected)).await;
                    }
                    Err(e) => {
                        for tx in [&ticket_tx, &event_tx] {
                            let error =
                                super::relation_error(Relation::Tickets, list_from.clone(), &e);
                            let _ = tx.send(Err(error)).await;
                        }
                        return;
                    }
                }
            }
            drop(rows);
            if !chunk.is_empty() {
                chunks.push(chunk.into());
            }
            let chunks: Arc<[Arc<[String]>]> = chunks.into();
            tokio::spawn(feed(ticket_tx, Arc::clone(&chunks), ticket_sql));
            tokio::spawn(feed(event_tx, chunks, event_sql));
        };
        // A lister that panics ends both reads with an error (the channels'
        // closing without `End` says so).
        tokio::spawn(lister);
        PeriodParts {
            tickets,
            events,
            orphans,
        }
    }

    /// The period's events whose ticket the source does not have (or that
    /// name none): read only to be rejected and counted. NOT EXISTS, not
    /// NOT IN: PostgreSQL turns it into an anti-join, where a NOT IN over a
    /// million ids that do not fit work_mem is re-scanned per event.
    /// (Unqualified, `ticket_id` is the event's: the tickets relation has
    /// no such column.)
    pub(super) fn orphan_events(&self, from: Instant, to: Instant) -> String {
        format!(
            "{} AND NOT EXISTS (SELECT 1 FROM {} WHERE id = ticket_id)",
            super::within(self.dialect(), "occurred_at", from, to),
            self.read_from(Relation::Tickets)
        )
    }

    /// The ids of the tickets a period needs — created before `to` and
    /// changed since `from` or not done (deleted and spam left out), or
    /// with an answer since `from` or an event in `[from, to)` — once
    /// each, in byte order: ids of the tickets relation only (an answer's
    /// `ticket_id` may be anything, such as an empty string, that the
    /// tickets' id column cannot even be compared with). Grouped by their
    /// bytes, not by the collation, which may take `K` and `k` for one id.
    pub(super) fn period_ids(&self, from: Instant, to: Instant) -> String {
        let dialect = self.dialect();
        let text = text_type(dialect);
        let bytes = dialect.bytes("period_id");
        let tickets = self.read_from(Relation::Tickets);
        format!(
            "SELECT MIN(period_id) AS id FROM (\
             SELECT CAST(id AS {text}) AS period_id FROM {tickets} WHERE {active} \
             UNION ALL SELECT CAST(id AS {text}) FROM {tickets} \
             WHERE CAST(id AS {text}) IN ({recent})) AS period_ids \
             WHERE period_id IS NOT NULL GROUP BY {bytes} ORDER BY {bytes}",
            active = super::active_tickets(dialect, from, to),
            recent = super::recent_tickets(self, from, to),
        )
    }
}

/// Hands `tx` one statement per chunk, then [`Part::End`].
async fn feed(
    tx: mpsc::Sender<Result<Part, SourceError>>,
    chunks: Arc<[Arc<[String]>]>,
    sql: impl Fn(&[String]) -> String,
) {
    for only in chunks.iter() {
        let part = Part::Sql {
            sql: sql(only),
            only: Some(Arc::clone(only)),
        };
        // A read whose consumer is gone is handed nothing more.
        if tx.send(Ok(part)).await.is_err() {
            return;
        }
    }
    let _ = tx.send(Ok(Part::End)).await;
}

#[cfg(test)]
mod tests {
    use super::asked;

    #[test]
    fn a_chunk_keeps_only_the_ids_it_asked_for_byte_for_byte() {
        let ids: Vec<String> = ["K", "Q", "k"].iter().map(|s| s.to_string()).collect();
        assert!(asked(Some(&ids), Some("K")));
        assert!(asked(Some(&ids), Some("k")));
        assert!(!asked(Some(&ids), Some("k ")));
        assert!(!asked(Some(&ids), Some("q")));
        assert!(!asked(Some(&ids), None));
        assert!(asked(None, Some("anything")));
        assert!(asked(None, None));
    }
}
