//! Reading the helpdesk's four relations (DESIGN.md §2) through sqlx.
//!
//! Owns connections, the SQL of each relation and the per-backend decoding
//! of columns; hands typed records (`model`) to its caller and counts the
//! rows it rejects. It knows nothing of metrics. The source is read-only for
//! us: reading connections are opened read-only; only `migrate source`
//! writes, to create the canonical tables for a helpdesk that has none.

mod backends;
pub mod decode;
pub mod first_ids;
pub mod merge;
mod period;

use std::collections::HashMap;

use crate::config::{RelationSource, SourceSettings};
use crate::db::{self, DbError, Role, redact_url};
pub use crate::db::{Access, Dialect, Pool};
use crate::model::{Agent, EngagementResponse, Event, Instant, Relation, SurveyResponse, Ticket};
use crate::rejects::Rejects;
use backends::{for_each_row, map_rows};
use decode::RowAccess;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("source URL {url} is invalid")]
    BadUrl {
        url: String,
        #[source]
        source: crate::db::BadUrl,
    },
    #[error(
        "source database file {path} does not exist (run `support-metrics demo` to create one, or set source.url)"
    )]
    MissingFile { path: String },
    #[error("cannot connect to source database {url}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot read {relation} (from {from}): {message}")]
    Relation {
        relation: Relation,
        from: String,
        message: String,
    },
    #[error("cannot create the canonical tables in {url}: {message}")]
    Migrate { url: String, message: String },
}

impl From<DbError> for SourceError {
    fn from(e: DbError) -> SourceError {
        match e {
            DbError::BadUrl { url, source } => SourceError::BadUrl { url, source },
            DbError::MissingFile { path } => SourceError::MissingFile { path },
            DbError::Connect { url, source } => SourceError::Connect { url, source },
        }
    }
}

fn text_type(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite | Dialect::Postgres => "TEXT",
        Dialect::MySql => "CHAR",
    }
}

/// An open connection pool to the helpdesk's database.
pub struct Source {
    pool: Pool,
    settings: SourceSettings,
    /// The reading job's clock (unix microseconds; `i64::MIN` until a job
    /// sets it: no bound on timestamps).
    horizon: std::sync::atomic::AtomicI64,
    /// Whether the surveys relation has the optional `question` column.
    survey_question: Optional,
    /// Whether the staff relation can be read, when it is optional (the
    /// default table, or a preset's).
    agents_table: Optional,
}

/// What the last probe of an optional part of the source found, and when
/// (the job clock, unix microseconds). Asked again at every job while
/// present or unknown (a column dropped is noticed), at most every
/// [`RECHECK_ABSENT`] while absent (one failing statement in the
/// database's log, not one a minute).
#[derive(Debug, Default)]
struct Optional {
    state: std::sync::atomic::AtomicU8,
    checked_at: std::sync::atomic::AtomicI64,
}

// The state: 0 (the default) until a probe could tell, then:
const PRESENT: u8 = 1;
const ABSENT: u8 = 2;
/// Ten minutes, in microseconds.
const RECHECK_ABSENT: i64 = 10 * 60 * 1_000_000;

impl Optional {
    fn get(&self) -> u8 {
        self.state.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a probe is due at `now` (microseconds).
    fn due(&self, now: i64) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.get() != ABSENT || now.saturating_sub(self.checked_at.load(Relaxed)) >= RECHECK_ABSENT
    }

    /// Records what a probe at `now` found; `true` when it changed.
    fn set(&self, found: u8, now: i64) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.checked_at.store(now, Relaxed);
        self.state.swap(found, Relaxed) != found
    }
}

/// The database answered that the relation does not exist (not that it
/// could not be reached, or read).
fn missing_relation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            // PostgreSQL undefined_table, MySQL ER_NO_SUCH_TABLE, SQLite.
            matches!(d.code().as_deref(), Some("42P01" | "42S02"))
                || d.message().contains("no such table")
        }
        _ => false,
    }
}

/// The database answered that column `column` does not exist.
fn missing_column(e: &sqlx::Error, column: &str) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            // PostgreSQL undefined_column, MySQL ER_BAD_FIELD_ERROR, SQLite.
            (matches!(d.code().as_deref(), Some("42703" | "42S22"))
                || d.message().contains("no such column"))
                && d.message().contains(column)
        }
        _ => false,
    }
}

