//! Per-backend row access: how each database hands over text, integers and
//! timestamps. Sources store ids as text or integers and timestamps as
//! TIMESTAMPTZ, DATETIME(6), ISO-8601 text or unix seconds; each getter tries
//! the representations its backend can produce, so a view may use any.

use chrono::{DateTime, NaiveDateTime, Utc};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row};

use super::Pool;
use super::decode::{RawTime, RowAccess};

/// Runs `sql` and calls `f` on every row as it streams in.
pub(crate) async fn for_each_row(
    pool: &Pool,
    sql: String,
    mut f: impl FnMut(&dyn RowAccess),
) -> Result<(), sqlx::Error> {
    macro_rules! stream {
        ($pool:expr) => {{
            let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch($pool);
            while let Some(row) = rows.try_next().await? {
                f(&row);
            }
        }};
    }
    match pool {
        Pool::Sqlite(p) => stream!(p),
        Pool::Postgres(p) => stream!(p),
        Pool::MySql(p) => stream!(p),
    }
    Ok(())
}

/// `sql` run on `$on` (a pool or a connection), `$f` of every row streamed.
macro_rules! mapped_rows {
    ($on:expr, $sql:expr, $f:expr) => {{
        let f = $f;
        sqlx::query(AssertSqlSafe($sql))
            .fetch($on)
            .map_ok(move |row| f(&row))
            .boxed()
    }};
}

/// Runs `sql` and streams `f` of every row: for merging several reads.
pub(crate) fn map_rows<'a, T: Send + 'a>(
    pool: &'a Pool,
    sql: String,
    f: impl Fn(&dyn RowAccess) -> T + Send + Sync + 'a,
) -> BoxStream<'a, Result<T, sqlx::Error>> {
    macro_rules! stream {
        ($pool:expr) => {
            mapped_rows!($pool, sql, f)
        };
    }
    match pool {
        Pool::Sqlite(p) => stream!(p),
        Pool::Postgres(p) => stream!(p),
        Pool::MySql(p) => stream!(p),
    }
}

/// A connection taken out of the pool for one read of a whole relation.
pub(crate) enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
    MySql(sqlx::MySqlConnection),
}

/// A connection of its own, without the statement timeout, for the
/// backfill's read of a whole relation: one pass that takes as long as the
/// database takes to send the table, which grows with the helpdesk, so
/// `source.statement_timeout` would make a large helpdesk impossible to
/// backfill. Taken out of the pool (which opens another), it is closed when
/// dropped: no pooled connection ever runs untimed. Waiting for a lock (a
/// migration's `ALTER TABLE`) stays bounded by `lock_wait`, so a blocked
/// read fails and is retried rather than hang; on PostgreSQL 14 and later
/// the server also checks every 10 s that we are still there, so a read we
/// gave up on (the walk failed) does not run on to its end.
pub(crate) async fn untimed(
    pool: &Pool,
    lock_wait: std::time::Duration,
) -> Result<Conn, sqlx::Error> {
    use sqlx::Executor;
    Ok(match pool {
        // SQLite has no statement timeout.
        Pool::Sqlite(p) => Conn::Sqlite(p.acquire().await?.detach()),
        Pool::Postgres(p) => {
            let mut c = p.acquire().await?.detach();
            c.execute("SET statement_timeout = 0").await?;
            // 0, as for the statement timeout, is no bound.
            let lock = format!("SET lock_timeout = {}", lock_wait.as_millis());
            c.execute(AssertSqlSafe(lock)).await?;
            // An older server does not know the setting: nothing to do.
            let _ = c
                .execute("SET client_connection_check_interval = '10s'")
                .await;
            Conn::Postgres(c)
        }
        Pool::MySql(p) => {
            let mut c = p.acquire().await?.detach();
            // MariaDB's variable, else MySQL's (as the session set them).
            if c.execute("SET SESSION max_statement_time = 0")
                .await
                .is_err()
            {
                c.execute("SET SESSION max_execution_time = 0").await?;
            }
            // Metadata locks (an `ALTER TABLE`) wait a year by default.
            if lock_wait.as_secs() > 0 {
                let lock = format!("SET SESSION lock_wait_timeout = {}", lock_wait.as_secs());
                c.execute(AssertSqlSafe(lock)).await?;
            }
            Conn::MySql(c)
        }
    })
}

impl Conn {
    /// Says goodbye to the server (a dropped connection just hangs up,
    /// which the server logs as an unexpected end).
    pub(crate) async fn close(self) {
        use sqlx::Connection;
        let _ = match self {
            Conn::Sqlite(c) => c.close().await,
            Conn::Postgres(c) => c.close().await,
            Conn::MySql(c) => c.close().await,
        };
    }
}

/// [`map_rows`] on a connection of its own.
pub(crate) fn map_rows_on<'a, T: Send + 'a>(
    conn: &'a mut Conn,
    sql: String,
    f: impl Fn(&dyn RowAccess) -> T + Send + Sync + 'a,
) -> BoxStream<'a, Result<T, sqlx::Error>> {
    match conn {
        Conn::Sqlite(c) => mapped_rows!(c, sql, f),
        Conn::Postgres(c) => mapped_rows!(c, sql, f),
        Conn::MySql(c) => mapped_rows!(c, sql, f),
    }
}

