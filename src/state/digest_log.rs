//! The digest log: which week's digest went to whom, so each is sent
//! exactly once across restarts, retries and replicas.
//!
//! A sender first *claims* a (week, scope, recipient) row; the primary key
//! makes the claim atomic, so of two replicas only one wins. The row is
//! marked `sent` only after the SMTP server accepted the message; a failed
//! send marks it `failed`, free for the next run to claim again; a
//! permanent refusal (a 5xx answer) marks it `refused`, for good. A claim
//! left `sending` by a process that died is taken over after [`LEASE`].

use std::time::Duration;

use super::{StateError, StateStore, from_micros, micros};
use crate::db::on_pool;
use crate::model::Instant;

/// How long a claim protects a send in progress.
pub const LEASE: Duration = Duration::from_secs(15 * 60);

/// Identifies one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestKey {
    pub week: String,
    pub scope: String,
    pub recipient: String,
}

/// The result of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This owner may send.
    Mine,
    /// Already accepted by the SMTP server: nothing to do.
    AlreadySent,
    /// Another sender holds a live claim.
    Busy,
    /// The SMTP server refused it for good (its answer): not sent again.
    Refused(String),
}

/// A row of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestLogRow {
    pub key: DigestKey,
    pub status: String,
    pub attempts: i64,
    pub message_id: Option<String>,
    pub sent_at: Option<Instant>,
    pub last_error: Option<String>,
}

/// `week, scope, recipient, status, attempts, message_id, sent_at, last_error`.
type Row = (
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
);

impl StateStore {
    /// Claims `key` for `owner` at `now`.
    pub async fn claim_digest(
        &self,
        key: &DigestKey,
        owner: &str,
        now: Instant,
    ) -> Result<Claim, StateError> {
        let stale = micros(now) - i64::try_from(LEASE.as_micros()).unwrap_or(i64::MAX);
        // A plain INSERT: the primary key refuses a second claim on every
        // backend (MySQL's upsert row counts cannot tell the cases apart).
        let inserted = on_pool!(&self.pool, p => sqlx::query(self.sql(
            "INSERT INTO digest_log (week, scope, recipient, status, owner, claimed_at, attempts) \
             VALUES ($1, $2, $3, 'sending', $4, $5, 0)",
        ))
        .bind(&key.week)
        .bind(&key.scope)
        .bind(&key.recipient)
        .bind(owner)
        .bind(micros(now))
        .execute(p)
        .await
        .map(|r| r.rows_affected()));
        let inserted = match inserted {
            Ok(n) => n,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => 0,
            Err(e) => return Err(self.err("claim a digest")(e)),
        };
        if inserted == 1 {
            return Ok(Claim::Mine);
        }
        let taken = on_pool!(&self.pool, p => sqlx::query(self.sql(
            "UPDATE digest_log SET status = 'sending', owner = $1, claimed_at = $2 \
             WHERE week = $3 AND scope = $4 AND recipient = $5 \
             AND (status = 'failed' OR (status = 'sending' AND claimed_at < $6))",
        ))
        .bind(owner)
        .bind(micros(now))
        .bind(&key.week)
        .bind(&key.scope)
        .bind(&key.recipient)
        .bind(stale)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        .map_err(self.err("claim a digest"))?);
        if taken == 1 {
            return Ok(Claim::Mine);
        }
        let status: Option<(String, Option<String>)> = on_pool!(&self.pool, p => sqlx::query_as(self.sql(
            "SELECT status, last_error FROM digest_log WHERE week = $1 AND scope = $2 AND recipient = $3",
        ))
        .bind(&key.week)
        .bind(&key.scope)
        .bind(&key.recipient)
        .fetch_optional(p)
        .await
        .map_err(self.err("read the digest log"))?);
        Ok(match status {
            Some((s, _)) if s == "sent" => Claim::AlreadySent,
            Some((s, error)) if s == "refused" => Claim::Refused(error.unwrap_or_default()),
            _ => Claim::Busy,
        })
    }

    /// Records that the SMTP server accepted `key`'s message.
    pub async fn digest_sent(
        &self,
        key: &DigestKey,
        owner: &str,
        message_id: &str,
        attempts: u32,
        now: Instant,
    ) -> Result<(), StateError> {
        on_pool!(&self.pool, p => sqlx::query(self.sql(
            "UPDATE digest_log SET status = 'sent', message_id = $1, sent_at = $2, \
             attempts = attempts + $3, last_error = NULL \
             WHERE week = $4 AND scope = $5 AND recipient = $6 AND owner = $7",
        ))
        .bind(message_id)
        .bind(micros(now))
        .bind(i64::from(attempts))
        .bind(&key.week)
        .bind(&key.scope)
        .bind(&key.recipient)
        .bind(owner)
        .execute(p)
        .await
        .map(|_| ())
        .map_err(self.err("record a sent digest"))?);
        Ok(())
    }

    /// Releases `key` after a failed send, for the next run to retry.
    pub async fn digest_failed(
        &self,
        key: &DigestKey,
        owner: &str,
        error: &str,
        attempts: u32,
    ) -> Result<(), StateError> {
        self.digest_not_sent(key, owner, "failed", error, attempts)
            .await
    }

    /// Records that the SMTP server refused `key`'s message for good.
    pub async fn digest_refused(
        &self,
        key: &DigestKey,
        owner: &str,
        error: &str,
        attempts: u32,
    ) -> Result<(), StateError> {
        self.digest_not_sent(key, owner, "refused", error, attempts)
            .await
    }

    async fn digest_not_sent(
        &self,
        key: &DigestKey,
        owner: &str,
        status: &'static str,
        error: &str,
        attempts: u32,
    ) -> Result<(), StateError> {
        on_pool!(&self.pool, p => sqlx::query(self.sql(
            "UPDATE digest_log SET status = $1, last_error = $2, attempts = attempts + $3 \
             WHERE week = $4 AND scope = $5 AND recipient = $6 AND owner = $7",
        ))
        .bind(status)
        .bind(error)
        .bind(i64::from(attempts))
        .bind(&key.week)
        .bind(&key.scope)
        .bind(&key.recipient)
        .bind(owner)
        .execute(p)
        .await
        .map(|_| ())
        .map_err(self.err("record an unsent digest"))?);
        Ok(())
    }

    /// The log of `week`, by scope and recipient.
    pub async fn digest_log(&self, week: &str) -> Result<Vec<DigestLogRow>, StateError> {
        let rows: Vec<Row> = on_pool!(&self.pool, p => sqlx::query_as(self.sql(
            "SELECT week, scope, recipient, status, attempts, message_id, sent_at, last_error \
             FROM digest_log WHERE week = $1 ORDER BY scope, recipient",
        ))
        .bind(week)
        .fetch_all(p)
        .await
        .map_err(self.err("read the digest log"))?);
        Ok(rows
            .into_iter()
            .map(
                |(week, scope, recipient, status, attempts, message_id, sent_at, last_error)| {
                    DigestLogRow {
                        key: DigestKey {
                            week,
                            scope,
                            recipient,
                        },
                        status,
                        attempts,
                        message_id,
                        sent_at: sent_at.and_then(from_micros),
                        last_error,
                    }
                },
            )
            .collect())
    }
}
