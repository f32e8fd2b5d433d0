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

use super::timeline::{self, CodecError};
use super::{BATCH, StateError, StateStore, from_micros, micros};
use crate::db::{Dialect, Pool, on_pool, sqlite_handle};
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

/// A row of [`COLUMNS`] but its timeline; the columns parsed into
/// values (`S`) owned from sqlx, borrowed from the row in SQLite.
struct Columns<S> {
    id: String,
    created_at: i64,
    created_by: S,
    priority: S,
    channel: String,
    category: Option<String>,
    status: S,
    source_updated_at: Option<i64>,
    requester_hash: Option<String>,
}

impl Columns<String> {
    fn of_sqlx(r: Row) -> (Columns<String>, Option<Vec<u8>>) {
        let columns = Columns {
            id: r.0,
            created_at: r.1,
            created_by: r.2,
            priority: r.3,
            channel: r.4,
            category: r.5,
            status: r.6,
            source_updated_at: r.7,
            requester_hash: r.9,
        };
        (columns, r.8)
    }
}

impl<'r> Columns<&'r str> {
    /// The columns of `r` and its timeline, borrowed from the row.
    fn of_sqlite(
        r: &'r rusqlite::Row<'_>,
    ) -> Result<(Columns<&'r str>, Option<&'r [u8]>), rusqlite::Error> {
        let text = |i: usize| -> Result<&'r str, rusqlite::Error> {
            r.get_ref(i)?.as_str().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    i,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })
        };
        let columns = Columns {
            id: r.get(0)?,
            created_at: r.get(1)?,
            created_by: text(2)?,
            priority: text(3)?,
            channel: r.get(4)?,
            category: r.get(5)?,
            status: text(6)?,
            source_updated_at: r.get(7)?,
            requester_hash: r.get(9)?,
        };
        Ok((columns, r.get_ref(8)?.as_blob_or_null()?))
    }
}

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

/// The needed tickets in byte order of their ids. (The period index
/// `ticket_state_period` holds the filter's columns in that order.)
fn needed_in_order(dialect: Dialect, from: Instant, to: Instant) -> String {
    format!(
        "SELECT {COLUMNS} FROM ticket_state WHERE {} ORDER BY {}",
        needed(from, to),
        dialect.bytes("id")
    )
}

const ACTION: &str = "read a period's tickets";