/// Tries each `type => conversion` in turn; the first that decodes wins.
macro_rules! first_decoding {
    ($row:expr, $col:expr, $( $ty:ty => $conv:expr ),+ $(,)?) => {{
        let mut first_err: Option<String> = None;
        $(
            match $row.try_get::<Option<$ty>, _>($col) {
                Ok(v) => return Ok(v.map($conv)),
                Err(e) => { first_err.get_or_insert_with(|| e.to_string()); }
            }
        )+
        Err(first_err.unwrap_or_default())
    }};
}

fn parse_int(s: String) -> Result<i64, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{s}` is not an integer"))
}

fn float_to_int(f: f64) -> Result<i64, String> {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Ok(f as i64)
    } else {
        Err(format!("{f} is not an integer"))
    }
}

/// Integer getters shared by all backends: the decoded value, then text or
/// a float holding an integer.
macro_rules! int_with_fallbacks {
    ($row:expr, $col:expr, $( $ty:ty ),+) => {{
        $(
            if let Ok(v) = $row.try_get::<Option<$ty>, _>($col) {
                return Ok(v.map(i64::from));
            }
        )+
        if let Ok(v) = $row.try_get::<Option<String>, _>($col) {
            return v.map(parse_int).transpose();
        }
        match $row.try_get::<Option<f64>, _>($col) {
            Ok(v) => v.map(float_to_int).transpose(),
            Err(e) => Err(e.to_string()),
        }
    }};
}

impl RowAccess for SqliteRow {
    fn text(&self, col: &str) -> Result<Option<&str>, String> {
        first_decoding!(self, col, &str => |s| s)
    }
    fn int(&self, col: &str) -> Result<Option<i64>, String> {
        int_with_fallbacks!(self, col, i64)
    }
    fn time(&self, col: &str) -> Result<Option<RawTime>, String> {
        first_decoding!(self, col,
            String => RawTime::Text,
            i64 => |n| RawTime::Number(n as f64),
            f64 => RawTime::Number,
        )
    }
}

impl RowAccess for PgRow {
    fn text(&self, col: &str) -> Result<Option<&str>, String> {
        first_decoding!(self, col, &str => |s| s)
    }
    fn int(&self, col: &str) -> Result<Option<i64>, String> {
        int_with_fallbacks!(self, col, i64, i32, i16)
    }
    fn time(&self, col: &str) -> Result<Option<RawTime>, String> {
        if let Some(t) = pg_timestamp(self, col) {
            return t;
        }
        first_decoding!(self, col,
            DateTime<Utc> => RawTime::Instant,
            NaiveDateTime => RawTime::Naive,
            String => RawTime::Text,
            i64 => |n| RawTime::Number(n as f64),
            f64 => RawTime::Number,
        )
    }
}

/// A PostgreSQL TIMESTAMPTZ or TIMESTAMP in binary form, decoded here with
/// checked arithmetic: sqlx's chrono decoding panics on `infinity`,
/// `-infinity` and years past chrono's range, which must be rejected rows,
/// not a dead reader. `None` for other types and formats.
fn pg_timestamp(row: &PgRow, col: &str) -> Option<Result<Option<RawTime>, String>> {
    use sqlx::postgres::PgValueFormat;
    use sqlx::{TypeInfo, ValueRef};
    /// 2000-01-01T00:00:00Z, PostgreSQL's epoch, in unix microseconds.
    const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
    let v = row.try_get_raw(col).ok()?;
    if !matches!(v.type_info().name(), "TIMESTAMPTZ" | "TIMESTAMP") {
        return None;
    }
    if v.is_null() {
        return Some(Ok(None));
    }
    if v.format() != PgValueFormat::Binary {
        return None;
    }
    let micros = i64::from_be_bytes(v.as_bytes().ok()?.try_into().ok()?);
    let out_of_range = |what: String| Some(Ok(Some(RawTime::OutOfRange(what))));
    match micros {
        i64::MAX => out_of_range("`infinity` is not an instant".into()),
        i64::MIN => out_of_range("`-infinity` is not an instant".into()),
        _ => match micros
            .checked_add(PG_EPOCH_MICROS)
            .and_then(DateTime::from_timestamp_micros)
        {
            Some(t) => Some(Ok(Some(RawTime::Instant(t)))),
            None => out_of_range(format!("{micros} µs after 2000-01-01")),
        },
    }
}

impl RowAccess for MySqlRow {
    fn text(&self, col: &str) -> Result<Option<&str>, String> {
        first_decoding!(self, col, &str => |s| s)
    }
    fn int(&self, col: &str) -> Result<Option<i64>, String> {
        // BIGINT UNSIGNED: Laravel's and many installers' auto-increment ids.
        if let Ok(v) = self.try_get::<Option<u64>, _>(col) {
            return v
                .map(|n| i64::try_from(n).map_err(|_| format!("{n} is 2^63 or more")))
                .transpose();
        }
        int_with_fallbacks!(self, col, i64, i32, i16, i8, u32, u16, u8)
    }
    fn time(&self, col: &str) -> Result<Option<RawTime>, String> {
        first_decoding!(self, col,
            NaiveDateTime => RawTime::Naive,
            DateTime<Utc> => RawTime::Instant,
            String => RawTime::Text,
            i64 => |n| RawTime::Number(n as f64),
            f64 => RawTime::Number,
        )
    }
}
