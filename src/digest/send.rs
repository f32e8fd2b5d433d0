//! Delivery: every (scope, recipient) message of a week, over SMTP, each at
//! most once thanks to the digest log, with retries and back-off.
//!
//! A message is claimed in the log, sent (up to `smtp.attempts` tries,
//! waiting `retry_backoff`, then twice as long, …), and recorded as sent
//! only once the server has accepted it. A message that still fails is
//! released for the next run. The one gap no log can close: a process
//! killed between the server's acceptance and the log's commit sends again
//! after the claim's lease; the Message-ID is the same on every try, so the
//! receiving side can drop the copy.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{DigestSettings, Security, SmtpSettings};
use crate::digest::render::{self, RenderError, Rendered};
use crate::digest::{Analysis, Digest, Scope};
use crate::model::Instant;
use crate::state::{Claim, DigestKey, StateError, StateStore};

/// The SMTP transport for `smtp`.
pub fn transport(smtp: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let builder = match smtp.security {
        Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
            .map_err(|e| format!("digest.smtp.host `{}`: {e}", smtp.host))?,
        Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
            .map_err(|e| format!("digest.smtp.host `{}`: {e}", smtp.host))?,
        Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
    };
    let mut builder = builder.port(smtp.port).timeout(Some(smtp.timeout));
    if let Some(user) = &smtp.username {
        let password = smtp
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_string())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

/// Who receives `scope`'s digest.
pub fn recipients<'a>(settings: &'a DigestSettings, scope: &Scope) -> &'a [Mailbox] {
    match scope.team() {
        None => &settings.recipients,
        Some(t) => settings.teams.get(t).map_or(&[], Vec::as_slice),
    }
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Sent {
        message_id: String,
        attempts: u32,
    },
    /// Sent by an earlier run (or another replica).
    AlreadySent,
    /// Another sender is sending it right now.
    Busy,
    /// Not accepted after every try; the next run tries again.
    Failed {
        error: String,
        attempts: u32,
    },
    /// Refused for good by the server (a permanent 5xx answer: no such
    /// mailbox, message too large): not tried again, by this run or a
    /// later one; the reason is in the digest log.
    Refused {
        error: String,
    },
}

impl Outcome {
    /// The `result` label of `support_digest_emails_total`.
    /// Every value of `label()`.
    pub const LABELS: [&'static str; 5] = ["sent", "already_sent", "busy", "failed", "refused"];

    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Sent { .. } => "sent",
            Outcome::AlreadySent => "already_sent",
            Outcome::Busy => "busy",
            Outcome::Failed { .. } => "failed",
            Outcome::Refused { .. } => "refused",
        }
    }

    /// Not accepted: waits for the next run.
    pub fn is_failed(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub scope: String,
    pub recipient: String,
    pub outcome: Outcome,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// Retry policy of one run.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub backoff: std::time::Duration,
    /// How long one try — connection, every command, the message — may
    /// take: a server that greets and then goes silent is a failed try,
    /// not a hung job (lettre's own timeout covers only some waits).
    pub timeout: std::time::Duration,
}

impl Retry {
    pub fn of(smtp: &SmtpSettings) -> Retry {
        Retry {
            attempts: smtp.attempts.max(1),
            backoff: smtp.retry_backoff,
            timeout: smtp.timeout,
        }
    }
}

/// Whether a transport's error is the server's final word.
pub trait Permanence {
    fn is_permanent(&self) -> bool;
}

impl Permanence for lettre::transport::smtp::Error {
    fn is_permanent(&self) -> bool {
        lettre::transport::smtp::Error::is_permanent(self)
    }
}