const TICKET_COLUMNS: &[(&str, Col)] = &[
    ("id", Col::Text),
    ("created_at", Col::Time),
    ("channel", Col::Text),
    ("priority", Col::Text),
    ("category", Col::Text),
    ("requester_id", Col::Text),
    ("created_by", Col::Text),
    ("status", Col::Text),
    ("updated_at", Col::Time),
];
const EVENT_COLUMNS: &[(&str, Col)] = &[
    ("id", Col::Raw),
    ("ticket_id", Col::Text),
    ("occurred_at", Col::Time),
    ("kind", Col::Text),
    ("actor", Col::Text),
    ("actor_id", Col::Text),
    ("team", Col::Text),
    ("agent_id", Col::Text),
    ("status", Col::Text),
];
const SURVEY_COLUMNS: &[(&str, Col)] = &[
    ("id", Col::Text),
    ("ticket_id", Col::Text),
    ("responded_at", Col::Time),
    ("kind", Col::Text),
    ("score", Col::Raw),
    ("comment", Col::Text),
    // Optional (DESIGN.md §2): `NULL` when the relation has none, see
    // `Source::probe_optional_columns`.
    ("question", Col::Text),
];
const AGENT_COLUMNS: &[(&str, Col)] = &[
    ("agent_id", Col::Text),
    ("team", Col::Text),
    // Dates as text: every backend prints a DATE as YYYY-MM-DD.
    ("started_on", Col::Text),
    ("left_on", Col::Text),
];
const ENGAGEMENT_COLUMNS: &[(&str, Col)] = &[
    ("id", Col::Text),
    ("employee_id", Col::Text),
    ("team", Col::Text),
    ("responded_at", Col::Time),
    ("question", Col::Text),
    ("score", Col::Raw),
];

/// How a column is selected: cast to text (ids are compared as text), or
/// left as stored (timestamps and numbers are decoded per backend).
#[derive(Clone, Copy)]
enum Col {
    Text,
    Time,
    Raw,
}

fn columns(r: Relation) -> &'static [(&'static str, Col)] {
    match r {
        Relation::Tickets => TICKET_COLUMNS,
        Relation::Events => EVENT_COLUMNS,
        Relation::Surveys => SURVEY_COLUMNS,
        Relation::Engagement => ENGAGEMENT_COLUMNS,
        Relation::Agents => AGENT_COLUMNS,
    }
}

impl Source {
    /// Connects to `settings.url`. Read-only access refuses to create a
    /// missing SQLite file.
    pub async fn connect(settings: &SourceSettings, access: Access) -> Result<Source, SourceError> {
        let role = Role::Source {
            access,
            statement_timeout: settings.statement_timeout,
        };
        let pool = db::connect(&settings.url, settings.password.as_ref(), role)
            .await?
            .pool;
        Ok(Source {
            pool,
            settings: settings.clone(),
            horizon: std::sync::atomic::AtomicI64::new(i64::MIN),
            survey_question: Optional::default(),
            agents_table: Optional::default(),
        })
    }

    /// Sets the job's clock ([`Source::set_now`]) and finds out which
    /// optional columns the source has now.
    pub async fn begin_job(&self, now: Instant) {
        self.set_now(now);
        self.probe_optional_columns().await;
    }

    /// Finds out whether the surveys relation has the optional `question`
    /// column (the item code SERVQUAL answers need; DESIGN.md §2). Only a
    /// definite answer changes what is read: the column read, or the
    /// database saying it has no such column while the rest reads. A
    /// source that cannot be read now keeps the last answer, and its reads
    /// report why.
    async fn probe_optional_columns(&self) {
        let now = self.clock();
        if !self.survey_question.due(now) {
            return;
        }
        let probe = |question: bool| {
            let sql = format!(
                "{} WHERE 1 = 0",
                self.select_with(Relation::Surveys, question)
            );
            async move { for_each_row(&self.pool, sql, |_| {}).await }
        };
        let found = match probe(true).await {
            Ok(()) => PRESENT,
            Err(e) if missing_column(&e, "question") && probe(false).await.is_ok() => ABSENT,
            // Unreachable, or broken otherwise: as it was.
            Err(_) => self.survey_question.get(),
        };
        if self.survey_question.set(found, now) && found == ABSENT {
            tracing::info!(
                relation = %self.describe(Relation::Surveys),
                "the surveys have no `question` column: SERVQUAL answers need one \
                 to name their dimension; the other kinds are read without it"
            );
        }
    }

