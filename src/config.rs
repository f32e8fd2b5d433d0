//! Configuration: one TOML file, overridable by environment variables,
//! validated once into [`Settings`] (DESIGN.md §6).
//!
//! Raw TOML structs mirror the file; [`Settings`] holds only validated types
//! (`Tz`, `Duration`, calendars, SLOs). Validation collects every problem with
//! its key path instead of stopping at the first. Secrets never appear in
//! errors: URLs are shown with their password masked.
//!
//! One file per section, each with its raw keys, its validated settings and
//! its validation: `source` (`[source]`), `server` (`[state]`, `[server]`),
//! `schedule` (`[schedule]`, `[calendars.*]`, `[team_calendars]`), `slo`
//! (`[[slo]]`), `labels`, `digest` (`[digest]`, `[digest.smtp]`, the
//! thresholds) and `alerts`; `database` (passwords, URLs) and `durations`
//! (durations, cron) are shared. This file reads the TOML, applies the
//! environment, and gathers every section's problems into one error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

use crate::engine::calendar::Calendars;
use crate::engine::servqual::ServqualWeights;
use crate::engine::slo::Slo;

mod alerts;
mod database;
mod digest;
mod durations;
mod labels;
mod schedule;
mod server;
mod servqual;
mod slo;
mod source;

pub use crate::db::{Password, redact_url};
pub use database::percent_encode;
pub use durations::{longest_gap, parse_cron, parse_duration};
pub use labels::LabelCaps;
pub use schedule::{DEFAULT_COLLECT_CRON, DEFAULT_DIGEST_CRON, DEFAULT_KPI_CRON, ScheduleSettings};
pub use server::{BcryptHash, ServerSettings, StateSettings, TlsFiles};
pub use source::{CesDirection, RelationSource, SourceSettings};

pub use alerts::AlertSettings;
pub use digest::{DigestSettings, Locale, Security, SmtpSettings, Thresholds};

/// Where the configuration is looked for when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "config/support-metrics.toml";
/// Prefix of environment overrides: `SUPPORT_METRICS__SOURCE__URL` sets `source.url`.
pub const ENV_PREFIX: &str = "SUPPORT_METRICS__";
/// Where `demo` keeps its helpdesk, and the source read when none is configured.
pub const DEFAULT_SOURCE_URL: &str = "sqlite://data/demo-helpdesk.sqlite";
/// The exporter's state store when none is configured.
pub const DEFAULT_STATE_URL: &str = "sqlite://data/state.sqlite";
/// Our `/metrics` port. The Prometheus exporter range 9100–9999 is fully
/// allocated, so we use one outside it that no common exporter claims.
pub const DEFAULT_PORT: u16 = 10891;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path} is not valid TOML: {message}")]
    Parse { path: String, message: String },
    #[error("invalid configuration ({origin}):\n  - {}", .problems.join("\n  - "))]
    Invalid {
        origin: String,
        problems: Vec<String>,
    },
}

// ---------------------------------------------------------------- raw TOML

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    source: source::RawSource,
    #[serde(default)]
    schedule: schedule::RawSchedule,
    #[serde(default)]
    calendars: BTreeMap<String, schedule::RawCalendar>,
    #[serde(default)]
    team_calendars: BTreeMap<String, String>,
    #[serde(default)]
    slo: Vec<slo::RawSlo>,
    #[serde(default)]
    labels: labels::RawLabels,
    #[serde(default)]
    state: server::RawState,
    #[serde(default)]
    server: server::RawServer,
    #[serde(default)]
    digest: digest::RawDigest,
    #[serde(default)]
    alerts: alerts::RawAlerts,
    #[serde(default)]
    servqual: servqual::RawServqual,
}

// ---------------------------------------------------------- validated types

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub source: SourceSettings,
    /// The organisation's time zone: bare dates on the command line, weeks,
    /// and the zone cron expressions are read in.
    pub timezone: Tz,
    pub calendars: Calendars,
    pub slos: Vec<Slo>,
    pub labels: LabelCaps,
    pub state: StateSettings,
    pub server: ServerSettings,
    pub schedule: ScheduleSettings,
    pub digest: DigestSettings,
    pub alerts: AlertSettings,
    /// `[servqual] weights`: each dimension's share of the weighted score.
    pub servqual: ServqualWeights,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            source: SourceSettings::with_url(DEFAULT_SOURCE_URL),
            timezone: Tz::UTC,
            calendars: Calendars::default(),
            slos: Vec::new(),
            labels: LabelCaps::default(),
            state: StateSettings::with_url(DEFAULT_STATE_URL),
            server: ServerSettings::default(),
            schedule: ScheduleSettings::default(),
            digest: DigestSettings::default(),
            alerts: AlertSettings::default(),
            servqual: ServqualWeights::default(),
        }
    }
}

