//! Inserting a generated [`Dataset`] into the canonical source tables, on
//! any backend, in one transaction of multi-row inserts.

use sqlx::{AssertSqlSafe, MySql, Postgres, QueryBuilder, Sqlite};

use super::generate::Dataset;
use crate::model::Instant;
use crate::source::{Pool, Source};

/// Rows per INSERT: well under every backend's bind-parameter limit.
const CHUNK: usize = 500;

fn sqlite_time(t: Instant) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

macro_rules! insert_all {
    ($pool:expr, $db:ty, $time:expr, $data:expr) => {{
        let data: &Dataset = $data;
        let mut tx = $pool.begin().await?;
        for chunk in data.tickets.chunks(CHUNK) {
            let mut q = QueryBuilder::<$db>::new(
                "INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, created_by, status, updated_at) ",
            );
            q.push_values(chunk, |mut b, t| {
                b.push_bind(t.id.clone())
                    .push_bind($time(t.created_at))
                    .push_bind(t.channel.clone())
                    .push_bind(t.priority.stored())
                    .push_bind(t.category.clone())
                    .push_bind(t.requester_id.clone())
                    .push_bind(t.created_by.as_str())
                    .push_bind(t.status.as_str())
                    .push_bind($time(t.updated_at.unwrap_or(t.created_at)));
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in data.events.chunks(CHUNK) {
            let mut q = QueryBuilder::<$db>::new(
                "INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status) ",
            );
            q.push_values(chunk, |mut b, e| {
                b.push_bind(e.id)
                    .push_bind(e.ticket_id.clone())
                    .push_bind($time(e.occurred_at))
                    .push_bind(e.kind.as_str())
                    .push_bind(e.actor.as_str())
                    .push_bind(e.actor_id.clone())
                    .push_bind(e.team.clone())
                    .push_bind(e.agent_id.clone())
                    .push_bind(e.status.map(|s| s.as_str()));
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in data.surveys.chunks(CHUNK) {
            let mut q = QueryBuilder::<$db>::new(
                "INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score, comment, question) ",
            );
            q.push_values(chunk, |mut b, s| {
                b.push_bind(s.id.clone())
                    .push_bind(s.ticket_id.clone())
                    .push_bind($time(s.responded_at))
                    .push_bind(s.score.kind_str())
                    .push_bind(i32::from(s.score.value()))
                    .push_bind(s.comment.clone())
                    .push_bind(s.score.question());
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in data.engagement.chunks(CHUNK) {
            let mut q = QueryBuilder::<$db>::new(
                "INSERT INTO support_engagement_responses (id, employee_id, team, responded_at, question, score) ",
            );
            q.push_values(chunk, |mut b, e| {
                let (question, score) = e.answer.parts();
                b.push_bind(e.id.clone())
                    .push_bind(e.employee_id.clone())
                    .push_bind(e.team.clone())
                    .push_bind($time(e.responded_at))
                    .push_bind(question.to_string())
                    .push_bind(i32::from(score));
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in data.agents.chunks(CHUNK) {
            let mut q = QueryBuilder::<$db>::new(
                "INSERT INTO support_agents (agent_id, team, started_on, left_on) ",
            );
            q.push_values(chunk, |mut b, a| {
                b.push_bind(a.id.clone())
                    .push_bind(a.team.clone())
                    .push_bind(a.started_on)
                    .push_bind(a.left_on);
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }};
}

/// Inserts `data` into the canonical tables of `source` (created by
/// `migrate_canonical`).
pub async fn insert(source: &Source, data: &Dataset) -> Result<(), sqlx::Error> {
    match source.pool() {
        Pool::Sqlite(p) => insert_all!(p, Sqlite, sqlite_time, data),
        Pool::Postgres(p) => insert_all!(p, Postgres, |t: Instant| t, data),
        Pool::MySql(p) => insert_all!(p, MySql, |t: Instant| t.naive_utc(), data),
    }
    Ok(())
}

/// Empties the canonical tables (TRUNCATE where the backend has it: a
/// million rows go at once).
pub async fn clear(source: &Source) -> Result<(), sqlx::Error> {
    const TABLES: [&str; 5] = [
        "support_tickets",
        "support_ticket_events",
        "support_survey_responses",
        "support_engagement_responses",
        "support_agents",
    ];
    for table in TABLES {
        match source.pool() {
            Pool::Sqlite(p) => sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(p)
                .await
                .map(|_| ())?,
            Pool::Postgres(p) => sqlx::query(AssertSqlSafe(format!("TRUNCATE {table}")))
                .execute(p)
                .await
                .map(|_| ())?,
            Pool::MySql(p) => sqlx::query(AssertSqlSafe(format!("TRUNCATE TABLE {table}")))
                .execute(p)
                .await
                .map(|_| ())?,
        }
    }
    Ok(())
}

/// Number of tickets in the canonical tickets table.
pub async fn ticket_count(source: &Source) -> Result<i64, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM support_tickets";
    match source.pool() {
        Pool::Sqlite(p) => sqlx::query_scalar(SQL).fetch_one(p).await,
        Pool::Postgres(p) => sqlx::query_scalar(SQL).fetch_one(p).await,
        Pool::MySql(p) => sqlx::query_scalar(SQL).fetch_one(p).await,
    }
}

/// Sets the ticket rows of `ids` to solved, updated at `at`.
pub async fn mark_solved(source: &Source, ids: &[String], at: Instant) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE support_tickets SET status = 'solved', updated_at = $1 WHERE id = $2";
    const MYSQL: &str = "UPDATE support_tickets SET status = 'solved', updated_at = ? WHERE id = ?";
    for id in ids {
        match source.pool() {
            Pool::Sqlite(p) => sqlx::query(SQL)
                .bind(sqlite_time(at))
                .bind(id)
                .execute(p)
                .await
                .map(|_| ())?,
            Pool::Postgres(p) => sqlx::query(SQL)
                .bind(at)
                .bind(id)
                .execute(p)
                .await
                .map(|_| ())?,
            Pool::MySql(p) => sqlx::query(MYSQL)
                .bind(at.naive_utc())
                .bind(id)
                .execute(p)
                .await
                .map(|_| ())?,
        }
    }
    Ok(())
}
