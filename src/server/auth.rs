//! HTTP basic authentication against bcrypt hashes, as Prometheus'
//! exporter-toolkit does it (`basic_auth_users`).
//!
//! A bcrypt check costs tens of milliseconds by design; a scraper sends the
//! same credentials every few seconds, so a pair that passed once is
//! remembered (in this process's memory only) and later scrapes cost a
//! lookup. Failed attempts are never remembered. An unknown user is checked
//! against a dummy hash, so that the answer takes as long as for a known one
//! (`check-config` refuses hashes of different costs, for the same reason).
//!
//! The checks run on the blocking pool, at most [`Users::slots`] at a
//! time (half the cores): forty clients guessing passwords keep those
//! busy, not every core, so `/healthz` and a remembered scraper are served
//! at once. A request that waits longer than [`QUEUE_WAIT`] for a slot is
//! refused without a check. A password longer than bcrypt reads (71 bytes
//! and a NUL) is refused, never cut.

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

/// How long a request waits for a free bcrypt slot before it is refused.
pub const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub struct Users {
    hashes: BTreeMap<String, BcryptHash>,
    /// Checked for unknown users: as costly as the real hashes.
    dummy: String,
    verified: Mutex<HashSet<(String, String)>>,
    /// bcrypt checks that may run at once.
    slots: tokio::sync::Semaphore,
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
            slots: tokio::sync::Semaphore::new(Users::slots()),
        })
    }

    /// Half the cores, at least one.
    pub fn slots() -> usize {
        std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
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
        let Ok(Ok(_slot)) = tokio::time::timeout(QUEUE_WAIT, self.slots.acquire()).await else {
            tracing::warn!("authentication refused unchecked: every bcrypt slot is busy");
            return false;
        };
        // bcrypt is slow on purpose: off the async workers. Over 72 bytes
        // the non-truncating check fails rather than compare a prefix.
        let ok =
            tokio::task::spawn_blocking(move || bcrypt::non_truncating_verify(password, &hash))
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

    #[tokio::test]
    async fn a_password_past_72_bytes_is_refused_not_cut() {
        let long = "x".repeat(71);
        // The longest password bcrypt reads whole (71 bytes and its NUL).
        let hash = bcrypt::hash(&long, 4).expect("hash");
        let users = Users::new(BTreeMap::from([("p".into(), BcryptHash(hash))]));
        assert!(users.check("p".into(), long.clone()).await);
        assert!(!users.check("p".into(), format!("{long}and more")).await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn guessing_clients_do_not_hold_up_a_remembered_scraper() {
        let hash = bcrypt::hash("s3cret", 8).expect("hash");
        let users = Users::new(BTreeMap::from([("prometheus".into(), BcryptHash(hash))]));
        assert!(users.check("prometheus".into(), "s3cret".into()).await);
        let guesses: Vec<_> = (0..40)
            .map(|i| {
                let users = Arc::clone(&users);
                tokio::spawn(
                    async move { users.check("prometheus".into(), format!("guess{i}")).await },
                )
            })
            .collect();
        tokio::task::yield_now().await;
        // The scraper's pair is remembered: no slot, no wait for the guesses.
        assert!(users.check("prometheus".into(), "s3cret".into()).await);
        let pending = guesses.iter().filter(|g| !g.is_finished()).count();
        assert!(
            pending > 0,
            "the guesses (40 × cost 8 on {} slot(s)) are still queued",
            Users::slots()
        );
        for g in guesses {
            assert!(!g.await.expect("join"), "a guess never passes");
        }
    }
}