    /// The job clock in unix microseconds (`i64::MIN` before any job).
    fn clock(&self) -> i64 {
        self.horizon.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sets the clock of the job about to read: rows later than a day
    /// after `now` are rejected as `timestamp_in_future`. Every job that
    /// reads calls it with its own `now` (time is an input, never read
    /// here), so a `serve` running for months judges each run by its time.
    fn set_now(&self, now: Instant) {
        self.horizon
            .store(now.timestamp_micros(), std::sync::atomic::Ordering::Relaxed);
    }

    /// The latest timestamp a row read now may hold.
    pub fn horizon(&self) -> decode::Horizon {
        match self.horizon.load(std::sync::atomic::Ordering::Relaxed) {
            i64::MIN => decode::Horizon::NONE,
            now => chrono::DateTime::from_timestamp_micros(now)
                .map_or(decode::Horizon::NONE, decode::Horizon::at),
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.pool.dialect()
    }

    /// How CES answers are read (`source.ces_direction`).
    pub fn ces_direction(&self) -> crate::config::CesDirection {
        self.settings.ces_direction
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Creates the four canonical relations (and their indexes) if missing.
    pub async fn migrate_canonical(&self) -> Result<(), SourceError> {
        let res = match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("migrations/source/sqlite").run(p).await,
            Pool::Postgres(p) => sqlx::migrate!("migrations/source/postgres").run(p).await,
            Pool::MySql(p) => sqlx::migrate!("migrations/source/mysql").run(p).await,
        };
        res.map_err(|e| SourceError::Migrate {
            url: redact_url(&self.settings.url),
            message: e.to_string(),
        })
    }

    /// Where a relation is read from, for messages.
    pub fn describe(&self, r: Relation) -> String {
        match self.settings.relation(r) {
            RelationSource::Table(t) => format!("table `{t}`"),
            RelationSource::Query(_) => {
                match (self.settings.preset, self.settings.preset_file(r)) {
                    (Some(p), Some(file)) => format!("source.preset {}: {file}", p.name),
                    _ => format!("source.queries.{}", r.short_name()),
                }
            }
        }
    }

    /// The SELECT of relation `r`, with the contract's column names.
    fn select(&self, r: Relation) -> String {
        self.select_with(r, self.survey_question.get() != ABSENT)
    }

    /// The SELECT of relation `r`, reading the surveys' optional
    /// `question` column or `NULL` in its place.
    fn select_with(&self, r: Relation, question: bool) -> String {
        let text = text_type(self.dialect());
        let list: Vec<String> = columns(r)
            .iter()
            .map(|(name, col)| match col {
                Col::Text if *name == "question" && r == Relation::Surveys && !question => {
                    format!("CAST(NULL AS {text}) AS {name}")
                }
                Col::Text => format!("CAST({name} AS {text}) AS {name}"),
                Col::Time | Col::Raw => name.to_string(),
            })
            .collect();
        format!("SELECT {} FROM {}", list.join(", "), self.read_from(r))
    }

    /// What a SELECT of relation `r` reads from: its table, or its query as
    /// a derived table.
    fn read_from(&self, r: Relation) -> String {
        match self.settings.relation(r) {
            RelationSource::Table(t) => t,
            // The newline ends a trailing `--` comment.
            RelationSource::Query(q) => format!("({q}\n) AS src"),
        }
    }

    /// Checks that every relation exists and has the contract's columns
    /// (the staff too when configured): one clear error naming the first
    /// that does not.
    pub async fn check(&self) -> Result<(), SourceError> {
        self.probe_optional_columns().await;
        // The staff only when named: the default table is optional.
        let agents = self
            .settings
            .named(Relation::Agents)
            .then_some(Relation::Agents);
        for r in Relation::ALL.into_iter().chain(agents) {
            let sql = format!("{} WHERE 1 = 0", self.select(r));
            for_each_row(&self.pool, sql, |_| {})
                .await
                .map_err(|e| self.relation_error(r, e))?;
        }
        Ok(())
    }

    fn relation_error(&self, relation: Relation, e: sqlx::Error) -> SourceError {
        relation_error(relation, self.describe(relation), &e)
    }

    async fn read_all<T>(
        &self,
        r: Relation,
        sql: String,
        rejects: &mut Rejects,
        decode: impl FnMut(&dyn RowAccess) -> Result<T, decode::Rejection>,
        sink: impl FnMut(T),
    ) -> Result<u64, SourceError> {
        self.read_rows(r, sql, rejects, decode, sink)
            .await
            .map_err(|e| self.relation_error(r, e))
    }

    /// [`Source::read_all`] with the database's own error, for a caller
    /// that tells a missing relation from a broken one.
    async fn read_rows<T>(
        &self,
        r: Relation,
        sql: String,
        rejects: &mut Rejects,
        mut decode: impl FnMut(&dyn RowAccess) -> Result<T, decode::Rejection>,
        mut sink: impl FnMut(T),
    ) -> Result<u64, sqlx::Error> {
        let mut rows = 0u64;
        for_each_row(&self.pool, sql, |row| {
            rows += 1;
            match decode(row) {
                Ok(v) => sink(v),
                Err(rej) => rejects.add(r, rej.reason, &rej.row, &rej.detail),
            }
        })
        .await?;
        Ok(rows)
    }

    /// The tickets `rows` selects, by id. Ids seen twice keep the last row.
    pub async fn tickets_matching(
        &self,
        rows: &Rows<'_>,
        rejects: &mut Rejects,
    ) -> Result<HashMap<String, Ticket>, SourceError> {
        let mut out = HashMap::new();
        let mut dup = Vec::new();
        let h = self.horizon();
        for sql in self.selects(Relation::Tickets, rows) {
            self.read_all(
                Relation::Tickets,
                sql,
                rejects,
                |r| decode::ticket(r, h),
                |t| {
                    if let Some(old) = out.insert(t.id.clone(), t) {
                        dup.push(old.id);
                    }
                },
            )
            .await?;
        }
        for id in dup {
            rejects.add(
                Relation::Tickets,
                "duplicate_ticket_id",
                &id,
                &format!("ticket {id} appears more than once; the last row is used"),
            );
        }
        Ok(out)
    }

    /// The events `rows` selects, in id order, one at a time; the id of
    /// every row read, decoded or rejected, goes to `seen`. Returns the
    /// number of rows read.
    pub async fn events_matching(
        &self,
        rows: &Rows<'_>,
        rejects: &mut Rejects,
        seen: &mut Vec<i64>,
        mut sink: impl FnMut(Event),
    ) -> Result<u64, SourceError> {
        let mut total = 0;
        let h = self.horizon();
        for sql in self.selects(Relation::Events, rows) {
            let sql = format!("{sql} ORDER BY 1");
            let decode = |r: &dyn RowAccess| {
                let e = decode::event(r, h);
                match &e {
                    Ok(e) => seen.push(e.id),
                    Err(rej) => seen.extend(rej.event_id),
                }
                e
            };
            total += self
                .read_all(Relation::Events, sql, rejects, decode, &mut sink)
                .await?;
        }
        Ok(total)
    }

    /// The rows `rows` selects of relation `r`, decoded, in the order of
    /// their ticket id (tickets: `id`; events: `ticket_id`, then `id`;
    /// surveys: `ticket_id`, answers without a ticket first). The order is
    /// byte order (`str::cmp`) in every database, not its collation, so
    /// that streams of several relations can be merged in Rust.
    pub fn by_ticket<T: Send + 'static>(
        &self,
        r: Relation,
        rows: &Rows<'_>,
        decode: impl Fn(&dyn RowAccess) -> Result<T, decode::Rejection> + Send + Sync + 'static,
    ) -> BoxStream<'static, Result<Result<T, decode::Rejection>, SourceError>> {
        let selects = self.selects(r, rows);
        let statement = (!selects.is_empty()).then(|| period::Part::Sql {
            sql: ordered(self.dialect(), r, &selects),
            only: None,
        });
        // The backfill's pass over a whole relation is not bounded by the
        // statement timeout (see `backends::untimed`); every other read is.
        let timed = if matches!(rows, Rows::All | Rows::EventIds { after: None, .. }) {
            Timeout::Lifted
        } else {
            Timeout::Kept
        };
        // One statement, asking for no ids: no row is sorted out by its key.
        self.stream_parts(
            r,
            period::ready(statement.into_iter().collect()),
            decode,
            |_| None,
            timed,
        )
    }

