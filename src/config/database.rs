//! A database's address and its password, kept apart (DESIGN.md §6).
//!
//! The URL held in the settings never carries a password: the password is a
//! [`Password`] (a `secrecy` secret), read from `password_file` or from the
//! `SUPPORT_METRICS__SOURCE__PASSWORD` / `…__STATE__PASSWORD` environment
//! variables, and handed to the driver's connect options, never spliced
//! into a URL string. A URL given in the environment or on the command line
//! may still carry one (`postgres://u:p%40ss@db/x`, the usual
//! `DATABASE_URL`): it is taken out on reading. A password written in the
//! configuration file — inline in a URL or as a key — is refused: files
//! get committed and shared.

use std::path::PathBuf;

use crate::db::{Password, redact_url};

/// `url` without its password, and that password percent-decoded.
pub fn split_password(url: &str) -> (String, Option<Password>) {
    match url_userinfo(url) {
        Some((scheme, Some((userinfo, after)))) => match userinfo.split_once(':') {
            Some((user, password)) => (
                format!("{scheme}://{user}@{after}"),
                Some(Password::new(percent_decode(password))),
            ),
            None => (url.to_string(), None),
        },
        _ => (url.to_string(), None),
    }
}

/// `scheme://[userinfo@]host…` taken apart: the scheme and, when there is
/// one, the user info with what follows its `@` (host, path, query). The
/// user info ends at the last `@` before the path (RFC 3986: a password in
/// a URL is percent-encoded, so it holds no `/`).
pub(super) fn url_userinfo(url: &str) -> Option<(&str, Option<(&str, &str)>)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = authority
        .rfind('@')
        .map(|at| (&rest[..at], &rest[at + 1..]));
    Some((scheme, userinfo))
}

/// `raw`, the `url` key of `section` (`source` or `state`, which says
/// `what` it names), put in `url`: a problem when no backend reads it (the
/// URL is still taken, for the messages that follow).
pub(super) fn take_url(
    section: &str,
    what: &str,
    raw: Option<String>,
    url: &mut String,
    problems: &mut Vec<String>,
) {
    let Some(raw) = raw else { return };
    if crate::db::Dialect::of(&raw).is_none() {
        problems.push(format!(
            "{section}.url: `{}` is not {what}; expected sqlite://FILE, postgres://… or mysql://…",
            crate::db::redact_url(&raw)
        ));
    }
    *url = raw;
}

/// The URL of `section` (`source` or `state`) and its password, from the
/// URL itself (environment or command line), `password` (environment only)
/// or `password_file`: at most one of them.
pub(super) fn resolve(
    section: &str,
    url: &str,
    password: Option<String>,
    password_file: Option<PathBuf>,
    problems: &mut Vec<String>,
) -> (String, Option<Password>) {
    let (url, inline) = split_password(url);
    if inline.is_none() && redact_url(&url) != url {
        problems.push(format!(
            "{section}.url: `{}` holds a password that is not percent-encoded (a `/`, `?` or `#` \
             in it breaks the URL); put the password in the SUPPORT_METRICS__{}__PASSWORD \
             environment variable or a file named by {section}.password_file instead",
            redact_url(&url),
            section.to_ascii_uppercase()
        ));
        return (redact_url(&url), None);
    }
    let from_file = password_file
        .and_then(|p| super::read_secret_file(&format!("{section}.password_file"), &p, problems));
    let given: Vec<(&str, String)> = [
        ("the URL", inline.map(|p| p.expose().to_string())),
        ("the password variable", password),
        ("password_file", from_file),
    ]
    .into_iter()
    .filter_map(|(from, p)| p.map(|p| (from, p)))
    .collect();
    let key = |from: &str| match from {
        "the URL" => format!("{section}.url"),
        "the password variable" => format!("{section}.password"),
        _ => format!("{section}.password_file"),
    };
    match given.as_slice() {
        [] => (url, None),
        [(from, p)] => {
            match url_userinfo(&url) {
                Some((scheme, _)) if scheme.starts_with("sqlite") => problems.push(format!(
                    "{}: `{url}` is an SQLite file, which takes no password",
                    key(from)
                )),
                Some((scheme, None)) => problems.push(format!(
                    "{}: `{url}` names no user (expected {scheme}://USER@HOST/…)",
                    key(from)
                )),
                _ => {}
            }
            (url, Some(Password::new(p.clone())))
        }
        more => {
            let names: Vec<&str> = more.iter().map(|(from, _)| *from).collect();
            problems.push(format!(
                "{section}.password: a password is given by {}; keep one",
                names.join(" and by ")
            ));
            (url, None)
        }
    }
}