impl StateStore {
    /// Hands `visit` every ticket the period `[from, to)` needs and those
    /// of `answered` (the tickets of the period's answers, sorted), in
    /// byte order of their ids, from one read transaction: a collection
    /// committing meanwhile cannot hand a ticket twice or not at all.
    pub async fn period_tickets(
        &self,
        from: Instant,
        to: Instant,
        answered: &[&str],
        visit: impl FnMut(StoredTicket) -> Result<(), StateError>,
    ) -> Result<(), StateError> {
        let dialect = self.pool.dialect();
        let main = needed_in_order(dialect, from, to);
        let needed = needed(from, to);
        // Those not needed but answered: the answers need their team.
        let answered_sql = |n: usize| {
            format!(
                "SELECT {COLUMNS} FROM ticket_state WHERE NOT ({needed}) AND id IN ({})",
                dialect.placeholders(n)
            )
        };
        let mut merge = InOrder {
            store: self,
            to,
            answered: Vec::new().into_iter().peekable(),
            last: None,
            visit,
        };
        // Both reads see one snapshot.
        match &self.pool {
            Pool::Sqlite(p) => {
                let read = |conn: &rusqlite::Connection| {
                    merge.sqlite_read(conn, answered, &answered_sql, &main)
                };
                sqlite_handle::with_connection(p, read)
                    .await
                    .map_err(|e| self.fail(ACTION, e.to_string()))??;
            }
            Pool::Postgres(p) => {
                let tx = p
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
                    .map_err(self.err(ACTION))?;
                merge.sqlx_read(tx, answered, &answered_sql, &main).await?;
            }
            Pool::MySql(p) => {
                // A consistent snapshot is taken under REPEATABLE READ only
                // (a server set to READ COMMITTED ignores it): asked for.
                let mut conn = p.acquire().await.map_err(self.err(ACTION))?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    .execute(&mut *conn)
                    .await
                    .map_err(self.err(ACTION))?;
                let tx = sqlx::Connection::begin_with(
                    &mut *conn,
                    "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
                )
                .await
                .map_err(self.err(ACTION))?;
                merge.sqlx_read(tx, answered, &answered_sql, &main).await?;
            }
        }
        merge.finish()
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

    /// The ticket of columns `c`, its timeline cut at `to`.
    fn stored<S: AsRef<str>>(
        &self,
        c: Columns<S>,
        timeline: Option<&[u8]>,
        to: Instant,
    ) -> Result<StoredTicket, StateError> {
        let bad =
            |what: String| self.fail("read a stored ticket", format!("ticket {}: {what}", c.id));
        let created_at = from_micros(c.created_at)
            .ok_or_else(|| bad(format!("created_at {} out of range", c.created_at)))?;
        let status: Status = c
            .status
            .as_ref()
            .parse()
            .map_err(|_| bad(format!("status `{}`", c.status.as_ref())))?;
        let timeline = match timeline {
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
                channel: c.channel,
                priority: c.priority.as_ref().parse().unwrap_or(Priority::None),
                category: c.category,
                requester_id: c
                    .requester_hash
                    .unwrap_or_else(|| format!("ticket:{}", c.id)),
                created_by: Creator::from_stored(c.created_by.as_ref()),
                status,
                updated_at: c.source_updated_at.and_then(from_micros),
                id: c.id,
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

/// The needed tickets (streamed, checked in byte order) and the answered
/// ones (read first, sorted), handed to `visit` as one sequence.
struct InOrder<'s, F> {
    store: &'s StateStore,
    to: Instant,
    answered: std::iter::Peekable<std::vec::IntoIter<StoredTicket>>,
    last: Option<String>,
    visit: F,
}

impl<F: FnMut(StoredTicket) -> Result<(), StateError>> InOrder<'_, F> {
    fn set_answered(&mut self, mut answered: Vec<StoredTicket>) {
        answered.sort_by(|a, b| a.ticket.id.as_bytes().cmp(b.ticket.id.as_bytes()));
        self.answered = answered.into_iter().peekable();
    }

    /// A needed ticket's row, after the answered ones ordered before it.
    fn needed<S: AsRef<str>>(
        &mut self,
        c: Columns<S>,
        timeline: Option<&[u8]>,
    ) -> Result<(), StateError> {
        if let Some(last) = self.last.as_deref()
            && last.as_bytes() >= c.id.as_bytes()
        {
            return Err(self.store.fail(
                ACTION,
                format!(
                    "ticket id `{}` arrived after `{last}` although the query sorts by id; \
                     the database does not sort as asked",
                    c.id
                ),
            ));
        }
        self.last = Some(c.id.clone());
        let ticket = self.store.stored(c, timeline, self.to)?;
        let id = ticket.ticket.id.as_bytes();
        self.answered_before(Some(id))?;
        // In one snapshot a ticket is needed or answered, not both; should
        // a database not keep the snapshot, it is still visited once.
        self.answered.next_if(|t| t.ticket.id.as_bytes() == id);
        (self.visit)(ticket)
    }

    /// The answered tickets ordered before `id` (all that are left when
    /// `None`).
    fn answered_before(&mut self, id: Option<&[u8]>) -> Result<(), StateError> {
        while let Some(t) = self
            .answered
            .next_if(|t| id.is_none_or(|id| t.ticket.id.as_bytes() < id))
        {
            (self.visit)(t)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), StateError> {
        self.answered_before(None)
    }

    /// Both reads on the SQLite connection `conn`, in one transaction.
    fn sqlite_read(
        &mut self,
        conn: &rusqlite::Connection,
        answered: &[&str],
        answered_sql: &dyn Fn(usize) -> String,
        main: &str,
    ) -> Result<(), StateError> {
        let store = self.store;
        let lite = |e: rusqlite::Error| store.fail(ACTION, e.to_string());
        let tx = conn.unchecked_transaction().map_err(lite)?;
        let mut extra = Vec::new();
        // Every chunk but the last has BATCH ids: one statement for them
        // (parsing one per chunk was a twentieth of a 12-week read).
        let mut full = None;
        for chunk in answered.chunks(BATCH) {
            let mut last = None;
            let stmt = match chunk.len() {
                BATCH => &mut full,
                _ => &mut last,
            };
            let stmt = match stmt {
                Some(s) => s,
                None => stmt.insert(conn.prepare(&answered_sql(chunk.len())).map_err(lite)?),
            };
            let mut rows = stmt
                .query(rusqlite::params_from_iter(chunk))
                .map_err(lite)?;
            while let Some(r) = rows.next().map_err(lite)? {
                let (c, timeline) = Columns::of_sqlite(r).map_err(lite)?;
                extra.push(store.stored(c, timeline, self.to)?);
            }
        }
        self.set_answered(extra);
        let mut stmt = conn.prepare(main).map_err(lite)?;
        let mut rows = stmt.query([]).map_err(lite)?;
        while let Some(r) = rows.next().map_err(lite)? {
            let (c, timeline) = Columns::of_sqlite(r).map_err(lite)?;
            self.needed(c, timeline)?;
        }
        drop(rows);
        drop(stmt);
        tx.commit().map_err(lite)
    }

    /// Both reads through sqlx, in the transaction `tx` (PostgreSQL,
    /// MySQL).
    async fn sqlx_read<DB>(
        &mut self,
        mut tx: sqlx::Transaction<'_, DB>,
        answered: &[&str],
        answered_sql: &(dyn Fn(usize) -> String + Sync),
        main: &str,
    ) -> Result<(), StateError>
    where
        DB: sqlx::Database,
        for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
        for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
        Row: for<'r> sqlx::FromRow<'r, DB::Row>,
        for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        let store = self.store;
        let mut extra = Vec::new();
        for chunk in answered.chunks(BATCH) {
            let mut q = sqlx::query_as::<DB, Row>(sqlx::AssertSqlSafe(answered_sql(chunk.len())));
            for id in chunk {
                q = q.bind(id.to_string());
            }
            let rows = q.fetch_all(&mut *tx).await.map_err(store.err(ACTION))?;
            for row in rows {
                let (c, timeline) = Columns::of_sqlx(row);
                extra.push(store.stored(c, timeline.as_deref(), self.to)?);
            }
        }
        self.set_answered(extra);
        let mut rows =
            sqlx::query_as::<DB, Row>(sqlx::AssertSqlSafe(main.to_string())).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await.map_err(store.err(ACTION))? {
            let (c, timeline) = Columns::of_sqlx(row);
            self.needed(c, timeline.as_deref())?;
        }
        drop(rows);
        tx.commit().await.map_err(store.err(ACTION))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StateSettings;

    /// A week's read skips the rows it does not need through the period
    /// index instead of reading every row: SQLite's plan must name it.
    #[tokio::test]
    async fn sqlite_reads_a_period_through_its_index() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("state.sqlite").display());
        let store = StateStore::open(&StateSettings::with_url(&url))
            .await
            .expect("open");
        let at = |s: &str| s.parse::<Instant>().expect("instant");
        let sql = needed_in_order(
            Dialect::Sqlite,
            at("2026-11-23T00:00:00Z"),
            at("2026-11-30T00:00:00Z"),
        );
        let Pool::Sqlite(p) = &store.pool else {
            panic!("an SQLite store")
        };
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(p)
                .await
                .expect("plan");
        let steps: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
        assert!(
            steps
                .iter()
                .any(|s| s.contains("USING INDEX ticket_state_period")),
            "plan {steps:?}"
        );
        // No sort step: the index gives the order.
        assert!(
            !steps.iter().any(|s| s.contains("TEMP B-TREE")),
            "plan {steps:?}"
        );
    }
}