impl Settings {
    /// Loads `path`, or [`DEFAULT_CONFIG_PATH`] when it exists, or defaults;
    /// then applies `SUPPORT_METRICS__…` environment overrides.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        Settings::load_or(path, ("defaults", ""))
    }

    /// Like [`Settings::load`], with `fallback` (its name and TOML text)
    /// used when there is neither `path` nor a default file.
    pub fn load_or(path: Option<&Path>, fallback: (&str, &str)) -> Result<Settings, ConfigError> {
        let (origin, text) = match path {
            Some(p) => (p.display().to_string(), read(p)?),
            None if Path::new(DEFAULT_CONFIG_PATH).exists() => (
                DEFAULT_CONFIG_PATH.to_string(),
                read(Path::new(DEFAULT_CONFIG_PATH))?,
            ),
            None => (fallback.0.to_string(), fallback.1.to_string()),
        };
        Settings::from_toml(&origin, &text, std::env::vars())
    }

    /// Parses `text` (named `origin` in errors) with `env` overrides.
    pub fn from_toml(
        origin: &str,
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let parse_err = |e: toml::de::Error| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string(),
        };
        let mut table: toml::Table = toml::from_str(text).map_err(parse_err)?;
        let mut secrets_in_file = database::passwords_in_file(&table);
        secrets_in_file.extend(digest::password_in_file(&table));
        let from_env = apply_env_overrides(&mut table, env);
        let invalid = |problems: Vec<String>| ConfigError::Invalid {
            origin: origin.to_string(),
            problems: problems
                .into_iter()
                .map(|p| blame_environment(p, &from_env))
                .collect(),
        };
        if !secrets_in_file.is_empty() {
            return Err(invalid(secrets_in_file));
        }
        // The structure's problems and the values' together: a typo and a
        // bad value in one run, not two.
        let (raw, mut problems) = structure(table);
        let Some(raw) = raw else {
            return Err(invalid(problems));
        };
        match validate(raw) {
            Ok(settings) if problems.is_empty() => Ok(settings),
            Ok(_) => Err(invalid(problems)),
            Err(more) => {
                problems.extend(more);
                Err(invalid(problems))
            }
        }
    }
}

/// The raw configuration, with every unknown key and value of the wrong
/// type named (serde stops at the first: each is set aside and the rest
/// read again, so that one run lists them all).
fn structure(mut table: toml::Table) -> (Option<RawConfig>, Vec<String>) {
    let mut problems = Vec::new();
    // Bounded: each round removes one key.
    for _ in 0..200 {
        match table.clone().try_into::<RawConfig>() {
            Ok(raw) => return (Some(raw), problems),
            Err(e) => {
                let text = e.to_string();
                let mut lines = text.lines();
                let what = lines.next().unwrap_or_default().trim().to_string();
                let at = text
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("in `")?.strip_suffix('`'))
                    .map(str::to_string);
                let unknown = what
                    .strip_prefix("unknown field `")
                    .and_then(|r| r.split('`').next())
                    .map(str::to_string);
                let path = match (at, unknown.as_deref()) {
                    (Some(at), Some(field)) => format!("{at}.{field}"),
                    (None, Some(field)) => field.to_string(),
                    (Some(at), None) => at,
                    (None, None) => {
                        problems.push(what);
                        return (None, problems);
                    }
                };
                let what = match unknown {
                    Some(_) => match what.split_once(", expected") {
                        Some((_, expected)) => format!("unknown key; expected{expected}"),
                        None => "unknown key".to_string(),
                    },
                    None => what,
                };
                problems.push(format!("{path}: {what}"));
                if !remove_path(&mut table, &path) {
                    return (None, problems);
                }
            }
        }
    }
    (None, problems)
}