/// Passwords written in the configuration file itself (checked before
/// environment overrides are applied): each a problem saying where
/// passwords go instead.
pub(super) fn passwords_in_file(table: &toml::Table) -> Vec<String> {
    let mut problems = Vec::new();
    for section in ["source", "state"] {
        let Some(t) = table.get(section) else {
            continue;
        };
        let instead = format!(
            "put it in a file named by {section}.password_file, or in the \
             SUPPORT_METRICS__{}__PASSWORD environment variable",
            section.to_ascii_uppercase()
        );
        if t.get("password").is_some() {
            problems.push(format!(
                "{section}.password: secrets are not read from the configuration file; {instead}"
            ));
        }
        if section == "state" && t.get("requester_salt").is_some() {
            problems.push(
                "state.requester_salt: secrets are not read from the configuration file; put it \
                 in a file named by state.requester_salt_file, or in the \
                 SUPPORT_METRICS__STATE__REQUESTER_SALT environment variable"
                    .to_string(),
            );
        }
        // As `redact_url` sees it: a password that was not even
        // percent-encoded is one too.
        if let Some(url) = t.get("url").and_then(|u| u.as_str())
            && redact_url(url) != url
        {
            problems.push(format!(
                "{section}.url: `{}` holds a password, which is not read from the configuration \
                 file; remove it from the URL and {instead}",
                redact_url(url)
            ));
        }
    }
    problems
}

/// `s` percent-encoded for a URL component: the unreserved characters
/// (letters, digits, `-._~`) as they are, every other byte as `%XX`.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `%XX` sequences back to their bytes; anything else (a lone `%`) as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_with_url_delimiters_are_masked() {
        for (url, shown) in [
            (
                "postgres://u:secret@db:5432/x",
                "postgres://u:***@db:5432/x",
            ),
            ("postgres://u:pa/ss@db/x", "postgres://u:***@db/x"),
            ("postgres://u:p@ss@db/x", "postgres://u:***@db/x"),
            ("postgres://u:a:b@db/x", "postgres://u:***@db/x"),
            ("postgres://u:a#b@db/x", "postgres://u:***@db/x"),
            ("postgres://u:a?b@db/x", "postgres://u:***@db/x"),
            ("mysql://u:p%2Fw@db/x", "mysql://u:***@db/x"),
            // No password: shown as it is.
            ("postgres://u@db/x", "postgres://u@db/x"),
            ("postgres://db:5432/x", "postgres://db:5432/x"),
            ("sqlite://data/x.db", "sqlite://data/x.db"),
            ("sqlite://data/a@b.db", "sqlite://data/a@b.db"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn an_inline_password_is_taken_out_decoded() {
        let (url, p) =
            split_password("postgres://reader:p%40ss%2Fw@db:5432/helpdesk?sslmode=require");
        assert_eq!(url, "postgres://reader@db:5432/helpdesk?sslmode=require");
        assert_eq!(p.map(|p| p.expose().to_string()).as_deref(), Some("p@ss/w"));
        let (url, p) = split_password("postgres://reader@db/x");
        assert_eq!((url.as_str(), p), ("postgres://reader@db/x", None));
        assert_eq!(format!("{:?}", Password::new("x".into())), "Password(***)");
    }

    #[test]
    fn one_password_source_at_most() {
        let mut problems = Vec::new();
        let (url, p) = resolve(
            "source",
            "postgres://u:a@db/x",
            Some("b".into()),
            None,
            &mut problems,
        );
        assert_eq!((url.as_str(), p), ("postgres://u@db/x", None));
        assert_eq!(
            problems,
            vec![
                "source.password: a password is given by the URL and by the password variable; keep one"
            ]
        );
    }
}
