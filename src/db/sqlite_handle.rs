//! Reading SQLite rows on the calling thread.
//!
//! sqlx runs each SQLite connection on a worker thread and hands every
//! row to the async side through a channel: on a period read from the
//! state store (100k–1M rows) the profile showed a third of the time in
//! those hand-offs (thread wake-ups, one allocation per value). Here the
//! worker is paused (`lock_handle`), the same connection is borrowed
//! through `rusqlite`, and the rows are stepped where they are used.

use std::ptr::NonNull;

use sqlx::SqlitePool;
use sqlx::sqlite::SqliteConnection;
use tokio::runtime::{Handle, RuntimeFlavor};

/// Why a connection could not be lent.
#[derive(Debug, thiserror::Error)]
pub enum LendError {
    #[error(transparent)]
    Pool(#[from] sqlx::Error),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// Runs `read` with one of `pool`'s connections as a `rusqlite`
/// connection. It blocks: on a multi-threaded runtime the thread's
/// other tasks move elsewhere meanwhile (`block_in_place`).
pub async fn with_connection<T>(
    pool: &SqlitePool,
    read: impl FnOnce(&rusqlite::Connection) -> T,
) -> Result<T, LendError> {
    let mut pooled = pool.acquire().await?;
    let conn: &mut SqliteConnection = &mut pooled;
    let mut locked = conn.lock_handle().await?;
    let raw: NonNull<rusqlite::ffi::sqlite3> = locked.as_raw_handle();
    let run = || -> Result<T, LendError> {
        // SAFETY: while `locked` lives sqlx's worker makes no call on
        // this handle or its statements (`LockedSqliteHandle`'s
        // contract), and `from_handle` borrows it: the statements `read`
        // prepares are finalized as they drop, inside it, and dropping
        // `lent` (before `locked`) leaves the handle open.
        let lent = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }?;
        let out = read(&lent);
        // sqlx does not know of a transaction begun here: none may go
        // back to the pool open.
        if !lent.is_autocommit() {
            lent.execute_batch("ROLLBACK")?;
        }
        Ok(out)
    };
    let out = if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
        tokio::task::block_in_place(run)
    } else {
        run()
    };
    drop(locked);
    out
}