/// Removes the key at dotted `path`; whether there was one.
fn remove_path(table: &mut toml::Table, path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else {
        return false;
    };
    let mut t = table;
    for p in parts {
        match t.get_mut(p) {
            Some(toml::Value::Table(inner)) => t = inner,
            _ => return false,
        }
    }
    t.remove(last).is_some()
}

/// `problem` (`key: …`) with the environment variable named when the key's
/// value came from one: the file is not blamed for it.
fn blame_environment(problem: String, from_env: &BTreeMap<String, String>) -> String {
    let key = problem.split(':').next().unwrap_or_default();
    match from_env
        .iter()
        .find(|(path, _)| key == path.as_str() || key.starts_with(&format!("{path}.")))
    {
        Some((_, var)) => format!("{problem} (set by the environment variable {var})"),
        None => problem,
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// `SUPPORT_METRICS__SOURCE__URL=…` → `source.url = …`. A value that parses
/// as a TOML value (number, boolean, array) is taken as one, else as a string.
/// Returns the keys set, dotted, with the variable that set each.
fn apply_env_overrides(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> BTreeMap<String, String> {
    let mut set = BTreeMap::new();
    for (key, value) in env {
        let Some(path) = key.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let parts: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
        set_path(table, &parts, env_value(&value));
        set.insert(parts.join("."), key.clone());
    }
    set
}

/// Sets `path` in `table`, creating sections; a key under a non-table is skipped.
fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) {
    match path {
        [] => {}
        [last] => {
            table.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(t) = entry {
                set_path(t, rest, value);
            }
        }
    }
}

fn env_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

fn validate(raw: RawConfig) -> Result<Settings, Vec<String>> {
    let mut problems = Vec::new();
    let mut settings = Settings::default();
    settings.source = source::validate(raw.source, &mut problems);
    settings.state = server::validate_state(raw.state, &settings.source.url, &mut problems);
    settings.server = server::validate_server(raw.server, &mut problems);
    (settings.schedule, settings.timezone) =
        schedule::validate_schedule(raw.schedule, &mut problems);
    settings.calendars =
        schedule::validate_calendars(&raw.calendars, &raw.team_calendars, &mut problems);

    settings.slos = slo::validate(&raw.slo, &mut problems);

    settings.labels = labels::validate(raw.labels, &mut problems);
    settings.digest = digest::validate(raw.digest, &mut problems);
    settings.alerts = alerts::validate(raw.alerts, &mut problems);
    settings.servqual = servqual::validate(raw.servqual, &mut problems);

    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems)
    }
}