/// Sends every digest of `analysis` that has recipients and was not sent
/// yet; `owner` names this process in the log.
pub async fn deliver<T>(
    analysis: &Analysis,
    settings: &DigestSettings,
    store: &StateStore,
    transport: &T,
    retry: Retry,
    owner: &str,
    now: Instant,
) -> Result<Vec<Delivery>, SendError>
where
    T: AsyncTransport + Sync,
    T::Error: std::fmt::Display + Permanence,
{
    let mut out = Vec::new();
    for d in &analysis.digests {
        let to_all = recipients(settings, &d.scope);
        if to_all.is_empty() {
            continue;
        }
        // One rendering per digest; each recipient gets its own message.
        let rendered = render::render(d, settings.locale, settings.dashboard_url.as_deref())?;
        for to in to_all {
            let outcome = deliver_one(
                d,
                &rendered,
                to,
                &settings.from,
                store,
                transport,
                retry,
                owner,
                now,
            )
            .await?;
            match &outcome {
                Outcome::Sent {
                    message_id,
                    attempts,
                } => tracing::info!(
                    week = %d.week, scope = d.scope.key(), recipient = %to.email, message_id, attempts,
                    "digest sent"
                ),
                Outcome::Failed { error, attempts } => tracing::warn!(
                    week = %d.week, scope = d.scope.key(), recipient = %to.email, attempts,
                    "digest not sent, the next run retries: {error}"
                ),
                Outcome::Refused { error } => tracing::error!(
                    week = %d.week, scope = d.scope.key(), recipient = %to.email,
                    "the SMTP server refused the digest for good; not retried: {error}"
                ),
                other => tracing::info!(
                    week = %d.week, scope = d.scope.key(), recipient = %to.email,
                    "digest skipped: {}", other.label()
                ),
            }
            out.push(Delivery {
                scope: d.scope.key().to_string(),
                recipient: to.email.to_string(),
                outcome,
            });
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn deliver_one<T>(
    d: &Digest,
    rendered: &Rendered,
    to: &Mailbox,
    from: &Mailbox,
    store: &StateStore,
    transport: &T,
    retry: Retry,
    owner: &str,
    now: Instant,
) -> Result<Outcome, SendError>
where
    T: AsyncTransport + Sync,
    T::Error: std::fmt::Display + Permanence,
{
    let key = DigestKey {
        week: d.week.to_string(),
        scope: d.scope.key().to_string(),
        recipient: to.email.to_string().to_ascii_lowercase(),
    };
    match store.claim_digest(&key, owner, now).await? {
        Claim::Mine => {}
        Claim::AlreadySent => return Ok(Outcome::AlreadySent),
        Claim::Busy => return Ok(Outcome::Busy),
        Claim::Refused(error) => return Ok(Outcome::Refused { error }),
    }
    let message_id = render::message_id(d, to, from);
    let message = render::message(
        rendered,
        from,
        std::slice::from_ref(to),
        message_id.clone(),
        now,
    );
    let message = match message {
        Ok(m) => m,
        Err(e) => {
            store.digest_failed(&key, owner, &e.to_string(), 0).await?;
            return Err(e.into());
        }
    };
    let mut wait = retry.backoff;
    let mut last_error = String::new();
    // The job's `now` moved on by the time spent here (retries wait
    // minutes): the time it was sent, without reading the wall clock.
    let started = tokio::time::Instant::now();
    for attempt in 1..=retry.attempts {
        last_error =
            match tokio::time::timeout(retry.timeout, transport.send(message.clone())).await {
                Ok(Ok(_)) => {
                    store
                        .digest_sent(&key, owner, &message_id, attempt, now + elapsed(started))
                        .await?;
                    return Ok(Outcome::Sent {
                        message_id,
                        attempts: attempt,
                    });
                }
                Ok(Err(e)) if e.is_permanent() => {
                    let error = e.to_string();
                    store.digest_refused(&key, owner, &error, attempt).await?;
                    return Ok(Outcome::Refused { error });
                }
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!(
                    "no answer from the SMTP server within digest.smtp.timeout ({} s)",
                    retry.timeout.as_secs_f64()
                ),
            };
        tracing::warn!(
            recipient = %to.email, attempt, of = retry.attempts,
            "the digest was not accepted: {last_error}"
        );
        if attempt < retry.attempts {
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }
    store
        .digest_failed(&key, owner, &last_error, retry.attempts)
        .await?;
    Ok(Outcome::Failed {
        error: last_error,
        attempts: retry.attempts,
    })
}

fn elapsed(since: tokio::time::Instant) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(since.elapsed()).unwrap_or(chrono::TimeDelta::zero())
}