    /// The rows of relation `r` that `rows` selects, read whole by one
    /// statement and sorted here by `key` (byte order, rows without a
    /// ticket first, rejected rows before them): for a period's survey
    /// answers, which are few beside its events. Streamed in step with the
    /// walk, their statement stayed open for the whole period read (38 s
    /// for a digest at a million tickets, past `statement_timeout` on a
    /// slower machine); read first, it ends as soon as the database has
    /// sent them.
    pub(crate) fn by_ticket_read_first<T: Send + 'static>(
        &self,
        r: Relation,
        rows: &Rows<'_>,
        decode: impl Fn(&dyn RowAccess) -> Result<T, decode::Rejection> + Send + Sync + 'static,
        key: fn(&T) -> Option<&str>,
    ) -> BoxStream<'static, Result<Result<T, decode::Rejection>, SourceError>> {
        let selects = self.selects(r, rows);
        let pool = self.pool.clone();
        let from = self.describe(r);
        let read = tokio::spawn(async move {
            let mut all = Vec::new();
            for sql in selects {
                let mut rows = map_rows(&pool, sql, &decode);
                while let Some(row) = rows.next().await {
                    all.push(row.map_err(|e| relation_error(r, from.clone(), &e))?);
                }
            }
            // Rejected rows first (they have no key), then by ticket id.
            fn rank<T>(
                row: &Result<T, decode::Rejection>,
                key: fn(&T) -> Option<&str>,
            ) -> (bool, Option<&str>) {
                match row {
                    Err(_) => (false, None),
                    Ok(v) => (true, key(v)),
                }
            }
            all.sort_by(|a, b| rank(a, key).cmp(&rank(b, key)));
            Ok::<_, SourceError>(all)
        });
        let from = self.describe(r);
        Box::pin(
            stream::once(async move {
                read.await.unwrap_or_else(|e| {
                    let message = e
                        .try_into_panic()
                        .map(|p| crate::panic::message(p.as_ref()))
                        .unwrap_or_else(|e| e.to_string());
                    Err(driver_panic(r, from, &message))
                })
            })
            .flat_map(|read| match read {
                Ok(rows) => stream::iter(rows.into_iter().map(Ok)).left_stream(),
                Err(e) => stream::once(std::future::ready(Err(e))).right_stream(),
            }),
        )
    }

    /// The rows of the statements `parts` hands over, one after the other,
    /// decoded. A task of its own reads and decodes them, a batch ahead of
    /// the consumer: on a backfill, decoding runs on another core than the
    /// walk. A statement that reads a chunk of ticket ids keeps only the
    /// rows of those ids, byte for byte (a database whose collation ignores
    /// case or trailing spaces returns `k`'s rows for `K` too): `key` is a
    /// decoded row's ticket id.
    pub(crate) fn stream_parts<T: Send + 'static>(
        &self,
        r: Relation,
        mut parts: period::Parts,
        decode: impl Fn(&dyn RowAccess) -> Result<T, decode::Rejection> + Send + Sync + 'static,
        key: fn(&T) -> Option<&str>,
        timeout: Timeout,
    ) -> BoxStream<'static, Result<Result<T, decode::Rejection>, SourceError>> {
        const AHEAD: usize = 1_024;
        // Batches read ahead: more than a chunk of a period's events
        // (`period`), so that its next statement runs while this one's
        // rows are walked.
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let pool = self.pool.clone();
        let from = self.describe(r);
        let on_panic = (tx.clone(), self.describe(r));
        let lock_wait = self.settings.statement_timeout;
        let reader = async move {
            let mut batch = Vec::with_capacity(AHEAD);
            // Hands over a full batch; false when the consumer stopped (an
            // error elsewhere).
            async fn flush<T>(
                tx: &tokio::sync::mpsc::Sender<Result<Vec<T>, SourceError>>,
                batch: &mut Vec<T>,
            ) -> bool {
                if batch.len() < AHEAD {
                    return true;
                }
                let full = std::mem::replace(batch, Vec::with_capacity(AHEAD));
                tx.send(Ok(full)).await.is_ok()
            }
            loop {
                let (sql, only) = match parts.recv().await {
                    Some(Ok(period::Part::Sql { sql, only })) => (sql, only),
                    Some(Ok(period::Part::Rejected(rejection))) => {
                        batch.push(Err(rejection));
                        if !flush(&tx, &mut batch).await {
                            return;
                        }
                        continue;
                    }
                    Some(Ok(period::Part::End)) => break,
                    Some(Err(e)) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                    // Whoever listed the statements stopped before the
                    // end: the rows not read would be lost.
                    None => {
                        let _ = tx
                            .send(Err(SourceError::Relation {
                                relation: r,
                                from,
                                message: "the list of statements to read ended early".into(),
                            }))
                            .await;
                        return;
                    }
                };
                let mut untimed = match timeout {
                    Timeout::Kept => None,
                    Timeout::Lifted => match backends::untimed(&pool, lock_wait).await {
                        Ok(c) => Some(c),
                        Err(e) => {
                            let _ = tx.send(Err(relation_error(r, from, &e))).await;
                            return;
                        }
                    },
                };
                let mut rows = match &mut untimed {
                    None => map_rows(&pool, sql, &decode),
                    Some(conn) => backends::map_rows_on(conn, sql, &decode),
                };
                while let Some(row) = rows.next().await {
                    match row {
                        Ok(Ok(v)) if !period::asked(only.as_deref(), key(&v)) => continue,
                        Ok(v) => batch.push(v),
                        Err(e) => {
                            let _ = tx.send(Err(relation_error(r, from, &e))).await;
                            return;
                        }
                    }
                    if !flush(&tx, &mut batch).await {
                        return;
                    }
                }
                drop(rows);
                if let Some(conn) = untimed {
                    conn.close().await;
                }
            }
            let _ = tx.send(Ok(batch)).await;
        };
        // A reader that panics (a driver's decoding bug) must end the
        // stream with an error, not quietly: a stream that just stops
        // would be taken for the end of the relation and its rows lost.
        tokio::spawn(async move {
            use futures_util::FutureExt;
            if let Err(payload) = std::panic::AssertUnwindSafe(reader).catch_unwind().await {
                let message = crate::panic::message(payload.as_ref());
                let (tx, from) = on_panic;
                let _ = tx.send(Err(driver_panic(r, from, &message))).await;
            }
        });
        Box::pin(
            stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) }).flat_map(
                |batch| match batch {
                    Ok(rows) => stream::iter(rows.into_iter().map(Ok)).left_stream(),
                    Err(e) => stream::once(std::future::ready(Err(e))).right_stream(),
                },
            ),
        )
    }

    /// Whether the database answers now (`SELECT 1` on a pooled
    /// connection, or a new one if the pool's were cut).
    pub async fn ping(&self) -> Result<(), SourceError> {
        for_each_row(&self.pool, "SELECT 1".to_string(), |_| {})
            .await
            .map_err(|source| SourceError::Connect {
                url: redact_url(&self.settings.url),
                source,
            })
    }

    /// The highest event id, `None` when there are no events.
    pub async fn max_event_id(&self) -> Result<Option<i64>, SourceError> {
        // SQLite's MAX() ranks text above every number: one id stored as
        // 'abc' (or a real such as 60000.5) would become the maximum and
        // stop every collection. Such a row is rejected (`bad_id`) when its
        // ticket is read; the watermark counts only integers.
        let integers_only = match self.pool {
            Pool::Sqlite(_) => " WHERE typeof(id) = 'integer'",
            Pool::Postgres(_) | Pool::MySql(_) => "",
        };
        let sql = format!(
            "SELECT MAX(id) AS id FROM ({}) AS ev{integers_only}",
            self.select(Relation::Events)
        );
        let mut max = None;
        let mut bad = None;
        for_each_row(&self.pool, sql, |row| match row.int("id") {
            Ok(v) => max = v,
            Err(e) => bad = Some(e),
        })
        .await
        .map_err(|e| self.relation_error(Relation::Events, e))?;
        match bad {
            Some(message) => Err(SourceError::Relation {
                relation: Relation::Events,
                from: self.describe(Relation::Events),
                message: format!("event ids must be integers: {message}"),
            }),
            None => Ok(max),
        }
    }

    pub async fn surveys_matching(
        &self,
        rows: &Rows<'_>,
        rejects: &mut Rejects,
    ) -> Result<Vec<SurveyResponse>, SourceError> {
        let mut out = Vec::new();
        let ces = self.settings.ces_direction;
        let h = self.horizon();
        for sql in self.selects(Relation::Surveys, rows) {
            self.read_all(
                Relation::Surveys,
                sql,
                rejects,
                |r| decode::survey(r, ces, h),
                |s| out.push(s),
            )
            .await?;
        }
        Ok(first_ids::FirstIds::new(Relation::Surveys).keep(out, |s| &s.id, rejects))
    }

    pub async fn engagement_matching(
        &self,
        rows: &Rows<'_>,
        rejects: &mut Rejects,
    ) -> Result<Vec<EngagementResponse>, SourceError> {
        let mut out = Vec::new();
        let h = self.horizon();
        for sql in self.selects(Relation::Engagement, rows) {
            self.read_all(
                Relation::Engagement,
                sql,
                rejects,
                |r| decode::engagement(r, h),
                |e| out.push(e),
            )
            .await?;
        }
        Ok(first_ids::FirstIds::new(Relation::Engagement).keep(out, |e| &e.id, rejects))
    }

    /// The support staff (the optional `support_agents` relation); `None`
    /// when the source has none, or an empty one. A relation named in
    /// `[source.relations]` or `[source.queries]` must be readable; the
    /// default table (or a preset's staff) may be absent, or closed to the
    /// reading user: the numbers then go without staff, said once in ten
    /// minutes, and the relation is asked again after that.
    pub async fn agents(&self, rejects: &mut Rejects) -> Result<Option<Vec<Agent>>, SourceError> {
        let optional = !self.settings.named(Relation::Agents);
        let now = self.clock();
        if optional && !self.agents_table.due(now) {
            return Ok(None);
        }
        let mut out = Vec::new();
        let sql = self.select(Relation::Agents);
        match self
            .read_rows(Relation::Agents, sql, rejects, decode::agent, |a| {
                out.push(a)
            })
            .await
        {
            Ok(_) if optional => {
                self.agents_table.set(PRESENT, now);
            }
            Ok(_) => {}
            Err(e) if optional => {
                if !missing_relation(&e) {
                    tracing::warn!(
                        "the staff are left out (turnover, tenure): {}",
                        crate::error_chain::Chain(&self.relation_error(Relation::Agents, e))
                    );
                }
                self.agents_table.set(ABSENT, now);
                return Ok(None);
            }
            Err(e) => return Err(self.relation_error(Relation::Agents, e)),
        }
        // An empty relation says nothing about the staff: as none.
        let agents = first_ids::FirstIds::new(Relation::Agents).keep(out, |a| &a.id, rejects);
        Ok((!agents.is_empty()).then_some(agents))
    }

    /// The SELECTs that read `rows` of relation `r` (several when a list of
    /// ids is split into chunks; none for an empty list).
    fn selects(&self, r: Relation, rows: &Rows<'_>) -> Vec<String> {
        let base = self.select(r);
        let dialect = self.dialect();
        match rows {
            Rows::All => vec![base],
            Rows::ChangedSince(t) => {
                let column = match r {
                    Relation::Tickets => "updated_at",
                    Relation::Events => "occurred_at",
                    Relation::Surveys | Relation::Engagement => "responded_at",
                    // Read whole (a small relation): no change column.
                    Relation::Agents => return vec![base],
                };
                vec![format!("{base} WHERE {}", at_or_after(dialect, column, *t))]
            }
            Rows::ServqualSince(t) => vec![format!(
                "{base} WHERE {} AND LOWER(TRIM(CAST(kind AS {}))) LIKE 'servqual%'",
                at_or_after(dialect, "responded_at", *t),
                text_type(dialect)
            )],
            Rows::OfTickets(ids) => {
                let column = key_column(r);
                ids.chunks(ID_CHUNK)
                    .map(|chunk| format!("{base} WHERE {}", id_in(dialect, column, chunk)))
                    .collect()
            }
            Rows::EventIds { after: None, upto } => vec![format!(
                "{base} WHERE {}",
                upto_or_unordered(dialect, *upto)
            )],
            Rows::EventIds {
                after: Some(after),
                upto,
            } => vec![format!("{base} WHERE id > {after} AND id <= {upto}")],
            Rows::EventIdRanges(ranges) => ranges
                .chunks(ID_CHUNK)
                .map(|chunk| {
                    let any: Vec<String> = chunk
                        .iter()
                        .map(|(lo, hi)| {
                            if lo == hi {
                                format!("id = {lo}")
                            } else {
                                format!("id BETWEEN {lo} AND {hi}")
                            }
                        })
                        .collect();
                    format!("{base} WHERE {}", any.join(" OR "))
                })
                .collect(),
            Rows::Active { from, to } => match r {
                // `ByTicket` reads them a chunk of ids at a time (see
                // `period`); the same rows as one statement here.
                Relation::Tickets | Relation::Events => {
                    let column = key_column(r);
                    let listed = format!(
                        "{base} WHERE CAST({column} AS {}) IN (SELECT id FROM ({}) AS period_ids)",
                        text_type(dialect),
                        self.period_ids(*from, *to),
                    );
                    let unlisted = match r {
                        Relation::Tickets => format!(
                            "{base} WHERE id IS NULL AND {}",
                            active_tickets(dialect, *from, *to)
                        ),
                        _ => format!("{base} WHERE {}", self.orphan_events(*from, *to)),
                    };
                    vec![listed, unlisted]
                }
                Relation::Agents => vec![base],
                // A period's answers are held in memory while it is walked
                // (`by_ticket_read_first`): none after its end.
                Relation::Surveys => vec![format!(
                    "{base} WHERE {}",
                    within(dialect, "responded_at", *from, *to)
                )],
                Relation::Engagement => vec![format!(
                    "{base} WHERE {}",
                    at_or_after(dialect, "responded_at", *from)
                )],
            },
        }
    }
}

