//! The exporter's state store (DESIGN.md §7): the collection watermark,
//! every cumulative counter and histogram bucket, what incremental
//! collection remembers about tickets and recent answers, admitted label
//! values and the last KPI gauges.
//!
//! A SQLite file by default, PostgreSQL when `state.url` says so. Everything a
//! collection changes is written in one transaction with the new watermark,
//! so a restart resumes exactly where the last committed run stopped. This
//! module knows SQL and rows; what the values mean is `collect`'s business.

pub mod pending;
pub mod period;
pub mod requester;
pub mod series;
pub mod timeline;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, QueryBuilder};

use crate::config::{StateSettings, redact_url};
use crate::db::{self, DbError, Pool, Role, on_pool};
use crate::engine::facts::{TicketFacts, join_breached};
use crate::metrics;
use crate::model::{Instant, Seconds, ServqualDimension, ServqualSide};
use crate::rejects::RowKey;
pub use pending::Pending;
use series::{Cumulative, Histogram, Labels, SeriesKey};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state store URL {url} is invalid")]
    BadUrl {
        url: String,
        #[source]
        source: crate::db::BadUrl,
    },
    #[error("cannot open the state store {url}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create the state store tables in {url}: {message}")]
    Migrate { url: String, message: String },
    #[error("state store {url}: cannot {action}: {message}")]
    Query {
        url: String,
        action: &'static str,
        message: String,
    },
}

/// Where the last committed collection stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Watermark {
    /// Highest event id counted; `None` before any event.
    pub last_event_id: Option<i64>,
    /// Ticket rows updated at or after this (minus the late-arrival margin)
    /// are read again.
    pub tickets_since: Option<Instant>,
    /// Same for survey and engagement answers, by response time.
    pub responses_since: Option<Instant>,
    /// `metrics::Buckets::fingerprint` the histograms were saved under.
    pub bucket_layout: String,
    /// Ids at or below `last_event_id` not read yet (commit order).
    pub pending: Pending,
}

/// What the state store remembers of a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRow {
    pub id: String,
    pub created_at: Instant,
    pub created_by: String,
    pub priority: String,
    pub channel: String,
    pub team: Option<String>,
    pub status: String,
    pub is_open: bool,
    pub first_response_at: Option<Instant>,
    pub first_response_seconds: Option<f64>,
    pub first_resolution_at: Option<Instant>,
    /// The source row's `updated_at` when the ticket was walked.
    pub source_updated_at: Option<Instant>,
    /// An open ticket's time-in-status clocks: when its current status (or
    /// team) began, and the time in each status before (`ByStatus::encode`),
    /// for paused SLO clocks. `None` for done tickets.
    pub status_since: Option<Instant>,
    pub status_seconds: Option<String>,
    /// What `support_ticket_facts` shows of the ticket; `None` for a
    /// deleted or spam ticket (left out of the facts), and for rows read
    /// back. Boxed: rows read back (the open tickets) carry none, and
    /// hold no room for them.
    pub facts: Option<Box<TicketFacts>>,
    /// The requester's id under the store's key (`state.requester_salt`);
    /// `None` without a key.
    pub requester_hash: Option<String>,
    /// The time of the ticket's last event and its walked timeline
    /// ([`timeline::encode`]); `None` with the facts.
    pub last_event_at: Option<Instant>,
    pub timeline: Option<Vec<u8>>,
}

/// A survey or engagement answer kept for de-duplication and the KPI windows.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerRow {
    /// `surveys` or `engagement`.
    pub relation: &'static str,
    pub id: String,
    pub responded_at: Instant,
    pub team: Option<String>,
    /// Survey kind (`csat`, `nps`, `ces`), a SERVQUAL answer's kind and
    /// dimension (`servqual_perception/reliability`, see
    /// [`servqual_question`]), or engagement question.
    pub question: String,
    pub score: i64,
}

/// How a SERVQUAL answer is remembered in [`AnswerRow::question`]: its
/// kind and dimension, `servqual_perception/reliability`.
pub fn servqual_question(side: ServqualSide, dimension: ServqualDimension) -> String {
    format!("{}/{}", side.kind(), dimension.as_str())
}

/// The side and dimension of a remembered SERVQUAL answer.
pub fn parse_servqual_question(question: &str) -> Option<(ServqualSide, ServqualDimension)> {
    let (kind, dimension) = question.split_once('/')?;
    let side = [ServqualSide::Expectation, ServqualSide::Perception]
        .into_iter()
        .find(|s| s.kind() == kind)?;
    Some((side, ServqualDimension::parse(dimension)?))
}

/// Which answers the store remembers: those of the KPI windows, SERVQUAL's
/// for longer.
#[derive(Debug, Clone, Copy)]
pub struct AnswerHorizon {
    pub answers: Instant,
    pub servqual: Instant,
}

