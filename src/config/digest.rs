//! `[digest]`: who gets the weekly digest, in which language, and how it is
//! sent. Raw TOML in, a validated [`DigestSettings`] out, every problem
//! named by its key path.
//!
//! The SMTP password is a secret: it is read from `password_file` or from
//! the `SUPPORT_METRICS__DIGEST__SMTP__PASSWORD` environment variable,
//! never from the configuration file, and never printed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use secrecy::SecretString;
use serde::Deserialize;

use super::parse_duration;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDigest {
    locale: Option<String>,
    from: Option<String>,
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(default)]
    teams: BTreeMap<String, Vec<String>>,
    dashboard_url: Option<String>,
    #[serde(default)]
    smtp: Option<RawSmtp>,
    #[serde(default)]
    thresholds: RawThresholds,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    username: Option<String>,
    /// Only from the environment (checked before overrides are applied).
    password: Option<String>,
    password_file: Option<PathBuf>,
    timeout: Option<String>,
    attempts: Option<u32>,
    retry_backoff: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    alpha: Option<f64>,
    min_count: Option<u64>,
    min_responses: Option<u64>,
    min_rise: Option<f64>,
    min_gap_widening: Option<f64>,
    max_comments: Option<usize>,
    max_issues: Option<usize>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP, upgraded with STARTTLS (required); port 587.
    StartTls,
    /// TLS from the first byte (SMTPS); port 465.
    Tls,
    /// No encryption: only for a relay on localhost or a test server.
    None,
}

impl Security {
    pub fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// The SMTP server that sends digests.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub timeout: Duration,
    /// Tries per message within one run before it is left for the next run.
    pub attempts: u32,
    /// Wait before the second try; doubled before each further one.
    pub retry_backoff: Duration,
}

/// The validated `[digest]` section.
#[derive(Debug, Clone)]
pub struct DigestSettings {
    pub locale: Locale,
    pub from: Mailbox,
    /// Get the all-teams digest.
    pub recipients: Vec<Mailbox>,
    /// Team → its leads, who get the team's digest.
    pub teams: BTreeMap<String, Vec<Mailbox>>,
    /// A Grafana dashboard URL; digests link to it with the team and week.
    pub dashboard_url: Option<String>,
    /// `None`: digests can be previewed but not sent.
    pub smtp: Option<SmtpSettings>,
    pub thresholds: Thresholds,
}

pub const DEFAULT_FROM: &str = "Support metrics <support-metrics@localhost>";

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            locale: Locale::En,
            // A constant, parsed in a unit test.
            from: DEFAULT_FROM
                .parse()
                .expect("DEFAULT_FROM is a valid mailbox"),
            recipients: Vec::new(),
            teams: BTreeMap::new(),
            dashboard_url: None,
            smtp: None,
            thresholds: Thresholds::default(),
        }
    }
}

impl DigestSettings {
    /// Whether anyone is to receive a digest.
    pub fn has_recipients(&self) -> bool {
        !self.recipients.is_empty() || self.teams.values().any(|r| !r.is_empty())
    }
}

/// `digest.smtp.password` written in the file itself (before environment
/// overrides): refused, because files get committed and shared.
pub(super) fn password_in_file(table: &toml::Table) -> Option<String> {
    let smtp = table.get("digest")?.get("smtp")?;
    smtp.get("password").map(|_| {
        "digest.smtp.password: secrets are not read from the configuration file; set the \
         SUPPORT_METRICS__DIGEST__SMTP__PASSWORD environment variable or digest.smtp.password_file"
            .to_string()
    })
}

fn mailbox(at: &str, s: &str, problems: &mut Vec<String>) -> Option<Mailbox> {
    match s.parse::<Mailbox>() {
        Ok(m) => Some(m),
        Err(e) => {
            problems.push(format!(
                "{at}: `{s}` is not an email address ({e}); expected lead@example.com or \"Name <lead@example.com>\""
            ));
            None
        }
    }
}

