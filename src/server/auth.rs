//! HTTP basic authentication against bcrypt hashes, as Prometheus'
//! exporter-toolkit does it (`basic_auth_users`).
//!
//! A bcrypt check costs tens of milliseconds by design; a scraper sends the
//! same credentials every few seconds, so a pair that passed once is
//! remembered (in this process's memory only) and later scrapes cost a
//! lookup. Failed attempts are never remembered. An unknown user is checked
//! against a dummy hash, so that the answer takes as long as for a known one.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::config::BcryptHash;

/// At most this many verified pairs are remembered (then forgotten at once).
const REMEMBERED: usize = 64;

pub struct Users {
    hashes: BTreeMap<String, BcryptHash>,
    /// Checked for unknown users: as costly as the real hashes.
    dummy: String,
    verified: Mutex<HashSet<(String, String)>>,
}

impl Users {
    pub fn new(hashes: BTreeMap<String, BcryptHash>) -> Arc<Users> {
        let cost = hashes
            .values()
            .find_map(|h| h.0.parse::<bcrypt::HashParts>().ok())
            .map_or(bcrypt::DEFAULT_COST, |p| p.get_cost());
        let dummy = bcrypt::hash("support-metrics: no such user", cost).unwrap_or_default();
        Arc::new(Users {
            hashes,
            dummy,
            verified: Mutex::new(HashSet::new()),
        })
    }

    fn remembered(&self, pair: &(String, String)) -> bool {
        self.verified.lock().is_ok_and(|v| v.contains(pair))
    }

    fn remember(&self, pair: (String, String)) {
        if let Ok(mut v) = self.verified.lock() {
            if v.len() >= REMEMBERED {
                v.clear();
            }
            v.insert(pair);
        }
    }

    /// Whether `user` and `password` are allowed.
    async fn check(self: &Arc<Self>, user: String, password: String) -> bool {
        let pair = (user, password);
        if self.remembered(&pair) {
            return true;
        }
        let hash = self.hashes.get(&pair.0).map(|h| h.0.clone());
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy.clone());
        let password = pair.1.clone();
        // bcrypt is slow on purpose: off the async workers.
        let ok = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash))
            .await
            .is_ok_and(|r| r.unwrap_or(false))
            && known;
        if ok {
            self.remember(pair);
        }
        ok
    }
}

/// `user:password` from an `Authorization: Basic …` header.
fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// The middleware: passes the request on, or answers 401 with a challenge.
pub async fn require(State(users): State<Arc<Users>>, req: Request, next: Next) -> Response {
    let allowed = match credentials(req.headers()) {
        Some((user, password)) => {
            let ok = users.check(user.clone(), password).await;
            if !ok {
                // The user is named, the password never.
                // Escaped: a name is the client's text (a line break in it
                // would forge a log line).
                let user = crate::printable::printable(&user);
                tracing::warn!(%user, path = %req.uri().path(), "authentication failed");
            }
            ok
        }
        None => false,
    };
    if allowed {
        next.run(req).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                "Basic realm=\"support-metrics\", charset=\"UTF-8\"",
            )],
            "authentication required\n",
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, value.parse().expect("header value"));
        h
    }

    #[test]
    fn basic_credentials_are_decoded_and_anything_else_refused() {
        // "prometheus:pa:ss" — a password may hold a colon.
        assert_eq!(
            credentials(&headers("Basic cHJvbWV0aGV1czpwYTpzcw==")),
            Some(("prometheus".into(), "pa:ss".into()))
        );
        assert_eq!(
            credentials(&headers("basic cHJvbWV0aGV1czpwYTpzcw==")),
            Some(("prometheus".into(), "pa:ss".into()))
        );
        assert_eq!(credentials(&headers("Bearer abc")), None);
        assert_eq!(credentials(&headers("Basic !!!")), None);
        // No colon: not user:password.
        assert_eq!(credentials(&headers("Basic cHJvbWV0aGV1cw==")), None);
        assert_eq!(credentials(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn only_the_right_password_of_a_known_user_passes() {
        let hash = bcrypt::hash("s3cret", 4).expect("hash");
        let users = Users::new(BTreeMap::from([("prometheus".into(), BcryptHash(hash))]));
        assert!(users.check("prometheus".into(), "s3cret".into()).await);
        // Remembered: passes again without a bcrypt check.
        assert!(users.remembered(&("prometheus".into(), "s3cret".into())));
        assert!(users.check("prometheus".into(), "s3cret".into()).await);
        assert!(!users.check("prometheus".into(), "S3cret".into()).await);
        assert!(!users.check("grafana".into(), "s3cret".into()).await);
        assert!(!users.remembered(&("prometheus".into(), "S3cret".into())));
    }
}