impl AnswerHorizon {
    pub fn keeps(&self, a: &AnswerRow) -> bool {
        let from = if a.question.starts_with("servqual") {
            self.servqual
        } else {
            self.answers
        };
        a.responded_at >= from
    }
}

/// Everything the store holds that is loaded at start.
#[derive(Debug, Default)]
pub struct Loaded {
    pub watermark: Option<Watermark>,
    pub cumulative: Cumulative,
    /// Admitted label values per dimension.
    pub label_values: HashMap<String, BTreeSet<String>>,
    pub kpis: Vec<(SeriesKey, f64)>,
}

/// One collection's changes, written atomically.
#[derive(Debug)]
pub struct Commit<'a> {
    pub watermark: Watermark,
    pub counters: Vec<(&'a SeriesKey, f64)>,
    pub histograms: Vec<(&'a SeriesKey, &'a Histogram)>,
    pub tickets: Vec<TicketRow>,
    pub answers: Vec<AnswerRow>,
    pub label_values: Vec<(String, String)>,
    /// The rejected rows seen by this collection (counted now or before).
    pub rejected_rows: Vec<RowKey>,
    /// Answers older than this are forgotten, and rejected rows unseen
    /// since.
    pub forget_answers_before: Instant,
    /// ... except SERVQUAL answers, kept until this for the kpi job's
    /// quarter.
    pub forget_servqual_before: Instant,
    /// The facts of done tickets not walked since are emptied
    /// (`state.facts_retention`); `None` keeps them.
    pub forget_facts_before: Option<Instant>,
    /// Done tickets whose last event is older were left without facts or
    /// timeline by this collection (backfill horizon or retention);
    /// remembered as the latest such horizon (`timelines_from`).
    pub timelines_from: Option<Instant>,
}

/// The columns of `ticket_state`, key first, in `TicketRow` order (the
/// facts' columns last, in `TicketFacts` order, then the stored timeline's,
/// pruned with them).
const TICKET_COLUMNS: [&str; 39] = [
    "id",
    "created_at",
    "created_by",
    "priority",
    "channel",
    "team",
    "status",
    "is_open",
    "first_response_at",
    "first_response_seconds",
    "first_resolution_at",
    "source_updated_at",
    "status_since",
    "status_seconds",
    "category",
    "agent_id",
    "first_response_business_seconds",
    "first_resolution_seconds",
    "first_resolution_business_seconds",
    "solved_at",
    "full_resolution_seconds",
    "requester_wait_seconds",
    "agent_wait_seconds",
    "on_hold_seconds",
    "reopens",
    "reroutes",
    "reassignments",
    "interactions",
    "replies",
    "reply_seconds_total",
    "reply_count",
    "csat_score",
    "customer_confirmed",
    "slo_breached",
    "facts_updated_at",
    "requester_hash",
    "csat_at",
    "last_event_at",
    "timeline",
];

/// Where the facts' columns start in [`TICKET_COLUMNS`].
const FACTS_FROM: usize = 14;

/// A facts value and the instant it is from: an update takes the new row's
/// only when it has one at least as recent (a ticket walked again without
/// its earlier answers keeps its CSAT, and a late older answer does not
/// replace a newer one).
const NEWEST: [(&str, &str); 1] = [("csat_score", "csat_at")];

/// `last_event_id, tickets_since, responses_since, bucket_layout,
/// pending_event_ids`.
type WatermarkRow = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    Option<String>,
);

pub struct StateStore {
    pool: Pool,
    shown_url: String,
    /// An SQLite store's file as opened: a file deleted or replaced under
    /// a running exporter is an error, never commits into an unlinked file
    /// (lost at the next start, which would backfill from scratch).
    file: Option<FileIdentity>,
}

/// A file's path and identity (device, inode) when it was opened.
#[derive(Debug, Clone)]
struct FileIdentity {
    path: PathBuf,
    id: Option<(u64, u64)>,
}

impl FileIdentity {
    fn of(path: &Path) -> FileIdentity {
        FileIdentity {
            path: path.to_path_buf(),
            id: file_id(path),
        }
    }