/// A secret kept in a file (a Kubernetes or Docker secret): its text
/// without the final line break; a problem under `key` when unreadable.
pub(crate) fn read_secret_file(
    key: &str,
    path: &Path,
    problems: &mut Vec<String>,
) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(p) => Some(p.trim_end_matches(['\r', '\n']).to_string()),
        Err(e) => {
            problems.push(format!("{key}: cannot read {}: {e}", path.display()));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::calendar::Calendar;
    use crate::engine::slo::SloClock;
    use crate::model::{Priority, Relation, Seconds, Status};

    fn load(text: &str) -> Result<Settings, ConfigError> {
        Settings::from_toml("test.toml", text, Vec::new())
    }

    fn problems(text: &str) -> Vec<String> {
        match load(text) {
            Err(ConfigError::Invalid { problems, .. }) => problems,
            other => panic!("expected invalid config, got {other:?}"),
        }
    }

    #[test]
    fn servqual_weights_are_five_percentages_summing_to_100() {
        assert_eq!(
            load("").expect("valid").servqual,
            ServqualWeights([20.0; 5])
        );
        let s = load(
            "[servqual.weights]\ntangibles = 10\nreliability = 32.5\nresponsiveness = 22.5\n\
             assurance = 19\nempathy = 16\n",
        )
        .expect("valid");
        assert_eq!(s.servqual, ServqualWeights([10.0, 32.5, 22.5, 19.0, 16.0]));
        assert_eq!(
            problems(
                "[servqual.weights]\ntangibles = 20\nreliability = 20\nresponsiveness = 20\n\
                 assurance = 20\nempathy = 30\n"
            ),
            vec!["servqual.weights: the five weights sum to 110, not 100 (they are percentages)"]
        );
        let p = problems(
            "[servqual.weights]\ntangible = 20\nreliability = -5\nresponsiveness = 20\n\
             assurance = 20\n",
        );
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(
            p[0].starts_with("servqual.weights.reliability: -5 is not a percentage"),
            "{p:?}"
        );
        assert!(
            p[1].starts_with("servqual.weights.tangible: not a SERVQUAL dimension"),
            "{p:?}"
        );
        assert!(
            p[2].starts_with("servqual.weights: no weight for tangibles, empathy"),
            "{p:?}"
        );
    }

    #[test]
    fn design_example_parses() {
        let s = load(
            r#"
[calendars.default]
timezone = "Europe/Paris"
hours = { mon = "09:00-18:00", tue = "09:00-18:00", wed = "09:00-12:30,13:30-18:00", thu = "09:00-18:00", fri = "09:00-17:00" }
holidays = ["2026-12-25", "2027-01-01"]

[calendars.new_york]
timezone = "America/New_York"
hours = { mon = "00:00-24:00", tue = "00:00-24:00", wed = "00:00-24:00", thu = "00:00-24:00", fri = "00:00-24:00" }

[team_calendars]
us-support = "new_york"

[[slo]]
name = "first_response_urgent"
metric = "first_response"
priority = ["urgent", "high"]
target = "1h"
"#,
        )
        .expect("valid");
        assert!(
            matches!(s.calendars.for_team(Some("us-support")), Calendar::Hours(h) if h.timezone == chrono_tz::America::New_York)
        );
        assert!(
            matches!(s.calendars.for_team(Some("other")), Calendar::Hours(h) if h.timezone == chrono_tz::Europe::Paris)
        );
        assert_eq!(s.slos[0].priorities, vec![Priority::Urgent, Priority::High]);
        assert_eq!(s.slos[0].target, Seconds(3600.0));
        assert_eq!(s.slos[0].clock, SloClock::Business);
    }

    #[test]
    fn slo_pause_on_takes_the_waiting_statuses_and_names_the_wrong_ones() {
        let ok = load(
            r#"
[[slo]]
name = "resolution_paused"
metric = "resolution"
target = "1d"
pause_on = ["On-Hold", "pending", "pending"]
"#,
        )
        .expect("valid");
        assert_eq!(ok.slos[0].pause_on, vec![Status::Pending, Status::OnHold]);
        let p = problems(
            r#"
[[slo]]
name = "x"
metric = "resolution"
target = "1d"
pause_on = ["waiting", "open", "closed"]
"#,
        )
        .join("\n");
        for needle in [
            "slo[0].pause_on[0]: `waiting` is not a status; expected one of pending, on_hold, solved",
            "slo[0].pause_on[1]: `open` cannot pause an SLO clock: the customer is waiting on us",
            "slo[0].pause_on[2]: `closed` cannot pause an SLO clock: a closed, deleted or spam ticket's clock never runs again",
        ] {
            assert!(p.contains(needle), "missing `{needle}` in:\n{p}");
        }
    }

    #[test]
    fn exporter_sections_are_validated_with_their_key_paths() {
        let s = load(
            r#"
[source]
backfill_days = 30
late_arrival = "5m"
[state]
url = "postgres://exporter@db:5432/state"
[server]
listen = "0.0.0.0:9999"
[schedule]
collect = "*/30 * * * * *"
kpi = "*/5 * * * *"
"#,
        )
        .expect("valid");
        assert_eq!(s.source.backfill, Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(s.source.late_arrival, Duration::from_secs(300));
        assert_eq!(s.server.listen.port(), 9999);
        assert!(s.state.url.starts_with("postgres://"));
        // The 5-field form runs at second 0.
        let next: Vec<_> = s.schedule.kpi.upcoming(chrono::Utc).take(2).collect();
        assert_eq!((next[1] - next[0]).num_seconds(), 300);

        let p = problems(
            r#"
[state]
url = "redis://localhost/state"
[server]
listen = "localhost"
[schedule]
collect = "every minute"
[source]
late_arrival = "soon"
"#,
        );
        for key in [
            "state.url",
            "server.listen",
            "schedule.collect",
            "source.late_arrival",
        ] {
            assert!(
                p.iter().any(|m| m.starts_with(key)),
                "no problem for {key}: {p:?}"
            );
        }
        // Margins and backfill are bounded, with the key named.
        let p = problems("[source]\nbackfill_days = 4000000000\nlate_arrival = \"30d\"\n");
        assert!(
            p.iter()
                .any(|m| m.starts_with("source.backfill_days") && m.contains("36525")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|m| m.starts_with("source.late_arrival") && m.contains("7 days")),
            "{p:?}"
        );
        let edge = load("[source]\nbackfill_days = 36525\nlate_arrival = \"7d\"\n").expect("valid");
        assert_eq!(edge.source.late_arrival, Duration::from_secs(7 * 86_400));
        // Ids per statement reading a period: 1 to 10,000.
        for bad in [0, 10_001] {
            let p = problems(&format!("[source]\nperiod_chunk = {bad}\n"));
            assert!(
                p.iter()
                    .any(|m| m.starts_with("source.period_chunk") && m.contains("1 to 10000")),
                "{p:?}"
            );
        }
        assert_eq!(edge.source.period_chunk, 1_000);
        let one = load("[source]\nperiod_chunk = 1\n").expect("valid");
        assert_eq!(one.source.period_chunk, 1);
        // MySQL/MariaDB is a supported state store.
        let mysql = load("[state]\nurl = \"mysql://root@localhost/state\"\n").expect("valid");
        assert!(mysql.state.url.starts_with("mysql://"));
        let defaults = Settings::default();
        assert_eq!(defaults.server.listen.port(), DEFAULT_PORT);
        assert_eq!(defaults.state.url, DEFAULT_STATE_URL);
    }

    #[test]
    fn every_problem_is_reported_with_its_key_path() {
        let p = problems(
            r#"
[schedule]
timezone = "Mars/Olympus"
[calendars.default]
timezone = "Europe/Pariss"
hours = { mon = "9-17", funday = "09:00-10:00" }
holidays = ["25/12/2026"]
[team_calendars]
emea = "nope"
[[slo]]
name = "x"
metric = "speed"
target = "soon"
priority = "critical"
"#,
        );
        let joined = p.join("\n");
        for needle in [
            "schedule.timezone: `Mars/Olympus`",
            "calendars.default.timezone: `Europe/Pariss`",
            "calendars.default.hours.mon: `9`",
            "calendars.default.hours.funday: not a weekday",
            "calendars.default.holidays[0]: `25/12/2026`",
            "team_calendars.emea: no calendar named `nope`",
            "slo[0].metric: `speed`",
            "slo[0].target: `soon`",
            "slo[0].priority: `critical`",
        ] {
            assert!(joined.contains(needle), "missing `{needle}` in:\n{joined}");
        }
    }

    #[test]
    fn unknown_keys_are_errors_not_ignored() {
        match load("[source]\nurll = \"x\"\n") {
            Err(ConfigError::Invalid { problems, .. }) => {
                assert!(
                    problems[0].starts_with("source.urll: unknown key"),
                    "{problems:?}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn basic_auth_users_need_bcrypt_hashes_that_are_never_echoed() {
        let hash = "$2y$04$Mxd9SlZ4D1vk7lY.HG2nbuq1YSUzwoaShhyn4WmNrIVDJ7.i6hTrC";
        let s = load(&format!(
            "[server.basic_auth_users]\nprometheus = \"{hash}\"\n[server.tls]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n"
        ))
        .expect("valid");
        assert_eq!(s.server.basic_auth_users.len(), 1);
        assert!(!format!("{s:?}").contains(hash), "Debug shows no hash");
        assert_eq!(
            s.server.tls.map(|t| t.key_file),
            Some(PathBuf::from("k.pem"))
        );
        match load("[server.basic_auth_users]\nprometheus = \"hunter2\"\n\"a:b\" = \"x\"\n") {
            Err(ConfigError::Invalid { problems, .. }) => {
                let all = problems.join("\n");
                assert!(
                    all.contains("server.basic_auth_users.prometheus: not a bcrypt hash"),
                    "{all}"
                );
                assert!(all.contains("server.basic_auth_users.a:b"), "{all}");
                assert!(!all.contains("hunter2"), "the value is not echoed: {all}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn passwords_come_from_files_and_are_never_shown() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "p@ss:w/rd %#?\n").expect("write");
        let s = load(&format!(
            "[source]\nurl = \"postgres://reader@db.internal:5432/helpdesk?sslmode=require\"\npassword_file = {:?}\n\
             [state]\nurl = \"mysql://sm@state/db\"\npassword_file = {:?}\n",
            file, file
        ))
        .expect("valid");
        // The URLs stay as written; the password is a secret beside them.
        assert_eq!(
            s.source.url,
            "postgres://reader@db.internal:5432/helpdesk?sslmode=require"
        );
        assert_eq!(s.state.url, "mysql://sm@state/db");
        let secret = |p: &Option<Password>| p.as_ref().map(|p| p.expose().to_string());
        assert_eq!(secret(&s.source.password).as_deref(), Some("p@ss:w/rd %#?"));
        assert_eq!(secret(&s.state.password).as_deref(), Some("p@ss:w/rd %#?"));
        assert!(!format!("{s:?}").contains("p@ss"), "Debug shows no secret");
        let missing = dir.path().join("nope");
        match load(&format!(
            "[source]\nurl = \"postgres://db/helpdesk\"\npassword_file = {file:?}\n[state]\npassword_file = {missing:?}\n"
        )) {
            Err(ConfigError::Invalid { problems, .. }) => {
                let all = problems.join("\n");
                assert!(
                    all.contains("source.password_file: `postgres://db/helpdesk` names no user"),
                    "{all}"
                );
                assert!(all.contains("state.password_file: cannot read"), "{all}");
                assert!(!all.contains("p@ss"), "{all}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_password_written_in_the_file_is_refused_and_not_shown() {
        let p = problems(
            "[source]\nurl = \"postgres://reader:hun/ter2@db/helpdesk\"\n\
             [state]\nurl = \"mysql://sm@state/db\"\npassword = \"hunter3\"\n",
        );
        let all = p.join("\n");
        assert!(
            all.contains(
                "source.url: `postgres://reader:***@db/helpdesk` holds a password, which is not \
                 read from the configuration file; remove it from the URL and put it in a file \
                 named by source.password_file, or in the SUPPORT_METRICS__SOURCE__PASSWORD \
                 environment variable"
            ),
            "{all}"
        );
        assert!(
            all.contains("state.password: secrets are not read from the configuration file"),
            "{all}"
        );
        assert!(
            !all.contains("hun/ter2") && !all.contains("hunter3"),
            "{all}"
        );
    }

    #[test]
    fn the_requester_salt_comes_from_the_environment_or_a_file_and_facts_retention_is_checked() {
        let env = |salt: &str| {
            vec![(
                "SUPPORT_METRICS__STATE__REQUESTER_SALT".to_string(),
                salt.to_string(),
            )]
        };
        let s = Settings::from_toml(
            "t",
            "[state]\nfacts_retention = \"400d\"\n",
            env("0123456789abcdef"),
        )
        .expect("valid");
        assert_eq!(
            s.state
                .requester_salt
                .as_ref()
                .map(|p| p.expose().to_string())
                .as_deref(),
            Some("0123456789abcdef")
        );
        assert_eq!(
            s.state.facts_retention,
            Some(Duration::from_secs(400 * 86_400))
        );
        assert!(
            !format!("{s:?}").contains("0123456789abcdef"),
            "Debug shows no salt"
        );
        // Defaults: no salt (no requester stored), every fact kept.
        let d = load("").expect("valid");
        assert_eq!(
            (d.state.requester_salt.is_none(), d.state.facts_retention),
            (true, None)
        );

        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("salt");
        std::fs::write(&file, "from-a-file-0123456789\n").expect("write");
        let f = load(&format!("[state]\nrequester_salt_file = {file:?}\n")).expect("valid");
        assert_eq!(
            f.state
                .requester_salt
                .as_ref()
                .map(|p| p.expose().to_string())
                .as_deref(),
            Some("from-a-file-0123456789")
        );

        let all = |text: &str, env: Vec<(String, String)>| match Settings::from_toml("t", text, env)
        {
            Err(ConfigError::Invalid { problems, .. }) => problems.join("\n"),
            other => panic!("{other:?}"),
        };
        let short = all("", env("short"));
        assert!(
            short.contains("state.requester_salt: shorter than 16 characters"),
            "{short}"
        );
        assert!(
            !short.contains("short\n") && !short.ends_with("short"),
            "{short}"
        );
        let written = all(
            "[state]\nrequester_salt = \"0123456789abcdef0\"\n",
            Vec::new(),
        );
        assert!(
            written
                .contains("state.requester_salt: secrets are not read from the configuration file"),
            "{written}"
        );
        let both = all(
            &format!("[state]\nrequester_salt_file = {file:?}\n"),
            env("0123456789abcdef"),
        );
        assert!(both.contains("keep one"), "{both}");
        let brief = all("[state]\nfacts_retention = \"1h\"\n", Vec::new());
        assert!(
            brief.contains("state.facts_retention: `1h` must be between 1d"),
            "{brief}"
        );
        let bad = all("[state]\nfacts_retention = \"forever\"\n", Vec::new());
        assert!(
            bad.contains("state.facts_retention: `forever` is not a duration"),
            "{bad}"
        );
    }

    #[test]
    fn environment_overrides_keys() {
        let env = vec![
            (
                "SUPPORT_METRICS__SOURCE__URL".to_string(),
                "postgres://u:se%2Fcret@db/x".to_string(),
            ),
            (
                "SUPPORT_METRICS__STATE__PASSWORD".to_string(),
                "a/b@c".to_string(),
            ),
            (
                "SUPPORT_METRICS__LABELS__MAX_TEAMS".to_string(),
                "7".to_string(),
            ),
            ("UNRELATED".to_string(), "1".to_string()),
        ];
        let s = Settings::from_toml(
            "t",
            "[source]\nurl = \"sqlite://a.db\"\n[state]\nurl = \"postgres://sm@db/state\"\n",
            env,
        )
        .expect("valid");
        // A password in the environment's URL is taken out of it.
        assert_eq!(s.source.url, "postgres://u@db/x");
        let secret = |p: &Option<Password>| p.as_ref().map(|p| p.expose().to_string());
        assert_eq!(secret(&s.source.password).as_deref(), Some("se/cret"));
        assert_eq!(secret(&s.state.password).as_deref(), Some("a/b@c"));
        assert_eq!(s.labels.teams, 7);
    }

    #[test]
    fn every_structural_problem_is_named_in_one_run_with_its_origin() {
        let env = vec![(
            "SUPPORT_METRICS__LABELS__MAX_TEAMS".to_string(),
            "many".to_string(),
        )];
        let text = "[source]\nurll = \"x\"\nbackfill_days = \"ten\"\n[schedul]\ncollect = 5\n\
                    [server]\nlisten = \"nowhere\"\n";
        match Settings::from_toml("t.toml", text, env) {
            Err(ConfigError::Invalid { problems, .. }) => {
                let keys: Vec<&str> = problems
                    .iter()
                    .map(|p| p.split(':').next().unwrap_or_default())
                    .collect();
                assert_eq!(
                    keys,
                    vec![
                        "labels.max_teams",
                        "schedul",
                        "source.backfill_days",
                        "source.urll",
                        "server.listen"
                    ],
                    "{problems:#?}"
                );
                assert!(problems[0].ends_with(
                    "(set by the environment variable SUPPORT_METRICS__LABELS__MAX_TEAMS)"
                ));
                assert!(problems[3].contains("unknown key; expected one of `url`"));
                assert!(!problems[4].contains("environment"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_state_store_may_not_be_the_source() {
        let same = |source: &str, state: &str| match load(&format!(
            "[source]\nurl = \"{source}\"\n[state]\nurl = \"{state}\"\n"
        )) {
            Err(ConfigError::Invalid { problems, .. }) => problems
                .iter()
                .any(|p| p.starts_with("state.url:") && p.contains("is the source database")),
            _ => false,
        };
        assert!(same(
            "sqlite://data/helpdesk.db",
            "sqlite:data/./helpdesk.db"
        ));
        assert!(same(
            "postgresql://reader@db/helpdesk",
            "postgres://reader@db/helpdesk/"
        ));
        assert!(same("mariadb://u@db/helpdesk", "mysql://u@db/helpdesk"));
        assert!(!same("sqlite://data/helpdesk.db", "sqlite://data/state.db"));
        assert!(!same("postgres://u@db/helpdesk", "postgres://u@db/state"));
        assert!(!same("sqlite::memory:", "sqlite::memory:"));
    }

    #[test]
    fn basic_auth_hashes_of_different_costs_are_refused() {
        let a = bcrypt::hash("a", 4).expect("hash");
        let b = bcrypt::hash("b", 5).expect("hash");
        let p = problems(&format!(
            "[server.basic_auth_users]\nprometheus = \"{a}\"\ngrafana = \"{b}\"\n"
        ));
        assert!(
            p.iter()
                .any(|p| p.contains("different bcrypt costs: 4 (prometheus), 5 (grafana)")),
            "{p:?}"
        );
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            redact_url("postgres://u:secret@db:5432/x"),
            "postgres://u:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://u@db/x"), "postgres://u@db/x");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
        let p =
            problems("[source]\nurl = \"ftp://u@x\"\npassword_file = \"/nonexistent/hunter2\"\n");
        assert!(
            p.join("")
                .contains("source.url: `ftp://u@x` is not a database URL"),
            "{p:?}"
        );
    }

    #[test]
    fn shipped_example_config_is_valid() {
        let s = load(include_str!("../config/support-metrics.toml"))
            .expect("example config must stay valid");
        assert_eq!(s.slos.len(), 5);
        assert_eq!(s.timezone, chrono_tz::Europe::Paris);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "h", "10", "1x", "-5s", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_preset_fills_the_relations_not_set_explicitly() {
        let s = load(
            "[source]\nurl = \"postgres://reader@db/chatwoot\"\npreset = \"chatwoot\"\n\
             [source.relations]\nengagement = \"hr.pulse\"\n",
        )
        .expect("valid");
        let RelationSource::Query(q) = s.source.relation(Relation::Events) else {
            panic!("events should be the preset's query");
        };
        assert!(q.contains("FROM messages m"), "{q}");
        assert_eq!(
            s.source.relation(Relation::Engagement),
            RelationSource::Table("hr.pulse".into())
        );
        let wrong = problems("[source]\nurl = \"postgres://reader@db/glpi\"\npreset = \"glpi\"\n");
        assert!(
            wrong[0].starts_with(
                "source.preset: `glpi` reads GLPI's own tables, which live in MySQL/MariaDB"
            ) && wrong[0].contains("postgres://reader@db/glpi"),
            "{wrong:?}"
        );
        let unprefixed = problems(
            "[source]\nurl = \"mysql://reader@db/glpi\"\npreset = \"glpi\"\ntable_prefix = \"x_\"\n",
        );
        assert!(
            unprefixed[0].contains("GLPI's tables have no prefix"),
            "{unprefixed:?}"
        );
        let bad = problems(
            "[source]\nurl = \"mysql://reader@db/os\"\npreset = \"osticket\"\ntable_prefix = \"x; DROP\"\n",
        );
        assert!(
            bad[0].starts_with("source.table_prefix: `x; DROP` is not a table prefix"),
            "{bad:?}"
        );
        let prefixed = load(
            "[source]\nurl = \"mysql://reader@db/os\"\npreset = \"osticket\"\ntable_prefix = \"hd_\"\n",
        )
        .expect("valid");
        let RelationSource::Query(q) = prefixed.source.relation(Relation::Events) else {
            panic!("events should be the preset's query");
        };
        assert!(
            q.contains("FROM hd_thread_entry") && !q.contains("FROM ost_"),
            "{q}"
        );
        let p = problems("[source]\npreset = \"freshdesk\"\n");
        assert!(
            p[0].starts_with("source.preset: `freshdesk`") && p[0].contains("chatwoot, zammad"),
            "{p:?}"
        );
    }

    #[test]
    fn relation_names_must_be_identifiers() {
        let p = problems("[source.relations]\ntickets = \"x; drop table y\"\n");
        assert!(p[0].contains("source.relations.tickets"), "{p:?}");
        let s = load("[source.relations]\ntickets = \"helpdesk.tickets\"\n[source.queries]\nevents = \"SELECT 1\"\n").expect("ok");
        assert_eq!(
            s.source.relation(Relation::Tickets),
            RelationSource::Table("helpdesk.tickets".into())
        );
        assert_eq!(
            s.source.relation(Relation::Events),
            RelationSource::Query("SELECT 1".into())
        );
        assert_eq!(
            s.source.relation(Relation::Surveys),
            RelationSource::Table("support_survey_responses".into())
        );
    }
}