/// `SELECT * FROM (<selects joined by UNION ALL>) ORDER BY` the ticket id
/// in byte order (then the event id).
fn ordered(dialect: Dialect, r: Relation, selects: &[String]) -> String {
    let then = if r == Relation::Events { ", id" } else { "" };
    format!(
        "SELECT * FROM ({}) AS by_ticket ORDER BY {}{then}",
        selects.join(" UNION ALL "),
        byte_order(dialect, key_column(r))
    )
}

/// The column that names a row's ticket: the tickets' `id`, the others'
/// `ticket_id`.
fn key_column(r: Relation) -> &'static str {
    if r == Relation::Tickets {
        "id"
    } else {
        "ticket_id"
    }
}

/// `column` as an ORDER BY key in byte order (`str::cmp`), whatever the
/// database's collation, NULLs first.
fn byte_order(dialect: Dialect, column: &str) -> String {
    // MySQL and SQLite put NULLs first already.
    match dialect {
        Dialect::Postgres => format!("{} NULLS FIRST", dialect.bytes(column)),
        _ => dialect.bytes(column),
    }
}

/// A database error reading `relation` (from `from`: its table or query).
fn relation_error(relation: Relation, from: String, e: &sqlx::Error) -> SourceError {
    let mut message = db::database_message(e);
    if missing_relation(e) {
        message.push_str(
            "; create the canonical tables with `support-metrics migrate source`, or name the \
             helpdesk's own table in source.relations (or its SQL in source.queries), or use a \
             source.preset",
        );
    }
    SourceError::Relation {
        relation,
        from,
        message,
    }
}