    /// `Err` with what happened when the file is no longer the one opened.
    fn check(&self) -> Result<(), String> {
        match (self.id, file_id(&self.path)) {
            (Some(_), None) => Err(format!(
                "its file {} was deleted while the exporter ran; nothing is committed into the \
                 deleted file — restore it, or restart to begin a new state (a full backfill)",
                self.path.display()
            )),
            (Some(a), Some(b)) if a != b => Err(format!(
                "its file {} was replaced while the exporter ran; restart to use the new one",
                self.path.display()
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|_| (0, 0))
}

mod digest_log;
mod lease;
pub use digest_log::{Claim, DigestKey, DigestLogRow, LEASE};
pub use lease::Lease;

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bind limits.
const BATCH: usize = 500;

pub fn micros(t: Instant) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(v: i64) -> Option<Instant> {
    DateTime::<Utc>::from_timestamp_micros(v)
}

/// Labels as stored: a JSON array of `[name, value]` pairs.
fn encode_labels(labels: &Labels) -> String {
    let pairs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
    serde_json::to_string(&pairs).unwrap_or_default()
}

/// `None` when the family is unknown to this version or the labels do not
/// match its label names (a series written by another version).
fn decode_series(name: &str, labels: &str) -> Option<SeriesKey> {
    let family = metrics::family(name)?;
    let mut pairs: Vec<(String, String)> = serde_json::from_str(labels).ok()?;
    // `labels.agent = true` adds a last `agent` label to the team series.
    let agent = match pairs.last() {
        Some((name, _)) if name == "agent" && family.labels.contains(&"team") => pairs.pop(),
        _ => None,
    };
    if pairs.len() != family.labels.len() {
        return None;
    }
    let mut labels = family
        .labels
        .iter()
        .zip(pairs)
        .map(|(want, (got, v))| (*want == got).then_some((*want, v)))
        .collect::<Option<Labels>>()?;
    labels.extend(agent.map(|(_, v)| ("agent", v)));
    Some(SeriesKey {
        name: family.name,
        labels,
    })
}

impl StateStore {
    /// Opens (creating a missing SQLite file and its directory) and migrates.
    pub async fn open(settings: &StateSettings) -> Result<StateStore, StateError> {
        let shown_url = redact_url(&settings.url);
        let opened = db::connect(&settings.url, settings.password.as_ref(), Role::State)
            .await
            .map_err(|e| match e {
                DbError::BadUrl { url, source } => StateError::BadUrl { url, source },
                DbError::Connect { url, source } => StateError::Connect { url, source },
                // Only a read-only source must exist already.
                DbError::MissingFile { path } => StateError::Query {
                    url: shown_url.clone(),
                    action: "open",
                    message: format!("its file {path} does not exist"),
                },
            })?;
        let pool = opened.pool;
        let file = opened.sqlite_file.as_deref().map(FileIdentity::of);
        let store = StateStore {
            pool,
            shown_url,
            file,
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StateError> {
        let res = match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("migrations/state").run(p).await,
            Pool::Postgres(p) => sqlx::migrate!("migrations/state").run(p).await,
            Pool::MySql(p) => sqlx::migrate!("migrations/state_mysql").run(p).await,
        };
        res.map_err(|e| StateError::Migrate {
            url: self.shown_url.clone(),
            message: e.to_string(),
        })
    }

    /// `text` for this store's backend: MySQL numbers no placeholders, so
    /// `$1`, `$2`, … become `?` (every statement binds in textual order).
    fn sql(&self, text: &str) -> AssertSqlSafe<String> {
        AssertSqlSafe(self.pool.dialect().sql(text))
    }

    /// The upsert clause on primary key `key`: `update` columns take the
    /// new row's values; with none, an existing row is left alone.
    fn upsert(&self, key: &str, update: &[&str]) -> String {
        match (&self.pool, update) {
            (Pool::MySql(_), []) => {
                let first = key.split(',').next().unwrap_or(key).trim();
                format!(" ON DUPLICATE KEY UPDATE {first} = {first}")
            }
            (_, []) => format!(" ON CONFLICT ({key}) DO NOTHING"),
            (_, cols) => self.upsert_keeping("", key, cols, &[]),
        }
    }

    /// As [`Self::upsert`] with columns to update, but each `(value, at)`
    /// pair of `newest` in `table` keeps its stored values unless the new
    /// row's `at` is set and no older than the stored one. (MySQL assigns
    /// left to right, each seeing the columns already set: `at` must come
    /// after `value` in `update`, so `value`'s test sees the old `at`.)
    fn upsert_keeping(
        &self,
        table: &str,
        key: &str,
        update: &[&str],
        newest: &[(&str, &str)],
    ) -> String {
        let mysql = matches!(self.pool, Pool::MySql(_));
        // The incoming row's value of column `c`, and the stored one.
        let new_old = |c: &str| {
            if mysql {
                (format!("VALUES({c})"), c.to_string())
            } else {
                (format!("excluded.{c}"), format!("{table}.{c}"))
            }
        };
        let set: Vec<String> = update
            .iter()
            .map(|c| {
                let (new_c, old_c) = new_old(c);
                match newest.iter().find(|(v, at)| v == c || at == c) {
                    None => format!("{c} = {new_c}"),
                    Some((_, at)) => {
                        let (new_at, old_at) = new_old(at);
                        format!(
                            "{c} = CASE WHEN {new_at} IS NOT NULL AND ({old_at} IS NULL OR {new_at} >= {old_at}) \
                             THEN {new_c} ELSE {old_c} END"
                        )
                    }
                }
            })
            .collect();
        match &self.pool {
            Pool::MySql(_) => format!(" ON DUPLICATE KEY UPDATE {}", set.join(", ")),
            _ => format!(" ON CONFLICT ({key}) DO UPDATE SET {}", set.join(", ")),
        }
    }

    /// `n` placeholders, comma-separated, for this backend.
    fn placeholders(&self, n: usize) -> String {
        self.pool.dialect().placeholders(n)
    }

    /// `Err` when an SQLite store's file is gone or replaced.
    fn still_there(&self) -> Result<(), StateError> {
        match self.file.as_ref().map(FileIdentity::check) {
            Some(Err(message)) => Err(StateError::Query {
                url: self.shown_url.clone(),
                action: "commit",
                message,
            }),
            _ => Ok(()),
        }
    }

    fn err(&self, action: &'static str) -> impl Fn(sqlx::Error) -> StateError + '_ {
        move |e| StateError::Query {
            url: self.shown_url.clone(),
            action,
            message: db::database_message(&e),
        }
    }

    /// Loads the watermark, every cumulative series, admitted label values
    /// and the last KPI gauges.
    pub async fn load(&self) -> Result<Loaded, StateError> {
        let mut loaded = Loaded::default();
        let wm: Option<WatermarkRow> = on_pool!(&self.pool, p =>
            sqlx::query_as(
                "SELECT last_event_id, tickets_since, responses_since, bucket_layout, pending_event_ids \
                 FROM collect_watermark WHERE id = 1",
            )
            .fetch_optional(p)
            .await
        )
        .map_err(self.err("read the watermark"))?;
        loaded.watermark = wm.map(|(e, t, r, layout, pending)| Watermark {
            last_event_id: e,
            tickets_since: t.and_then(from_micros),
            responses_since: r.and_then(from_micros),
            bucket_layout: layout,
            pending: pending
                .as_deref()
                .map_or(Some(Pending::default()), Pending::decode)
                .unwrap_or_else(|| {
                    tracing::warn!("the stored awaited event ids are unreadable; none are awaited");
                    Pending::default()
                }),
        });

        let counters: Vec<(String, String, f64)> = on_pool!(&self.pool, p =>
            sqlx::query_as("SELECT name, labels, value FROM counter_series").fetch_all(p).await
        )
        .map_err(self.err("read counters"))?;
        let mut skipped = 0usize;
        for (name, labels, value) in counters {
            match decode_series(&name, &labels) {
                Some(k) => loaded.cumulative.restore_counter(k, value),
                None => skipped += 1,
            }
        }
        let hists: Vec<(String, String, String, f64, i64)> = on_pool!(&self.pool, p =>
            sqlx::query_as("SELECT name, labels, buckets, sum, count FROM histogram_series")
                .fetch_all(p)
                .await
        )
        .map_err(self.err("read histograms"))?;
        for (name, labels, buckets, sum, count) in hists {
            let counts: Option<Vec<u64>> = serde_json::from_str(&buckets).ok();
            match (decode_series(&name, &labels), counts) {
                (Some(k), Some(counts)) => loaded.cumulative.restore_histogram(
                    k,
                    Histogram {
                        counts,
                        sum,
                        count: u64::try_from(count).unwrap_or(0),
                    },
                ),
                _ => skipped += 1,
            }
        }
        if skipped > 0 {
            tracing::warn!(
                skipped,
                "state store holds series this version does not know; they are not exposed"
            );
        }
        loaded.cumulative.mark_saved();

        let labels: Vec<(String, String)> = on_pool!(&self.pool, p =>
            sqlx::query_as("SELECT dimension, value FROM label_value").fetch_all(p).await
        )
        .map_err(self.err("read label values"))?;
        for (dim, value) in labels {
            loaded.label_values.entry(dim).or_default().insert(value);
        }

        let kpis: Vec<(String, String, f64)> = on_pool!(&self.pool, p =>
            sqlx::query_as("SELECT name, labels, value FROM kpi_gauge").fetch_all(p).await
        )
        .map_err(self.err("read KPI gauges"))?;
        loaded.kpis = kpis
            .into_iter()
            .filter_map(|(n, l, v)| decode_series(&n, &l).map(|k| (k, v)))
            .collect();
        Ok(loaded)
    }

    /// Which of `ids` the store already knows (their creation was counted),
    /// with the source row's `updated_at` when each was last walked.
    pub async fn known_tickets(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, Option<Instant>>, StateError> {
        let mut known = HashMap::new();
        for chunk in ids.chunks(BATCH) {
            let found: Vec<(String, Option<i64>)> = on_pool!(&self.pool, p => {
                let mut qb = QueryBuilder::new(
                    "SELECT id, source_updated_at FROM ticket_state WHERE id IN (",
                );
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(id.clone());
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await
            })
            .map_err(self.err("look up known tickets"))?;
            known.extend(
                found
                    .into_iter()
                    .map(|(id, at)| (id, at.and_then(from_micros))),
            );
        }
        Ok(known)
    }

    /// Which answers of `relation` among `ids` were already counted.
    pub async fn known_answers(
        &self,
        relation: &str,
        ids: &[String],
    ) -> Result<HashSet<String>, StateError> {
        let mut known = HashSet::new();
        for chunk in ids.chunks(BATCH) {
            let found: Vec<(String,)> = on_pool!(&self.pool, p => {
                let mut qb = QueryBuilder::new("SELECT id FROM recent_answer WHERE relation = ");
                qb.push_bind(relation.to_string());
                qb.push(" AND id IN (");
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(id.clone());
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await
            })
            .map_err(self.err("look up counted answers"))?;
            known.extend(found.into_iter().map(|(id,)| id));
        }
        Ok(known)
    }

    /// Which of the rejected rows `keys` an earlier collection counted.
    pub async fn counted_rejections(&self, keys: &[RowKey]) -> Result<HashSet<RowKey>, StateError> {
        let mut known = HashSet::new();
        for chunk in keys.chunks(BATCH) {
            let found: Vec<(i64,)> = on_pool!(&self.pool, p => {
                let mut qb = QueryBuilder::new("SELECT row_key FROM rejected_row WHERE row_key IN (");
                let mut sep = qb.separated(", ");
                for k in chunk {
                    sep.push_bind(k.0);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(p).await
            })
            .map_err(self.err("look up counted rejections"))?;
            known.extend(found.into_iter().map(|(k,)| RowKey(k)));
        }
        Ok(known)
    }

    /// Every ticket not solved, closed, deleted or spam as of the last
    /// collection, with its facts' `slo_breached` (empty for none).
    pub async fn open_tickets(&self) -> Result<Vec<(TicketRow, String)>, StateError> {
        type Row = (
            String,
            i64,
            String,
            String,
            String,
            Option<String>,
            String,
            Option<i64>,
            Option<f64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = on_pool!(&self.pool, p =>
            sqlx::query_as(
                "SELECT id, created_at, created_by, priority, channel, team, status, \
                 first_response_at, first_response_seconds, first_resolution_at, \
                 source_updated_at, status_since, status_seconds, slo_breached \
                 FROM ticket_state WHERE is_open = 1",
            )
            .fetch_all(p)
            .await
        )
        .map_err(self.err("read open tickets"))?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let row = TicketRow {
                    id: r.0,
                    created_at: from_micros(r.1)?,
                    created_by: r.2,
                    priority: r.3,
                    channel: r.4,
                    team: r.5,
                    status: r.6,
                    is_open: true,
                    first_response_at: r.7.and_then(from_micros),
                    first_response_seconds: r.8,
                    first_resolution_at: r.9.and_then(from_micros),
                    source_updated_at: r.10.and_then(from_micros),
                    status_since: r.11.and_then(from_micros),
                    status_seconds: r.12,
                    facts: None,
                    requester_hash: None,
                    last_event_at: None,
                    timeline: None,
                };
                Some((row, r.13.unwrap_or_default()))
            })
            .collect())
    }

    /// Sets the facts' `slo_breached` of open tickets whose running clock
    /// passed a target since they were walked, as of `now`.
    pub async fn refresh_breaches(
        &self,
        breaches: &[(String, String)],
        now: Instant,
    ) -> Result<(), StateError> {
        self.still_there()?;
        let sql = self.pool.dialect().sql(
            "UPDATE ticket_state SET slo_breached = $1, facts_updated_at = $2 \
             WHERE id = $3 AND facts_updated_at IS NOT NULL",
        );
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(self.err("begin a transaction"))?;
            for (id, breached) in breaches {
                sqlx::query(AssertSqlSafe(sql.clone()))
                    .bind(breached)
                    .bind(micros(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.err("save the tickets' SLO breaches"))?;
            }
            tx.commit().await.map_err(self.err("commit"))?;
        });
        Ok(())
    }

    /// First responses measured at or after `since`: when, and how long
    /// they took (calendar seconds).
    pub async fn first_responses_since(
        &self,
        since: Instant,
    ) -> Result<Vec<(Instant, f64)>, StateError> {
        let rows: Vec<(i64, f64)> = on_pool!(&self.pool, p =>
            sqlx::query_as(
                self.sql("SELECT first_response_at, first_response_seconds FROM ticket_state \
                 WHERE first_response_at >= $1 AND first_response_seconds IS NOT NULL"),
            )
            .bind(micros(since))
            .fetch_all(p)
            .await
        )
        .map_err(self.err("read first responses"))?;
        Ok(rows
            .into_iter()
            .filter_map(|(at, v)| Some((from_micros(at)?, v)))
            .collect())
    }

    /// Customer tickets created at or after `since`: when, and the team that
    /// holds each now (the arrivals heatmap's staffing question is "which
    /// team gets these hours' tickets").
    pub async fn arrivals_since(
        &self,
        since: Instant,
    ) -> Result<Vec<(Instant, Option<String>)>, StateError> {
        let rows: Vec<(i64, Option<String>)> = on_pool!(&self.pool, p =>
            sqlx::query_as(
                self.sql("SELECT created_at, team FROM ticket_state \
                 WHERE created_at >= $1 AND created_by = 'customer'"),
            )
            .bind(micros(since))
            .fetch_all(p)
            .await
        )
        .map_err(self.err("read arrivals"))?;
        Ok(rows
            .into_iter()
            .filter_map(|(at, team)| Some((from_micros(at)?, team)))
            .collect())
    }

    /// Remembered answers given at or after `since`.
    pub async fn answers_since(&self, since: Instant) -> Result<Vec<AnswerRow>, StateError> {
        let rows: Vec<(String, String, i64, Option<String>, String, i32)> =
            on_pool!(&self.pool, p =>
                sqlx::query_as(
                    self.sql("SELECT relation, id, responded_at, team, question, score FROM recent_answer \
                     WHERE responded_at >= $1"),
                )
                .bind(micros(since))
                .fetch_all(p)
                .await
            )
            .map_err(self.err("read recent answers"))?;
        Ok(rows
            .into_iter()
            .filter_map(|(rel, id, at, team, question, score)| {
                let relation = match rel.as_str() {
                    "surveys" => "surveys",
                    "engagement" => "engagement",
                    _ => return None,
                };
                Some(AnswerRow {
                    relation,
                    id,
                    responded_at: from_micros(at)?,
                    team,
                    question,
                    score: i64::from(score),
                })
            })
            .collect())
    }

    /// Writes one collection's changes and its watermark in one transaction.
    pub async fn commit(&self, c: &Commit<'_>) -> Result<(), StateError> {
        self.begin().await?.finish(c).await
    }

    /// Opens the transaction of one collection: rows written through the
    /// [`Writer`] count only once [`Writer::finish`] commits them with the
    /// watermark; dropped unfinished, it rolls back. A backfill writes its
    /// ticket rows in batches this way instead of holding them all.
    pub async fn begin(&self) -> Result<Writer<'_>, StateError> {
        self.still_there()?;
        let begin = self.err("begin a transaction");
        let tx = match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await.map_err(begin)?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await.map_err(begin)?),
            Pool::MySql(p) => Tx::MySql(p.begin().await.map_err(begin)?),
        };
        Ok(Writer { store: self, tx })
    }

    /// Replaces the stored KPI gauges.
    pub async fn save_kpis(&self, kpis: &[(SeriesKey, f64)]) -> Result<(), StateError> {
        self.still_there()?;
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(self.err("begin a transaction"))?;
            sqlx::query("DELETE FROM kpi_gauge")
                .execute(&mut *tx)
                .await
                .map_err(self.err("save KPI gauges"))?;
            for chunk in kpis.chunks(BATCH) {
                let mut qb = QueryBuilder::new("INSERT INTO kpi_gauge (name, labels, value) ");
                qb.push_values(chunk, |mut b, (k, v)| {
                    b.push_bind(k.name).push_bind(encode_labels(&k.labels)).push_bind(*v);
                });
                qb.build().execute(&mut *tx).await.map_err(self.err("save KPI gauges"))?;
            }
            tx.commit().await.map_err(self.err("commit"))?;
        });
        Ok(())
    }

    /// Forgets everything collected: the next collection backfills from scratch.
    pub async fn reset(&self) -> Result<(), StateError> {
        const TABLES: [&str; 8] = [
            "collect_watermark",
            "rejected_row",
            "counter_series",
            "histogram_series",
            "ticket_state",
            "recent_answer",
            "label_value",
            "kpi_gauge",
        ];
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(self.err("begin a transaction"))?;
            for t in TABLES {
                sqlx::query(AssertSqlSafe(format!("DELETE FROM {t}")))
                    .execute(&mut *tx)
                    .await
                    .map_err(self.err("reset"))?;
            }
            tx.commit().await.map_err(self.err("commit"))?;
        });
        Ok(())
    }
}

