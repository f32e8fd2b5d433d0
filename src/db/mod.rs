//! Connections to the three SQL backends, for the source (the helpdesk's
//! database, read-only) and the state store alike: the dialect of a URL,
//! the pool of each backend, how a session is set up (read-only,
//! statement timeout, encoding), placeholders, and the passwords that
//! never enter a URL string.

pub mod sqlite_handle;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool};
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool};
use sqlx::{AssertSqlSafe, ConnectOptions};

/// SQL flavour of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

impl Dialect {
    /// The backend a URL names by its scheme; `None` for any other.
    pub fn of(url: &str) -> Option<Dialect> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Dialect::Postgres)
        } else if url.starts_with("mysql:") || url.starts_with("mariadb:") {
            Some(Dialect::MySql)
        } else {
            None
        }
    }

    /// The backend's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL/MariaDB",
        }
    }

    /// `text` for this backend: statements are written with PostgreSQL's
    /// numbered `$1`, `$2`, …; MySQL numbers none, so they become `?`
    /// (every statement binds in textual order).
    pub fn sql(self, text: &str) -> String {
        match self {
            Dialect::MySql => positional(text),
            _ => text.to_string(),
        }
    }

    /// `column` compared by its bytes (`str::cmp`) whatever the database's
    /// collation, for ORDER BY and GROUP BY: PostgreSQL's "C" collation,
    /// MySQL's binary cast (its `_bin` collations still pad with spaces),
    /// SQLite's BINARY.
    pub fn bytes(self, column: &str) -> String {
        match self {
            Dialect::Postgres => format!("{column} COLLATE \"C\""),
            Dialect::MySql => format!("CAST({column} AS BINARY)"),
            Dialect::Sqlite => format!("{column} COLLATE BINARY"),
        }
    }

    /// `n` placeholders, comma-separated.
    pub fn placeholders(self, n: usize) -> String {
        let list: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
        self.sql(&list.join(", "))
    }
}

/// `$n` placeholders replaced by `?`, for MySQL.
fn positional(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// The connection pool of one backend (a handle: clones share it).
#[derive(Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

impl Pool {
    pub fn dialect(&self) -> Dialect {
        match self {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
            Pool::MySql(_) => Dialect::MySql,
        }
    }
}

/// Runs `$body` with `$p` bound to whichever backend's pool `$pool` is.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Postgres($p) => $body,
            $crate::db::Pool::MySql($p) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Whether the pool may write (the state store; of a source, only
/// `migrate source` and the demo generator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    ReadWrite,
}

/// What a pool is for, which decides how its sessions are set up.
#[derive(Debug, Clone, Copy)]
pub enum Role {
    /// The helpdesk's database: read-only unless `access` says otherwise,
    /// every statement bounded by `statement_timeout`; a read-only SQLite
    /// source must exist.
    Source {
        access: Access,
        statement_timeout: Duration,
    },
    /// The state store: created when missing (an SQLite file and its
    /// directory), in WAL mode so that scrapes read beside a commit.
    State,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("URL {url} is invalid")]
    BadUrl {
        url: String,
        #[source]
        source: BadUrl,
    },
    #[error("database file {path} does not exist")]
    MissingFile { path: String },
    #[error("cannot connect to {url}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
}

/// Why a URL is refused.
#[derive(Debug, thiserror::Error)]
pub enum BadUrl {
    #[error("expected sqlite://, postgres:// or mysql://")]
    Scheme,
    #[error(transparent)]
    Driver(sqlx::Error),
    #[error("cannot create directory {dir}")]
    Directory {
        dir: String,
        #[source]
        source: std::io::Error,
    },
}

/// An open pool, and the SQLite file it opened (`None` for a server or an
/// in-memory database).
pub struct Opened {
    pub pool: Pool,
    pub sqlite_file: Option<PathBuf>,
}