pub(super) fn validate(raw: RawDigest, problems: &mut Vec<String>) -> DigestSettings {
    let mut d = DigestSettings::default();
    if let Some(l) = raw.locale {
        match l.parse() {
            Ok(l) => d.locale = l,
            Err(e) => problems.push(format!("digest.locale: {e}")),
        }
    }
    if let Some(f) = raw.from
        && let Some(m) = mailbox("digest.from", &f, problems)
    {
        d.from = m;
    }
    d.recipients = raw
        .recipients
        .iter()
        .enumerate()
        .filter_map(|(i, r)| mailbox(&format!("digest.recipients[{i}]"), r, problems))
        .collect();
    for (team, list) in &raw.teams {
        let leads = list
            .iter()
            .enumerate()
            .filter_map(|(i, r)| mailbox(&format!("digest.teams.{team}[{i}]"), r, problems))
            .collect();
        d.teams.insert(team.clone(), leads);
    }
    if let Some(u) = raw.dashboard_url {
        if u.starts_with("http://") || u.starts_with("https://") {
            d.dashboard_url = Some(u);
        } else {
            problems.push(format!(
                "digest.dashboard_url: `{u}` is not an http(s) URL; expected e.g. https://grafana.example.com/d/support-overview"
            ));
        }
    }
    if let Some(s) = raw.smtp {
        d.smtp = smtp(s, problems);
    }
    let t = raw.thresholds;
    let th = &mut d.thresholds;
    if let Some(a) = t.alpha {
        if a > 0.0 && a < 1.0 {
            th.alpha = a;
        } else {
            problems.push(format!(
                "digest.thresholds.alpha: {a} is not a significance level; expected a number between 0 and 1, e.g. 0.01"
            ));
        }
    }
    if let Some(r) = t.min_rise {
        if r >= 1.0 {
            th.min_rise = r;
        } else {
            problems.push(format!(
                "digest.thresholds.min_rise: {r} is below 1; expected a multiple of the baseline, e.g. 1.5"
            ));
        }
    }
    if let Some(w) = t.min_gap_widening {
        if w.is_finite() && w > 0.0 && w < 6.0 {
            th.min_gap_widening = w;
        } else {
            problems.push(format!(
                "digest.thresholds.min_gap_widening: {w} is not a SERVQUAL gap change; expected points of the 1-7 scale between 0 and 6, e.g. 0.5"
            ));
        }
    }
    for (key, value, slot) in [
        ("min_count", t.min_count, &mut th.min_count),
        ("min_responses", t.min_responses, &mut th.min_responses),
    ] {
        match value {
            Some(0) => problems.push(format!("digest.thresholds.{key}: must be at least 1")),
            Some(v) => *slot = v,
            None => {}
        }
    }
    if let Some(v) = t.max_comments {
        th.max_comments = v;
    }
    match t.max_issues {
        Some(0) => problems.push("digest.thresholds.max_issues: must be at least 1".to_string()),
        Some(v) => th.max_issues = v,
        None => {}
    }
    d
}

fn smtp(s: RawSmtp, problems: &mut Vec<String>) -> Option<SmtpSettings> {
    let security = match s.security.as_deref() {
        None | Some("starttls") => Security::StartTls,
        Some("tls") => Security::Tls,
        Some("none") => Security::None,
        Some(other) => {
            problems.push(format!(
                "digest.smtp.security: `{other}` is not a mode; expected starttls, tls or none"
            ));
            Security::StartTls
        }
    };
    let host = match s.host {
        Some(h) if !h.trim().is_empty() => h,
        _ => {
            problems.push(
                "digest.smtp.host: missing; expected the SMTP server's name, e.g. smtp.example.com"
                    .to_string(),
            );
            String::new()
        }
    };
    let password = match (s.password, s.password_file) {
        (Some(p), None) => Some(SecretString::from(p)),
        (None, Some(path)) => super::read_secret_file("digest.smtp.password_file", &path, problems)
            .map(SecretString::from),
        (Some(_), Some(_)) => {
            problems.push(
                "digest.smtp.password_file: set either the password variable or password_file, not both"
                    .to_string(),
            );
            None
        }
        (None, None) => None,
    };
    if password.is_some() && s.username.is_none() {
        problems.push("digest.smtp.username: missing; a password was given".to_string());
    }
    let duration = |key: &str, v: Option<String>, default: Duration, problems: &mut Vec<String>| {
        v.map_or(Ok(default), |v| parse_duration(&v))
            .unwrap_or_else(|e| {
                problems.push(format!("digest.smtp.{key}: {e}"));
                default
            })
    };
    let timeout = duration("timeout", s.timeout, Duration::from_secs(30), problems);
    let retry_backoff = duration(
        "retry_backoff",
        s.retry_backoff,
        Duration::from_secs(5),
        problems,
    );
    let attempts = match s.attempts {
        Some(0) => {
            problems.push("digest.smtp.attempts: must be at least 1".to_string());
            1
        }
        Some(n) => n,
        None => 3,
    };
    Some(SmtpSettings {
        host,
        port: s.port.unwrap_or(security.default_port()),
        security,
        username: s.username,
        password,
        timeout,
        attempts,
        retry_backoff,
    })
}

/// When a finding is worth a team lead's Monday.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Significance level for each scope, shared among its tests.
    pub alpha: f64,
    /// Fewest tickets (or breaches) behind a finding.
    pub min_count: u64,
    /// Fewest CSAT answers in a category before its CSAT is judged.
    pub min_responses: u64,
    /// A category's volume must reach this multiple of its weekly baseline.
    pub min_rise: f64,
    /// A SERVQUAL dimension's gap must have widened by at least this many
    /// points of the 1–7 scale to be an issue.
    pub min_gap_widening: f64,
    /// Verbatim comments quoted under each category finding.
    pub max_comments: usize,
    /// Findings listed in one digest (the rest are counted).
    pub max_issues: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            alpha: 0.01,
            min_count: 5,
            min_responses: 5,
            min_rise: 1.5,
            min_gap_widening: 0.5,
            max_comments: 3,
            max_issues: 8,
        }
    }
}

/// A supported language of the digest (its phrases are in
/// `digest::locale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    En,
    Fr,
    It,
}

impl std::str::FromStr for Locale {
    type Err = String;
    fn from_str(s: &str) -> Result<Locale, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Locale::En),
            "fr" => Ok(Locale::Fr),
            "it" => Ok(Locale::It),
            other => Err(format!(
                "`{other}` is not a digest locale; expected en, fr or it"
            )),
        }
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Locale {
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
            Locale::It => "it",
        }
    }
}
