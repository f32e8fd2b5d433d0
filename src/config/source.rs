//! `[source]`: the helpdesk database and how its relations are read.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{database, parse_duration};
use crate::db::Password;
use crate::model::Relation;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    url: Option<String>,
    statement_timeout: Option<String>,
    ces_direction: Option<String>,
    #[serde(default)]
    relations: BTreeMap<String, String>,
    #[serde(default)]
    queries: BTreeMap<String, String>,
    preset: Option<String>,
    table_prefix: Option<String>,
    backfill_days: Option<u32>,
    late_arrival: Option<String>,
    period_chunk: Option<usize>,
    /// Only from the environment (refused in the file before overrides).
    password: Option<String>,
    password_file: Option<PathBuf>,
}

/// How one relation is read: a table or view name, or a query.
#[derive(Debug, Clone, PartialEq)]
pub enum RelationSource {
    Table(String),
    Query(String),
}

/// Which end of the 1–7 CES scale means "low effort" in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CesDirection {
    /// 1 = very low effort (the contract's direction).
    #[default]
    OneIsLowEffort,
    /// 7 = very low effort ("the company made it easy": 7 = strongly agree).
    SevenIsLowEffort,
}

#[derive(Debug, Clone)]
pub struct SourceSettings {
    /// Never with a password in it: see `password`.
    pub url: String,
    pub password: Option<Password>,
    pub statement_timeout: Duration,
    pub ces_direction: CesDirection,
    relations: HashMap<Relation, RelationSource>,
    /// How far back the exporter's first collection counts; `None`: all history.
    pub backfill: Option<Duration>,
    /// How late a ticket change or survey may become visible in the source
    /// and still be counted: each collection re-reads this much before its
    /// time watermark (re-read rows are never counted twice).
    pub late_arrival: Duration,
    /// The helpdesk preset whose SQL reads the relations not set explicitly.
    pub preset: Option<&'static crate::presets::Preset>,
    /// The preset's file behind each relation it reads, for messages.
    preset_files: HashMap<Relation, &'static str>,
    /// Ticket ids per statement when `report` and `digest` read a period's
    /// tickets and events (`source::period`).
    pub period_chunk: usize,
}

/// Ticket ids per statement reading a period: enough rows per statement
/// that each one's cost is its rows, few enough that it is short.
const PERIOD_CHUNK_DEFAULT: usize = 1_000;
/// More ids than this make statements the databases plan slowly.
const PERIOD_CHUNK_MAX: usize = 10_000;

impl SourceSettings {
    /// The preset file that reads `r`, when a preset does.
    pub fn preset_file(&self, r: Relation) -> Option<&'static str> {
        self.preset_files.get(&r).copied()
    }

    /// Whether `[source.relations]` or `[source.queries]` name relation `r`
    /// themselves (an optional relation must then be readable; one a
    /// preset reads, like the default table, may be missing or closed to
    /// the reading user).
    pub fn named(&self, r: Relation) -> bool {
        self.configured(r) && self.preset_file(r).is_none()
    }

    /// Whether `[source.relations]`, `[source.queries]` or the preset
    /// name relation `r`.
    pub fn configured(&self, r: Relation) -> bool {
        self.relations.contains_key(&r)
    }

    pub fn relation(&self, r: Relation) -> RelationSource {
        self.relations
            .get(&r)
            .cloned()
            .unwrap_or_else(|| RelationSource::Table(r.canonical_name().to_string()))
    }

    /// The defaults, reading `url` (a password in it is taken out).
    pub fn with_url(url: &str) -> SourceSettings {
        let (url, password) = database::split_password(url);
        SourceSettings {
            url,
            password,
            statement_timeout: Duration::from_secs(60),
            ces_direction: CesDirection::default(),
            relations: HashMap::new(),
            backfill: None,
            late_arrival: Duration::from_secs(10 * 60),
            preset: None,
            preset_files: HashMap::new(),
            period_chunk: PERIOD_CHUNK_DEFAULT,
        }
    }
}

