//! `[state]` and `[server]`: where the exporter keeps its state, and the
//! HTTP endpoint Prometheus scrapes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{DEFAULT_PORT, DEFAULT_STATE_URL, database};
use crate::db::{Password, redact_url};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawState {
    url: Option<String>,
    /// Only from the environment (refused in the file before overrides).
    password: Option<String>,
    password_file: Option<PathBuf>,
    /// The key of the requesters' hash: only from the environment or a file.
    requester_salt: Option<String>,
    requester_salt_file: Option<PathBuf>,
    /// How long the facts of a solved or closed ticket are kept.
    facts_retention: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    listen: Option<String>,
    tls: Option<RawTls>,
    #[serde(default)]
    basic_auth_users: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert_file: PathBuf,
    key_file: PathBuf,
}

/// Where the exporter keeps its watermark and cumulative counters.
#[derive(Debug, Clone, PartialEq)]
pub struct StateSettings {
    /// Never with a password in it: see `password`.
    pub url: String,
    pub password: Option<Password>,
    /// The key under which requester ids are hashed into the ticket facts
    /// (`state.requester_salt`); without one, no requester is stored.
    pub requester_salt: Option<Password>,
    /// Facts of tickets solved or closed longer ago than this are emptied
    /// (`state.facts_retention`); `None` keeps them all.
    pub facts_retention: Option<Duration>,
}

impl StateSettings {
    /// `url` (a password in it is taken out).
    pub fn with_url(url: &str) -> StateSettings {
        let (url, password) = database::split_password(url);
        StateSettings {
            url,
            password,
            requester_salt: None,
            facts_retention: None,
        }
    }
}

/// The HTTP endpoint Prometheus scrapes.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// HTTPS instead of HTTP (`[server.tls]`).
    pub tls: Option<TlsFiles>,
    /// Users allowed on `/metrics` (`[server.basic_auth_users]`); none: no
    /// authentication.
    pub basic_auth_users: BTreeMap<String, BcryptHash>,
}

impl Default for ServerSettings {
    /// Every address on [`DEFAULT_PORT`], plain HTTP, no authentication.
    fn default() -> Self {
        ServerSettings {
            listen: SocketAddr::from(([0, 0, 0, 0], DEFAULT_PORT)),
            tls: None,
            basic_auth_users: BTreeMap::new(),
        }
    }
}

impl ServerSettings {
    /// `https` with `[server.tls]`, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }
}

/// The server's certificate chain and private key, PEM files.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsFiles {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// A bcrypt password hash (`$2y$10$…`, as `htpasswd -nBC 10 USER` makes);
/// not shown by `Debug`.
#[derive(Clone, PartialEq)]
pub struct BcryptHash(pub String);

impl std::fmt::Debug for BcryptHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BcryptHash(…)")
    }
}

/// `[state]` validated; `source_url` is the source's, which the state may
/// not share.
pub(super) fn validate_state(
    raw: RawState,
    source_url: &str,
    problems: &mut Vec<String>,
) -> StateSettings {
    let mut settings = StateSettings::with_url(DEFAULT_STATE_URL);
    database::take_url(
        "state",
        "a state store URL",
        raw.url,
        &mut settings.url,
        problems,
    );
    (settings.url, settings.password) = database::resolve(
        "state",
        &settings.url,
        raw.password,
        raw.password_file,
        problems,
    );
    if same_database(source_url, &settings.url) {
        problems.push(format!(
            "state.url: `{}` is the source database (source.url); the exporter would write its \
             tables into the helpdesk's database. Give the state its own database or file \
             (default {DEFAULT_STATE_URL})",
            redact_url(&settings.url)
        ));
    }
    let salt_file = raw
        .requester_salt_file
        .and_then(|p| super::read_secret_file("state.requester_salt_file", &p, problems));
    settings.requester_salt = match (raw.requester_salt, salt_file) {
        (Some(_), Some(_)) => {
            problems.push(
                "state.requester_salt: given both by SUPPORT_METRICS__STATE__REQUESTER_SALT and \
                 state.requester_salt_file; keep one"
                    .to_string(),
            );
            None
        }
        (Some(s), None) | (None, Some(s)) if s.len() < 16 => {
            problems.push(
                "state.requester_salt: shorter than 16 characters; a short key lets anyone who \
                 reads the facts guess requesters back from their hashes (e.g. `openssl rand -hex 32`)"
                    .to_string(),
            );
            None
        }
        (Some(s), None) | (None, Some(s)) => Some(Password::new(s)),
        (None, None) => None,
    };
    if let Some(text) = raw.facts_retention {
        match super::durations::parse_duration(&text) {
            Ok(d) if d >= Duration::from_secs(86_400) && d <= Duration::from_secs(100 * 365 * 86_400) => {
                settings.facts_retention = Some(d)
            }
            Ok(_) => problems.push(format!(
                "state.facts_retention: `{text}` must be between 1d and 100 years (leave it out to keep every ticket's facts)"
            )),
            Err(e) => problems.push(format!("state.facts_retention: {e}")),
        }
    }
    settings
}

