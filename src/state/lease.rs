//! Leadership among replicas sharing one state store: exactly one process
//! runs the jobs (collect, kpi, digest); the others wait to take over.
//!
//! PostgreSQL: a session advisory lock; MySQL/MariaDB: `GET_LOCK`. Both are
//! held by one connection kept open for the purpose: when the leader dies,
//! its session ends and the lock is free for the next replica that asks.
//! The lock's key is the state store's own (database and schema), so that
//! two deployments on one server do not exclude each other. An SQLite state
//! store is one process's file: that process always leads.

use sqlx::{Connection, MySqlConnection, PgConnection};

use super::{StateError, StateStore};
use crate::db::Pool;

/// The leadership, held while this lives.
pub enum Lease {
    /// SQLite: nothing to share.
    Sole,
    Postgres(PgConnection),
    MySql(MySqlConnection),
}

const PG_KEY: &str =
    "hashtext(current_database() || '/' || current_schema() || '/support-metrics-leader')";
const MYSQL_KEY: &str = "SHA1(CONCAT(DATABASE(), '/support-metrics-leader'))";

impl StateStore {
    /// Becomes the leader if no other process is; `None` when one is.
    pub async fn try_lead(&self) -> Result<Option<Lease>, StateError> {
        let err = self.err("ask for the leadership");
        match &self.pool {
            Pool::Sqlite(_) => Ok(Some(Lease::Sole)),
            Pool::Postgres(p) => {
                let mut conn = p.acquire().await.map_err(&err)?.detach();
                let (got,): (bool,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT pg_try_advisory_lock({PG_KEY})"
                )))
                .fetch_one(&mut conn)
                .await
                .map_err(&err)?;
                Ok(got.then_some(Lease::Postgres(conn)))
            }
            Pool::MySql(p) => {
                let mut conn = p.acquire().await.map_err(&err)?.detach();
                let (got,): (Option<i64>,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT GET_LOCK({MYSQL_KEY}, 0)"
                )))
                .fetch_one(&mut conn)
                .await
                .map_err(&err)?;
                Ok((got == Some(1)).then_some(Lease::MySql(conn)))
            }
        }
    }
}

impl Lease {
    /// Whether other processes may share the state store.
    pub fn shared(&self) -> bool {
        !matches!(self, Lease::Sole)
    }

    /// Whether the leadership is still held: the lock's session is alive
    /// (a database restart ends it, and another replica may lead now).
    pub async fn held(&mut self) -> bool {
        match self {
            Lease::Sole => true,
            Lease::Postgres(c) => c.ping().await.is_ok(),
            Lease::MySql(c) => {
                // Both are unsigned; compared in SQL, 1 when this session holds it.
                let mine: Result<(Option<i64>,), _> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT CAST(IS_USED_LOCK({MYSQL_KEY}) = CONNECTION_ID() AS SIGNED)"
                )))
                .fetch_one(&mut *c)
                .await;
                matches!(mine, Ok((Some(1),)))
            }
        }
    }
}
