//! A period's tickets as the state store keeps them: each ticket's row
//! and its walked timeline, for `report --from-state`.
//!
//! The tickets a period `[from, to)` needs are those created before `to`
//! that are open or had an event since `from` (a done ticket whose last
//! event is older adds nothing: not created, solved, reopened or open in
//! the period), and the tickets of the period's survey answers, which
//! need their team at the answer. They come in byte order of their ids,
//! the order the source's answers are merged in.

use futures_util::TryStreamExt;
use sqlx::QueryBuilder;

use super::timeline::{self, CodecError};
use super::{BATCH, StateError, StateStore, from_micros, micros};
use crate::db::on_pool;
use crate::engine::timeline::Timeline;
use crate::model::{Creator, Instant, Priority, Status, Ticket};

/// A ticket and its timeline as last walked by `collect`.
#[derive(Debug)]
pub struct StoredTicket {
    /// The ticket row's columns; `requester_id` is the requester's keyed
    /// hash (`state.requester_salt`), or the ticket's own id without one
    /// (no two tickets then share a requester).
    pub ticket: Ticket,
    /// Its timeline cut at the period's end ([`timeline::decode_until`]);
    /// `None` for a deleted or spam ticket, or one whose timeline was
    /// pruned (`pruned`).
    pub timeline: Option<Timeline>,
    /// Done before the store's horizon (`state.facts_retention`,
    /// `source.backfill_days`): its timeline is gone.
    pub pruned: bool,
}

/// What [`StateStore::last_collection`] reads.
#[derive(Debug, Clone)]
pub struct LastCollection {
    pub at: Option<Instant>,
    pub layout: String,
    pub timelines_from: Option<Instant>,
}

type Row = (
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<Vec<u8>>,
    Option<String>,
);

const COLUMNS: &str = "id, created_at, created_by, priority, channel, category, status, \
                       source_updated_at, timeline, requester_hash";

/// Created before `to`, and open or with an event since `from`. (The
/// instants are numbers written into the text: both statements use it,
/// one of them with a list of ids bound.)
fn needed(from: Instant, to: Instant) -> String {
    format!(
        "created_at < {} AND (is_open = 1 OR (last_event_at IS NOT NULL AND last_event_at >= {}))",
        micros(to),
        micros(from)
    )
}

impl StateStore {
    /// Hands `visit` every ticket the period `[from, to)` needs but those
    /// only its answers name ([`StateStore::answered_tickets`]), in byte
    /// order of their ids.
    pub async fn period_tickets(
        &self,
        from: Instant,
        to: Instant,
        mut visit: impl FnMut(StoredTicket) -> Result<(), StateError>,
    ) -> Result<(), StateError> {
        let order = self.pool.dialect().bytes("id");
        let sql = format!(
            "SELECT {COLUMNS} FROM ticket_state WHERE {} ORDER BY {order}",
            needed(from, to)
        );
        let mut last: Option<String> = None;
        let mut each = |row: Row| -> Result<(), StateError> {
            if last
                .as_deref()
                .is_some_and(|l| l.as_bytes() >= row.0.as_bytes())
            {
                return Err(self.fail(
                    "read a period's tickets",
                    format!(
                        "ticket id `{}` arrived after `{}` although the query sorts by id; \
                         the database does not sort as asked",
                        row.0,
                        last.as_deref().unwrap_or_default()
                    ),
                ));
            }
            last = Some(row.0.clone());
            visit(self.stored(row, to)?)
        };
        on_pool!(&self.pool, p => {
            let mut rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone())).fetch(p);
            while let Some(row) = rows.try_next().await.map_err(self.err("read a period's tickets"))? {
                each(row)?;
            }
        });
        Ok(())
    }

    /// The tickets of `ids` (the period's answers' tickets) that
    /// [`StateStore::period_tickets`] does not hand over, in byte order.
    pub async fn answered_tickets(
        &self,
        ids: &[&str],
        from: Instant,
        to: Instant,
    ) -> Result<Vec<StoredTicket>, StateError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let rows: Vec<Row> = on_pool!(&self.pool, p => {
                let mut qb = QueryBuilder::new(format!(
                    "SELECT {COLUMNS} FROM ticket_state WHERE NOT ({}) AND id IN (",
                    needed(from, to)
                ));
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(id.to_string());
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await
            })
            .map_err(self.err("read the answered tickets"))?;
            for row in rows {
                out.push(self.stored(row, to)?);
            }
        }
        out.sort_by(|a, b| a.ticket.id.as_bytes().cmp(b.ticket.id.as_bytes()));
        Ok(out)
    }

    /// When the last committed collection ran, the layout it counted
    /// under and the horizon before which done tickets keep no timeline;
    /// `None` before any collection.
    pub async fn last_collection(&self) -> Result<Option<LastCollection>, StateError> {
        let row: Option<(Option<i64>, String, Option<i64>)> = on_pool!(&self.pool, p =>
            sqlx::query_as(
                "SELECT tickets_since, bucket_layout, timelines_from FROM collect_watermark WHERE id = 1",
            )
            .fetch_optional(p)
            .await
        )
        .map_err(self.err("read the watermark"))?;
        Ok(row.map(|(at, layout, from)| LastCollection {
            at: at.and_then(from_micros),
            layout,
            timelines_from: from.and_then(from_micros),
        }))
    }

    /// The ticket of row `r`, its timeline cut at `to`.
    fn stored(&self, r: Row, to: Instant) -> Result<StoredTicket, StateError> {
        let bad =
            |what: String| self.fail("read a stored ticket", format!("ticket {}: {what}", r.0));
        let created_at =
            from_micros(r.1).ok_or_else(|| bad(format!("created_at {} out of range", r.1)))?;
        let status: Status = r.6.parse().map_err(|_| bad(format!("status `{}`", r.6)))?;
        let timeline = match &r.8 {
            Some(bytes) => Some(
                timeline::decode_until(bytes, created_at, to)
                    .map_err(|e: CodecError| bad(e.to_string()))?,
            ),
            None => None,
        };
        let pruned = timeline.is_none() && !status.is_ignored();
        Ok(StoredTicket {
            ticket: Ticket {
                created_at,
                channel: r.4,
                priority: r.3.parse().unwrap_or(Priority::None),
                category: r.5,
                requester_id: r.9.unwrap_or_else(|| format!("ticket:{}", r.0)),
                created_by: Creator::from_stored(&r.2),
                status,
                updated_at: r.7.and_then(from_micros),
                id: r.0,
            },
            timeline,
            pruned,
        })
    }

    fn fail(&self, action: &'static str, message: String) -> StateError {
        StateError::Query {
            url: self.shown_url.clone(),
            action,
            message,
        }
    }
}