/// `[source]` validated; each problem is pushed with its key path.
pub(super) fn validate(raw: RawSource, problems: &mut Vec<String>) -> SourceSettings {
    let mut settings = SourceSettings::with_url(super::DEFAULT_SOURCE_URL);
    database::take_url(
        "source",
        "a database URL",
        raw.url,
        &mut settings.url,
        problems,
    );
    if let Some(t) = raw.statement_timeout {
        match parse_duration(&t) {
            Ok(d) => settings.statement_timeout = d,
            Err(e) => problems.push(format!("source.statement_timeout: {e}")),
        }
    }
    match raw.period_chunk {
        None => {}
        Some(n @ 1..=PERIOD_CHUNK_MAX) => settings.period_chunk = n,
        Some(n) => problems.push(format!(
            "source.period_chunk: {n} is out of range; expected 1 to {PERIOD_CHUNK_MAX} ticket ids per statement"
        )),
    }
    match raw.ces_direction.as_deref() {
        None | Some("1_is_low_effort") => {}
        Some("7_is_low_effort") => settings.ces_direction = CesDirection::SevenIsLowEffort,
        Some(other) => problems.push(format!(
            "source.ces_direction: `{other}` is not a direction; expected 1_is_low_effort or 7_is_low_effort"
        )),
    }
    for (section, map, is_query) in [
        ("relations", &raw.relations, false),
        ("queries", &raw.queries, true),
    ] {
        for (key, value) in map {
            let Some(rel) = relation_key(key) else {
                problems.push(format!(
                    "source.{section}.{key}: unknown relation; expected tickets, events, surveys or engagement"
                ));
                continue;
            };
            let src = if is_query {
                RelationSource::Query(value.clone())
            } else if is_identifier(value) {
                RelationSource::Table(value.clone())
            } else {
                problems.push(format!(
                    "source.relations.{key}: `{value}` is not a table name (letters, digits, _ and an optional schema.); use source.queries.{key} for SQL"
                ));
                continue;
            };
            if settings.relations.insert(rel, src).is_some() {
                problems.push(format!(
                    "source.queries.{key}: set both as a relation and as a query; keep one"
                ));
            }
        }
    }

    // A preset reads every relation not named above with its SQL.
    if let Some(name) = raw.preset {
        match crate::presets::find(&name) {
            Some(preset) => use_preset(&mut settings, preset, raw.table_prefix, problems),
            None => problems.push(format!(
                "source.preset: `{name}` is not a preset; expected one of {}",
                crate::presets::names()
            )),
        }
    } else if raw.table_prefix.is_some() {
        problems.push(
            "source.table_prefix: only a source.preset whose helpdesk prefixes its tables (osticket) takes one"
                .to_string(),
        );
    }

    // Bounded so that `now - backfill` and `now - late_arrival` can never
    // leave the calendar (a panic on the job's clock arithmetic).
    const MAX_BACKFILL_DAYS: u32 = 36_525;
    const MAX_LATE_ARRIVAL: Duration = Duration::from_secs(7 * 86_400);
    if let Some(days) = raw.backfill_days {
        if days > MAX_BACKFILL_DAYS {
            problems.push(format!(
                "source.backfill_days: {days} is more than {MAX_BACKFILL_DAYS} (100 years); \
                 use 0 for the whole history"
            ));
        } else {
            settings.backfill = (days > 0).then(|| Duration::from_secs(u64::from(days) * 86_400));
        }
    }
    if let Some(t) = raw.late_arrival {
        match parse_duration(&t) {
            Ok(d) if d > MAX_LATE_ARRIVAL => problems.push(format!(
                "source.late_arrival: `{t}` is more than 7 days; rows are re-read and ids \
                 awaited for this long, expected e.g. \"10m\""
            )),
            Ok(d) => settings.late_arrival = d,
            Err(e) => problems.push(format!("source.late_arrival: {e}")),
        }
    }

    (settings.url, settings.password) = database::resolve(
        "source",
        &settings.url,
        raw.password,
        raw.password_file,
        problems,
    );
    settings
}

/// Fills the relations not set explicitly with `preset`'s SQL for the
/// source's database, its tables named with `prefix`.
fn use_preset(
    settings: &mut SourceSettings,
    preset: &'static crate::presets::Preset,
    prefix: Option<String>,
    problems: &mut Vec<String>,
) {
    use crate::db::Dialect;
    let dialect = Dialect::of(&settings.url);
    let Some(dialect) = dialect.filter(|d| preset.dialects.contains(d)) else {
        // (An unknown scheme is reported with source.url.)
        if dialect.is_some() {
            problems.push(format!(
                "source.preset: `{}` reads {}'s own tables, which live in {}; source.url is {}",
                preset.name,
                preset.helpdesk,
                preset.runs_on(),
                crate::db::redact_url(&settings.url)
            ));
        }
        return;
    };
    let prefix = match (prefix, preset.table_prefix) {
        (None, _) => None,
        (Some(p), Some(_)) if p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => Some(p),
        (Some(p), Some(_)) => {
            problems.push(format!(
                "source.table_prefix: `{p}` is not a table prefix (letters, digits and _, e.g. \"ost_\")"
            ));
            return;
        }
        (Some(_), None) => {
            problems.push(format!(
                "source.table_prefix: {}'s tables have no prefix; leave it out",
                preset.helpdesk
            ));
            return;
        }
    };
    settings.preset = Some(preset);
    for r in Relation::ANY {
        if let (std::collections::hash_map::Entry::Vacant(e), Some(query), Some(file)) = (
            settings.relations.entry(r),
            preset.query(r, dialect, prefix.as_deref()),
            preset.file(r, dialect),
        ) {
            e.insert(RelationSource::Query(query));
            settings.preset_files.insert(r, file.0);
        }
    }
}

fn relation_key(key: &str) -> Option<Relation> {
    Relation::ANY.into_iter().find(|r| r.short_name() == key)
}

/// A table name, optionally schema-qualified; safe to put in SQL unquoted.
fn is_identifier(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() <= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !p.starts_with(|c: char| c.is_ascii_digit())
        })
}
