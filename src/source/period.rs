//! A period's tickets and events ([`Rows::Active`]), read in chunks of
//! ticket ids.
//!
//! Why not one statement: choosing the period's tickets and reading all
//! their events in one query makes the database build the whole answer —
//! join every event, then sort every row in byte order — before it sends
//! the first row: 12 s for one week of a 1M-ticket PostgreSQL helpdesk,
//! more than the minute of `statement_timeout` for twelve weeks, while the
//! walk waited. Here one statement lists the ids the period needs, in byte
//! order; then each chunk of `source.period_chunk` ids (1,000) is read by a short statement
//! (the ticket id's index), a chunk ahead of the walk: the database works
//! while the tickets are walked, and no statement grows with the period.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::decode;
use super::{Dialect, Relation, Rows, Source, SourceError, backends, id_in, ordered, text_type};
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
}

/// The statements of one relation's read, handed over as they are known.
pub(crate) type Parts = mpsc::Receiver<Result<Part, SourceError>>;

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

impl Source {
    /// The statements that read [`Rows::Active`] `{from, to}` of the
    /// tickets and of the events, in the order of their ticket ids: first
    /// the rows without a ticket id (to be rejected and counted), then a
    /// chunk of ids at a time. A task lists the ids and hands each chunk to
    /// both reads, as far ahead as their channels allow.
    pub(crate) fn period_parts(&self, from: Instant, to: Instant) -> (Parts, Parts) {
        let dialect = self.dialect();
        let (ticket_tx, tickets) = mpsc::channel(4);
        let (event_tx, events) = mpsc::channel(4);
        let ticket_base = self.select(Relation::Tickets);
        let event_base = self.select(Relation::Events);
        let active = super::active_tickets(dialect, from, to);
        let within = super::within(dialect, "occurred_at", from, to);
        let statement = |r: Relation, select: String| Part::Sql {
            sql: ordered(dialect, r, &[select]),
            only: None,
        };
        // Fresh channels have room for these.
        let _ = ticket_tx.try_send(Ok(statement(
            Relation::Tickets,
            format!("{ticket_base} WHERE id IS NULL AND {active}"),
        )));
        let _ = event_tx.try_send(Ok(statement(
            Relation::Events,
            format!("{event_base} WHERE ticket_id IS NULL AND {within}"),
        )));
        let kept = self.period_events(from, to);
        let chunk_sql = move |ids: &[String], known: &[bool]| {
            let (tickets, others): (Vec<_>, Vec<_>) =
                ids.iter().zip(known).partition(|(_, known)| **known);
            let tickets: Vec<String> = tickets.into_iter().map(|(id, _)| id.clone()).collect();
            let others: Vec<String> = others.into_iter().map(|(id, _)| id.clone()).collect();
            let mut events = Vec::new();
            if !tickets.is_empty() {
                events.push(format!(
                    "{event_base} WHERE {}",
                    id_in(dialect, "ticket_id", &tickets)
                ));
            }
            if !others.is_empty() {
                events.push(format!(
                    "{event_base} WHERE {} AND {kept}",
                    id_in(dialect, "ticket_id", &others)
                ));
            }
            [
                ordered(
                    dialect,
                    Relation::Tickets,
                    &[format!("{ticket_base} WHERE {}", id_in(dialect, "id", ids))],
                ),
                ordered(dialect, Relation::Events, &events),
            ]
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
        tokio::spawn(async move {
            use futures_util::StreamExt;
            let mut ids = backends::map_rows(&pool, list, |row| {
                let id = row.text("id").map(|v| v.map(str::to_string));
                // A ticket the source has (it passed the tickets' own test):
                // all its events are read without asking again.
                let known = matches!(row.int("is_ticket"), Ok(Some(1)));
                id.map(|id| id.map(|id| (id, known)))
            });
            let mut outs = [Some(ticket_tx), Some(event_tx)];
            let mut chunk = Vec::with_capacity(size);
            let mut known = Vec::with_capacity(size);
            loop {
                let next = ids.next().await;
                let end = next.is_none();
                match next {
                    None | Some(Ok(Ok(None))) => {}
                    Some(Ok(Ok(Some((id, is_ticket))))) => {
                        chunk.push(id);
                        known.push(is_ticket);
                    }
                    Some(Ok(Err(e))) => {
                        if let Some(tx) = &outs[0] {
                            let rejected = Part::Rejected(decode::unreadable_ticket_id(&e));
                            let _ = tx.send(Ok(rejected)).await;
                        }
                    }
                    Some(Err(e)) => {
                        for tx in outs.iter().flatten() {
                            let error =
                                super::relation_error(Relation::Tickets, list_from.clone(), &e);
                            let _ = tx.send(Err(error)).await;
                        }
                        return;
                    }
                }
                if !chunk.is_empty() && (end || chunk.len() == size) {
                    let only: Arc<[String]> = std::mem::take(&mut chunk).into();
                    let sqls = chunk_sql(&only, &std::mem::take(&mut known));
                    for (out, sql) in outs.iter_mut().zip(sqls) {
                        let part = Part::Sql {
                            sql,
                            only: Some(only.clone()),
                        };
                        // A read whose consumer is gone is handed nothing more.
                        if let Some(tx) = out
                            && tx.send(Ok(part)).await.is_err()
                        {
                            *out = None;
                        }
                    }
                }
                if end || outs.iter().all(Option::is_none) {
                    return;
                }
            }
        });
        (tickets, events)
    }

    /// Which events of a period's tickets are read: all those of a ticket
    /// the source has; of one it does not have, those in `[from, to)`, to
    /// be rejected and counted in that period. (Unqualified, `ticket_id`
    /// is the event's: the tickets relation has none.)
    pub(super) fn period_events(&self, from: Instant, to: Instant) -> String {
        format!(
            "(EXISTS (SELECT 1 FROM {} WHERE id = ticket_id) OR {})",
            self.read_from(Relation::Tickets),
            super::within(self.dialect(), "occurred_at", from, to)
        )
    }

    /// The ids of the tickets a period needs — created before `to` and
    /// changed since `from` or not done (deleted and spam left out), or
    /// with an answer since `from` or an event in `[from, to)` — once
    /// each, in byte order, with `is_ticket` 1 for those of the first kind
    /// (rows of the tickets relation). Grouped by their bytes, not by the
    /// collation, which may take `K` and `k` for one id.
    pub(super) fn period_ids(&self, from: Instant, to: Instant) -> String {
        let dialect = self.dialect();
        let bytes = match dialect {
            Dialect::Postgres => "period_id COLLATE \"C\"",
            Dialect::MySql => "CAST(period_id AS BINARY)",
            Dialect::Sqlite => "period_id COLLATE BINARY",
        };
        format!(
            "SELECT MIN(period_id) AS id, MAX(is_ticket) AS is_ticket FROM (\
             SELECT CAST(id AS {text}) AS period_id, 1 AS is_ticket FROM {tickets} WHERE {active} \
             UNION ALL {recent}) AS period_ids \
             WHERE period_id IS NOT NULL GROUP BY {bytes} ORDER BY {bytes}",
            text = text_type(dialect),
            tickets = self.read_from(Relation::Tickets),
            active = super::active_tickets(dialect, from, to),
            recent = super::recent_tickets(self, from, to, ", 0"),
        )
    }
}

/// For [`Source::by_ticket`]: the part of a period's read that is
/// `r`'s (the other relation's is dropped).
pub(super) fn parts_of(source: &Source, r: Relation, rows: &Rows<'_>) -> Option<Parts> {
    match (r, rows) {
        (Relation::Tickets, Rows::Active { from, to }) => Some(source.period_parts(*from, *to).0),
        (Relation::Events, Rows::Active { from, to }) => Some(source.period_parts(*from, *to).1),
        _ => None,
    }
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