/// A reader that panicked (a driver's decoding bug): its relation's read
/// ends with this error, never quietly (a stream that just stops would be
/// taken for the end of the rows).
fn driver_panic(relation: Relation, from: String, message: &str) -> SourceError {
    SourceError::Relation {
        relation,
        from,
        message: format!("reading a row failed inside the database driver: {message}"),
    }
}

/// Whether a read's statements keep `source.statement_timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timeout {
    Kept,
    /// A pass over a whole relation: see `backends::untimed`.
    Lifted,
}

/// Which rows of a relation to read.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    All,
    /// Rows whose time (tickets `updated_at`, events `occurred_at`, answers
    /// `responded_at`) is at or after the instant.
    ChangedSince(Instant),
    /// Tickets with these ids, or the events or answers of these tickets.
    OfTickets(&'a [String]),
    /// Events with `after < id <= upto` (all of them up to `upto` without
    /// `after`, including those whose id is NULL or, on SQLite, not an
    /// integer: see `upto_or_unordered`).
    EventIds {
        after: Option<i64>,
        upto: i64,
    },
    /// Events whose id is in one of the ranges `lo..=hi`.
    EventIdRanges(&'a [(i64, i64)]),
    /// What a period `[from, to)` can need: the tickets created before `to`
    /// that changed since `from` or are not done yet (deleted and spam
    /// left out) or were surveyed since `from`, their events, and the
    /// answers given since `from`.
    Active {
        from: Instant,
        to: Instant,
    },
    /// SERVQUAL answers given since the instant (any kind spelled
    /// `servqual…`, for the decoder to judge).
    ServqualSince(Instant),
}

/// The tickets of [`Rows::Active`]. A ticket done before `from` and not
/// changed since has all its events before `from` (`updated_at` is its last
/// change), so it adds nothing to the period: not created, solved,
/// reopened or open in it. (A ticket whose `updated_at` lags its events is
/// read through [`recent_tickets`].)
///
/// A row the database cannot judge — a NULL or a timestamp it cannot read,
/// a NULL status — is read, never filtered out: the decoder then measures
/// it or rejects it and counts it (DESIGN.md §2: no row dropped uncounted).
fn active_tickets(dialect: Dialect, from: Instant, to: Instant) -> String {
    let status = "COALESCE(LOWER(TRIM(status)), '')";
    format!(
        "{created_before_to} AND {status} NOT IN ('deleted', 'spam') \
         AND ({changed} OR {status} NOT IN ('solved', 'closed'))",
        created_before_to = time_test(dialect, "created_at", "<", to),
        changed = time_test(dialect, "updated_at", ">=", from),
    )
}

/// The ids of tickets with an answer since `from` or an event in
/// `[from, to)` (as `UNION ALL`: each as often as it has them): read even
/// when done and unchanged since by their `updated_at` (answers need their
/// team and channel; a stale `updated_at` is a hint, not a promise).
fn recent_tickets(source: &Source, from: Instant, to: Instant) -> String {
    let dialect = source.dialect();
    let text = text_type(dialect);
    format!(
        "SELECT CAST(ticket_id AS {text}) FROM {} WHERE {} \
         UNION ALL SELECT CAST(ticket_id AS {text}) FROM {} WHERE {}",
        source.read_from(Relation::Surveys),
        at_or_after(dialect, "responded_at", from),
        source.read_from(Relation::Events),
        within(dialect, "occurred_at", from, to),
    )
}

/// `column` in `[from, to)`, by [`at_or_after`]'s reading of the column.
fn within(dialect: Dialect, column: &str, from: Instant, to: Instant) -> String {
    format!(
        "{} AND NOT ({})",
        at_or_after(dialect, column, from),
        at_or_after(dialect, column, to)
    )
}

/// `column <op> t`, true as well when the database cannot read the column
/// (NULL, or text SQLite's date functions do not know).
fn time_test(dialect: Dialect, column: &str, op: &str, t: Instant) -> String {
    match dialect {
        Dialect::Sqlite => {
            let v = sqlite_seconds(column);
            format!(
                "({v} IS NULL OR {v} {op} {})",
                t.timestamp_micros() as f64 / 1e6
            )
        }
        _ => format!(
            "({column} IS NULL OR {column} {op} {})",
            time_literal(dialect, t)
        ),
    }
}

/// A timestamp literal of `dialect` (PostgreSQL and MySQL).
fn time_literal(dialect: Dialect, t: Instant) -> String {
    match dialect {
        Dialect::MySql => format!("'{}'", t.format("%Y-%m-%d %H:%M:%S%.6f")),
        _ => format!("'{}'", t.format("%Y-%m-%dT%H:%M:%S%.6fZ")),
    }
}

/// An SQLite column as unix seconds: numbers as they are, text of digits
/// as seconds, other text through `unixepoch`; NULL when unreadable.
fn sqlite_seconds(column: &str) -> String {
    format!(
        "(CASE WHEN typeof({column}) IN ('integer', 'real') THEN {column} \
         WHEN trim({column}) GLOB '[0-9]*' AND NOT trim({column}) GLOB '*[^0-9.]*' \
         THEN CAST(trim({column}) AS REAL) \
         ELSE unixepoch({column}, 'subsec') END)"
    )
}

/// Ids per `IN (…)` list.
const ID_CHUNK: usize = 500;
/// Events up to id `upto`, and those no id window can order — a NULL id,
/// or on SQLite an id stored as text or a real: read by the backfill to be
/// rejected and counted (`null_id`, `bad_id`) rather than never read. (A
/// ticket walked again reads all its events, these included.)
fn upto_or_unordered(dialect: Dialect, upto: i64) -> String {
    match dialect {
        Dialect::Sqlite => format!("(id <= {upto} OR typeof(id) <> 'integer')"),
        Dialect::Postgres | Dialect::MySql => format!("(id <= {upto} OR id IS NULL)"),
    }
}

/// `column IN ('a', 'b')` with quoted literals: each backend coerces a quoted
/// literal to the column's type, so integer and text keys both use their index.
///
/// SQLite compares a column without type affinity (an expression in a
/// query, a table declared without types) by storage class, where the
/// integer 5 is not the text '5': an id that is an integer is listed both
/// ways.
fn id_in(dialect: Dialect, column: &str, ids: &[String]) -> String {
    let mut listed: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        listed.push(quote(dialect, id));
        if dialect == Dialect::Sqlite && id.parse::<i64>().is_ok_and(|n| n.to_string() == *id) {
            listed.push(id.clone());
        }
    }
    format!("{column} IN ({})", listed.join(", "))
}

/// A SQL string literal. MySQL also treats backslashes as escapes.
fn quote(dialect: Dialect, s: &str) -> String {
    let mut out = s.replace('\'', "''");
    if dialect == Dialect::MySql {
        out = out.replace('\\', "\\\\");
    }
    format!("'{out}'")
}

/// `column >= t` for the column types the contract allows per backend.
fn at_or_after(dialect: Dialect, column: &str, t: Instant) -> String {
    match dialect {
        Dialect::Postgres | Dialect::MySql => {
            format!("{column} >= {}", time_literal(dialect, t))
        }
        // ISO-8601 text or unix seconds; text SQLite cannot read is kept so
        // that the decoder reports it.
        Dialect::Sqlite => format!(
            "coalesce({}, 1e18) >= {}",
            sqlite_seconds(column),
            t.timestamp_micros() as f64 / 1e6
        ),
    }
}