/// Opens a pool on `url` (whose password, if any, is `password`) for `role`.
pub async fn connect(
    url: &str,
    password: Option<&Password>,
    role: Role,
) -> Result<Opened, DbError> {
    let shown = redact_url(url);
    let bad_url = |source: BadUrl| DbError::BadUrl {
        url: shown.clone(),
        source,
    };
    let connect_err = |source: sqlx::Error| DbError::Connect {
        url: shown.clone(),
        source,
    };
    let mut sqlite_file = None;
    let pool = match Dialect::of(url) {
        Some(Dialect::Sqlite) => {
            let mut opts =
                SqliteConnectOptions::from_str(url).map_err(|e| bad_url(BadUrl::Driver(e)))?;
            let path = opts.get_filename().to_path_buf();
            let in_memory = path.as_os_str() == ":memory:";
            opts = match role {
                Role::Source {
                    access: Access::ReadOnly,
                    statement_timeout,
                } => {
                    if !in_memory && !path.exists() {
                        return Err(DbError::MissingFile {
                            path: path.display().to_string(),
                        });
                    }
                    opts.read_only(true).busy_timeout(statement_timeout)
                }
                Role::Source {
                    statement_timeout, ..
                } => opts.create_if_missing(true).busy_timeout(statement_timeout),
                Role::State => {
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir).map_err(|source| {
                            bad_url(BadUrl::Directory {
                                dir: dir.display().to_string(),
                                source,
                            })
                        })?;
                    }
                    opts.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .busy_timeout(Duration::from_secs(30))
                }
            };
            sqlite_file = (!in_memory).then_some(path);
            Pool::Sqlite(
                pool_options()
                    .connect_with(opts.disable_statement_logging())
                    .await
                    .map_err(connect_err)?,
            )
        }
        Some(Dialect::Postgres) => {
            let mut opts =
                PgConnectOptions::from_str(url).map_err(|e| bad_url(BadUrl::Driver(e)))?;
            if let Role::Source {
                access,
                statement_timeout,
            } = role
            {
                opts = opts.options([(
                    "statement_timeout",
                    statement_timeout.as_millis().to_string(),
                )]);
                if access == Access::ReadOnly {
                    opts = opts.options([("default_transaction_read_only", "on")]);
                }
                // Dates cast to text (the staff's `started_on`) read
                // YYYY-MM-DD whatever the server's default style.
                opts = opts.options([("DateStyle", "ISO, YMD")]);
            }
            // Named in pg_stat_activity, unless the URL names it.
            if opts.get_application_name().is_none() {
                opts = opts.application_name("support-metrics");
            }
            if let Some(p) = password {
                opts = opts.password(p.expose());
            }
            first_connection(&opts).await.map_err(connect_err)?;
            let pool = pool_options();
            let pool = match role {
                Role::Source { .. } => pool.after_connect(|conn, _| Box::pin(pg_session(conn))),
                Role::State => pool,
            };
            Pool::Postgres(
                pool.connect_with(opts.disable_statement_logging())
                    .await
                    .map_err(connect_err)?,
            )
        }
        Some(Dialect::MySql) => {
            let url = url.replacen("mariadb:", "mysql:", 1);
            let mut opts =
                MySqlConnectOptions::from_str(&url).map_err(|e| bad_url(BadUrl::Driver(e)))?;
            if let Some(p) = password {
                opts = opts.password(p.expose());
            }
            first_connection(&opts).await.map_err(connect_err)?;
            let pool = pool_options();
            let pool = match role {
                Role::Source {
                    access,
                    statement_timeout,
                } => pool.after_connect(move |conn, _| {
                    Box::pin(mysql_session(conn, access, statement_timeout))
                }),
                Role::State => pool,
            };
            Pool::MySql(
                pool.connect_with(opts.disable_statement_logging())
                    .await
                    .map_err(connect_err)?,
            )
        }
        None => return Err(bad_url(BadUrl::Scheme)),
    };
    Ok(Opened { pool, sqlite_file })
}

/// The pool settings of every connection pool, source and state store: at
/// most four connections (a backfill or report reads three relations at
/// once), and an error after 10 s without a free one.
pub(crate) fn pool_options<DB: sqlx::Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
}

/// One connection made directly, before the pool: a refused port, an
/// unknown host or a bad password fails at once with its own words, where
/// the pool would retry until its timeout and say only "pool timed out".
async fn first_connection<O>(opts: &O) -> Result<(), sqlx::Error>
where
    O: sqlx::ConnectOptions,
    O::Connection: Sized,
{
    use sqlx::Connection;
    let conn = tokio::time::timeout(Duration::from_secs(10), opts.connect())
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)??;
    conn.close().await
}

/// A PostgreSQL database in `SQL_ASCII` holds bytes, not text: asked for
/// UTF-8 (as the driver asks), the server refuses the whole query at the
/// first byte that is not ("invalid byte sequence for encoding UTF8"). Such
/// a session takes the bytes as they are, so that one bad value is one
/// rejected row (`bad_text`), not a failed read.
async fn pg_session(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    let (encoding,): (String,) = sqlx::query_as("SHOW server_encoding")
        .fetch_one(&mut *conn)
        .await?;
    if encoding.eq_ignore_ascii_case("SQL_ASCII") {
        conn.execute("SET client_encoding TO 'SQL_ASCII'").await?;
    }
    // A period is read by many short statements (`source::period`), each
    // costed high enough for PostgreSQL to compile it: 10 ms of JIT for a
    // 60 ms statement, and 1.5 s for a long one, which it did not win back.
    // (A server before version 11 has no JIT, and no such setting.)
    let _ = conn.execute("SET jit = off").await;
    Ok(())
}

/// MySQL has no startup options: each new connection is made read-only
/// and given the statement timeout (MariaDB's `max_statement_time`, in
/// seconds, or MySQL's `max_execution_time`, in milliseconds).
async fn mysql_session(
    conn: &mut sqlx::MySqlConnection,
    access: Access,
    timeout: Duration,
) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    if access == Access::ReadOnly {
        conn.execute("SET SESSION TRANSACTION READ ONLY").await?;
    }
    let mariadb = format!("SET SESSION max_statement_time = {}", timeout.as_secs_f64());
    if conn.execute(AssertSqlSafe(mariadb)).await.is_err() {
        let mysql = format!("SET SESSION max_execution_time = {}", timeout.as_millis());
        conn.execute(AssertSqlSafe(mysql)).await?;
    }
    Ok(())
}

/// What a database said, in its own words only (no driver prefix, no
/// "at line 334" of PostgreSQL's own source code).
pub(crate) fn database_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    }
}

/// A database password. Compared and printed without being shown.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    pub fn new(text: String) -> Password {
        Password(SecretString::from(text))
    }

    /// The password itself, for a driver's connect options only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl PartialEq for Password {
    fn eq(&self, other: &Password) -> bool {
        self.expose() == other.expose()
    }
}

/// The URL with any password replaced by `***`, for logs and errors. A
/// password that was not percent-encoded (a raw `/`, `@`, `:`, `#` or `?`)
/// is masked too: the user info is taken to end at the URL's last `@`, so
/// at worst more than the password is hidden, never less.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (Some(colon), Some(at)) = (rest.find(':'), rest.rfind('@')) else {
        return url.to_string();
    };
    // A user name holds none of these: the first ':' after it starts the
    // password (before it, a ':' is a host's port and there is no user).
    let user_end = rest.find(['@', '/', '?', '#']).unwrap_or(rest.len());
    if colon > user_end || colon > at {
        return url.to_string();
    }
    format!("{scheme}://{}:***@{}", &rest[..colon], &rest[at + 1..])
}