/// An open transaction of the state store.
enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    MySql(sqlx::Transaction<'static, sqlx::MySql>),
}

/// Runs `$body` with `$t` bound to whichever transaction is open.
macro_rules! on_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite($t) => $body,
            Tx::Postgres($t) => $body,
            Tx::MySql($t) => $body,
        }
    };
}

/// One collection's open transaction (see [`StateStore::begin`]).
pub struct Writer<'s> {
    store: &'s StateStore,
    tx: Tx,
}

impl Writer<'_> {
    /// Inserts or replaces ticket rows.
    pub async fn tickets(&mut self, rows: &[TicketRow]) -> Result<(), StateError> {
        let s = self.store;
        on_tx!(&mut self.tx, tx => {
            for chunk in rows.chunks(BATCH) {
                let mut qb = QueryBuilder::new(format!(
                    "INSERT INTO ticket_state ({}) ",
                    TICKET_COLUMNS.join(", ")
                ));
                qb.push_values(chunk, |mut b, t| {
                    b.push_bind(t.id.clone())
                        .push_bind(micros(t.created_at))
                        .push_bind(t.created_by.clone())
                        .push_bind(t.priority.clone())
                        .push_bind(t.channel.clone())
                        .push_bind(t.team.clone())
                        .push_bind(t.status.clone())
                        .push_bind(i16::from(t.is_open))
                        .push_bind(t.first_response_at.map(micros))
                        .push_bind(t.first_response_seconds)
                        .push_bind(t.first_resolution_at.map(micros))
                        .push_bind(t.source_updated_at.map(micros))
                        .push_bind(t.status_since.map(micros))
                        .push_bind(t.status_seconds.clone());
                    let f = t.facts.as_ref();
                    let secs = |v: Option<Seconds>| v.map(|s| s.0);
                    let count = |v: u32| i64::from(v);
                    b.push_bind(f.and_then(|f| f.category.clone()))
                        .push_bind(f.and_then(|f| f.agent_id.clone()))
                        .push_bind(f.and_then(|f| f.first_response).map(|e| e.business.0))
                        .push_bind(f.and_then(|f| f.first_resolution).map(|e| e.calendar.0))
                        .push_bind(f.and_then(|f| f.first_resolution).map(|e| e.business.0))
                        .push_bind(f.and_then(|f| f.solved_at).map(micros))
                        .push_bind(secs(f.and_then(|f| f.full_resolution)))
                        .push_bind(secs(f.and_then(|f| f.requester_wait)))
                        .push_bind(secs(f.and_then(|f| f.agent_wait)))
                        .push_bind(secs(f.and_then(|f| f.on_hold)))
                        .push_bind(f.map(|f| count(f.reopens)))
                        .push_bind(f.map(|f| count(f.reroutes)))
                        .push_bind(f.map(|f| count(f.reassignments)))
                        .push_bind(f.map(|f| count(f.interactions)))
                        .push_bind(f.map(|f| count(f.replies)))
                        .push_bind(f.map(|f| f.reply_seconds_total.0))
                        .push_bind(f.map(|f| count(f.reply_count)))
                        .push_bind(f.and_then(|f| f.csat_score).map(i16::from))
                        .push_bind(f.and_then(|f| f.customer_confirmed).map(i16::from))
                        .push_bind(f.map(|f| join_breached(&f.slo_breached)))
                        .push_bind(f.map(|f| micros(f.updated_at)))
                        .push_bind(t.requester_hash.clone())
                        .push_bind(f.and_then(|f| f.csat_at).map(micros))
                        .push_bind(t.last_event_at.map(micros))
                        .push_bind(t.timeline.clone());
                });
                qb.push(s.upsert_keeping("ticket_state", "id", &TICKET_COLUMNS[1..], &NEWEST));
                qb.build().execute(&mut **tx).await.map_err(s.err("save tickets"))?;
            }
        });
        Ok(())
    }

    /// Inserts answers not yet remembered.
    pub async fn answers(&mut self, rows: &[AnswerRow]) -> Result<(), StateError> {
        let s = self.store;
        on_tx!(&mut self.tx, tx => {
            for chunk in rows.chunks(BATCH) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO recent_answer (relation, id, responded_at, team, question, score) ",
                );
                qb.push_values(chunk, |mut b, a| {
                    b.push_bind(a.relation)
                        .push_bind(a.id.clone())
                        .push_bind(micros(a.responded_at))
                        .push_bind(a.team.clone())
                        .push_bind(a.question.clone())
                        .push_bind(a.score);
                });
                qb.push(s.upsert("relation, id", &[]));
                qb.build().execute(&mut **tx).await.map_err(s.err("save answers"))?;
            }
        });
        Ok(())
    }

    /// Writes the rest of the collection's changes and its watermark, and
    /// commits.
    pub async fn finish(mut self, c: &Commit<'_>) -> Result<(), StateError> {
        self.tickets(&c.tickets).await?;
        self.answers(&c.answers).await?;
        let s = self.store;
        on_tx!(self.tx, tx => {
            let mut tx = tx;
            for chunk in c.counters.chunks(BATCH) {
                let mut qb = QueryBuilder::new("INSERT INTO counter_series (name, labels, value) ");
                qb.push_values(chunk, |mut b, (k, v)| {
                    b.push_bind(k.name).push_bind(encode_labels(&k.labels)).push_bind(*v);
                });
                qb.push(s.upsert("name, labels", &["value"]));
                qb.build().execute(&mut *tx).await.map_err(s.err("save counters"))?;
            }
            for chunk in c.histograms.chunks(BATCH) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO histogram_series (name, labels, buckets, sum, count) ",
                );
                qb.push_values(chunk, |mut b, (k, h)| {
                    b.push_bind(k.name)
                        .push_bind(encode_labels(&k.labels))
                        .push_bind(serde_json::to_string(&h.counts).unwrap_or_default())
                        .push_bind(h.sum)
                        .push_bind(i64::try_from(h.count).unwrap_or(i64::MAX));
                });
                qb.push(s.upsert("name, labels", &["buckets", "sum", "count"]));
                qb.build().execute(&mut *tx).await.map_err(s.err("save histograms"))?;
            }
            for chunk in c.label_values.chunks(BATCH) {
                let mut qb = QueryBuilder::new("INSERT INTO label_value (dimension, value) ");
                qb.push_values(chunk, |mut b, (d, v)| {
                    b.push_bind(d.clone()).push_bind(v.clone());
                });
                qb.push(s.upsert("dimension, value", &[]));
                qb.build().execute(&mut *tx).await.map_err(s.err("save label values"))?;
            }
            sqlx::query(s.sql(
                "DELETE FROM recent_answer WHERE responded_at < $1 \
                 AND (question NOT LIKE 'servqual%' OR responded_at < $2)",
            ))
            .bind(micros(c.forget_answers_before))
            .bind(micros(c.forget_servqual_before))
                .execute(&mut *tx)
                .await
                .map_err(s.err("forget old answers"))?;
            let seen = micros(c.watermark.tickets_since.unwrap_or(c.forget_answers_before));
            for chunk in c.rejected_rows.chunks(BATCH) {
                let mut qb = QueryBuilder::new("INSERT INTO rejected_row (row_key, seen_at) ");
                qb.push_values(chunk, |mut b, k| {
                    b.push_bind(k.0).push_bind(seen);
                });
                qb.push(s.upsert("row_key", &["seen_at"]));
                qb.build().execute(&mut *tx).await.map_err(s.err("save rejected rows"))?;
            }
            if let Some(before) = c.forget_facts_before {
                // The row itself stays: it says the ticket was counted.
                // Counted from the solve: a recount's rewrite of an old
                // ticket does not restart its retention.
                let set: Vec<String> =
                    TICKET_COLUMNS[FACTS_FROM..].iter().map(|c| format!("{c} = NULL")).collect();
                sqlx::query(s.sql(&format!(
                    "UPDATE ticket_state SET {} WHERE is_open = 0 \
                     AND COALESCE(last_event_at, solved_at, facts_updated_at) < $1",
                    set.join(", ")
                )))
                .bind(micros(before))
                .execute(&mut *tx)
                .await
                .map_err(s.err("forget old ticket facts"))?;
            }
            sqlx::query(s.sql("DELETE FROM rejected_row WHERE seen_at < $1"))
                .bind(micros(c.forget_answers_before))
                .execute(&mut *tx)
                .await
                .map_err(s.err("forget old rejected rows"))?;
            let w = &c.watermark;
            let upsert = s.upsert(
                "id",
                &[
                    "last_event_id",
                    "tickets_since",
                    "responses_since",
                    "bucket_layout",
                    "pending_event_ids",
                    "updated_at",
                ],
            );
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO collect_watermark (id, last_event_id, tickets_since, responses_since, \
                 bucket_layout, pending_event_ids, updated_at) VALUES (1, {}){upsert}",
                s.placeholders(6)
            )))
            .bind(w.last_event_id)
            .bind(w.tickets_since.map(micros))
            .bind(w.responses_since.map(micros))
            .bind(w.bucket_layout.clone())
            .bind(w.pending.encode())
            .bind(micros(Utc::now()))
            .execute(&mut *tx)
            .await
            .map_err(s.err("save the watermark"))?;
            // The latest horizon wins: a store pruned once stays pruned.
            let horizon = c.timelines_from.into_iter().chain(c.forget_facts_before).max();
            if let Some(h) = horizon {
                sqlx::query(s.sql(
                    "UPDATE collect_watermark SET timelines_from = $1 \
                     WHERE id = 1 AND (timelines_from IS NULL OR timelines_from < $2)",
                ))
                .bind(micros(h))
                .bind(micros(h))
                .execute(&mut *tx)
                .await
                .map_err(s.err("save the timelines' horizon"))?;
            }
            tx.commit().await.map_err(s.err("commit"))?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_labels_round_trip_and_foreign_series_are_refused() {
        let key = SeriesKey {
            name: metrics::CSAT.name,
            labels: vec![
                ("team", "billing".into()),
                ("channel", "e,m=\"ail".into()),
                ("score", "5".into()),
            ],
        };
        let text = encode_labels(&key.labels);
        assert_eq!(decode_series(key.name, &text), Some(key));
        assert_eq!(decode_series("support_unknown_total", "[]"), None);
        // Label names that are not the family's.
        assert_eq!(decode_series(metrics::NPS.name, r#"[["team","x"]]"#), None);
    }
}