/// `[server]` validated.
pub(super) fn validate_server(raw: RawServer, problems: &mut Vec<String>) -> ServerSettings {
    let mut settings = ServerSettings::default();
    if let Some(listen) = raw.listen {
        match listen.parse::<SocketAddr>() {
            Ok(a) => settings.listen = a,
            Err(_) => problems.push(format!(
                "server.listen: `{listen}` is not an address; expected IP:PORT, e.g. 0.0.0.0:{DEFAULT_PORT}"
            )),
        }
    }
    settings.tls = raw.tls.map(|t| TlsFiles {
        cert_file: t.cert_file,
        key_file: t.key_file,
    });
    for (user, hash) in raw.basic_auth_users {
        let key = format!("server.basic_auth_users.{user}");
        if user.is_empty() || user.contains(':') {
            problems.push(format!("{key}: a user name is not empty and has no `:`"));
        } else if hash.parse::<bcrypt::HashParts>().is_err() {
            // The value itself is not repeated: it may be a password typed
            // where its hash belongs.
            problems.push(format!(
                "{key}: not a bcrypt hash; make one with `support-metrics hash-password` \
                 or `htpasswd -nBC 10 {user}`"
            ));
        } else {
            settings.basic_auth_users.insert(user, BcryptHash(hash));
        }
    }
    // One cost for all: a user whose hash costs more answers a wrong
    // password more slowly, which tells the users apart.
    let costs: BTreeMap<u32, &str> = settings
        .basic_auth_users
        .iter()
        .filter_map(|(user, h)| {
            Some((
                h.0.parse::<bcrypt::HashParts>().ok()?.get_cost(),
                user.as_str(),
            ))
        })
        .collect();
    if costs.len() > 1 {
        let listed: Vec<String> = costs.iter().map(|(c, u)| format!("{c} ({u})")).collect();
        problems.push(format!(
            "server.basic_auth_users: the hashes use different bcrypt costs: {}; hash every \
             password at one cost (`support-metrics hash-password --cost N`), or a user can be \
             told apart by how long a wrong password takes",
            listed.join(", ")
        ));
    }
    settings
}

/// Whether two database URLs (passwords already taken out) name the same
/// database: the same SQLite file (however the path is spelled), or the
/// same server URL once the scheme's aliases are folded. In-memory SQLite
/// databases are each their own.
fn same_database(a: &str, b: &str) -> bool {
    fn sqlite_file(url: &str) -> Option<PathBuf> {
        let rest = url.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or(rest);
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        let p = Path::new(path);
        Some(std::fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
                .components()
                .collect()
        }))
    }
    fn server(url: &str) -> String {
        let url = url.trim_end_matches('/');
        for (alias, scheme) in [("postgresql:", "postgres:"), ("mariadb:", "mysql:")] {
            if let Some(rest) = url.strip_prefix(alias) {
                return format!("{scheme}{rest}");
            }
        }
        url.to_string()
    }
    match (sqlite_file(a), sqlite_file(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) if !a.starts_with("sqlite:") && !b.starts_with("sqlite:") => {
            server(a) == server(b)
        }
        _ => false,
    }
}
