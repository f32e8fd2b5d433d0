//! `[alerts]`: the knobs of the Prometheus alert rules that
//! `support-metrics rules` generates. Raw TOML in, validated
//! [`AlertSettings`] out, every problem named by its key path.
//!
//! The SLO alerts themselves come from `[[slo]]`; this section only holds
//! what the SLOs cannot say: the scrape job's name, how many tickets a
//! burn-rate window needs before it may page, and the oldest-ticket limits.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::parse_duration;
use crate::model::Priority;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    prometheus_job: Option<String>,
    burn_rate_min_tickets: Option<u32>,
    burn_rate_min_short_breaches: Option<u32>,
    #[serde(default)]
    oldest_awaiting_first_response: BTreeMap<String, String>,
    stale_after: Option<String>,
    runbook_url: Option<String>,
}

/// Validated `[alerts]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSettings {
    /// The `job_name` of the Prometheus scrape job (the `job` target label)
    /// that scrapes this exporter: the exporter-down alert watches its `up`.
    pub prometheus_job: String,
    /// A burn-rate window pages only when it judged at least this many
    /// tickets, so one late reply on a quiet night is not an incident.
    pub burn_rate_min_tickets: u32,
    /// ... and only when its short window holds at least this many
    /// breaches: one late ticket in a quiet half hour makes an error ratio
    /// of 100% there, which is not yet a fire.
    pub burn_rate_min_short_breaches: u32,
    /// Calendar age of the oldest ticket awaiting a first response, per
    /// priority, beyond which someone should look at the queue. A priority
    /// without a limit gets no alert.
    pub oldest_awaiting_first_response: BTreeMap<Priority, Duration>,
    /// How old the last successful collection may be before the data is
    /// stale. `None`: derived from `schedule.collect` (twice its longest gap
    /// plus 5 minutes).
    pub stale_after: Option<Duration>,
    /// Where the README's Runbook section is published; each alert links to
    /// `<runbook_url>#<alert anchor>`.
    pub runbook_url: String,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            prometheus_job: "support-metrics".to_string(),
            burn_rate_min_tickets: 5,
            burn_rate_min_short_breaches: 2,
            oldest_awaiting_first_response: [
                (Priority::Urgent, 2 * HOUR),
                (Priority::High, 8 * HOUR),
                (Priority::Normal, 24 * HOUR),
                (Priority::Low, 72 * HOUR),
                (Priority::None, 24 * HOUR),
            ]
            .into_iter()
            .collect(),
            stale_after: None,
            runbook_url: "README.md".to_string(),
        }
    }
}

const HOUR: Duration = Duration::from_secs(3600);

pub(super) fn validate(raw: RawAlerts, problems: &mut Vec<String>) -> AlertSettings {
    let mut out = AlertSettings::default();
    if let Some(job) = raw.prometheus_job {
        // It goes into PromQL string literals and YAML unescaped.
        if job.is_empty() || job.contains(['"', '\\', '\n']) {
            problems.push(format!(
                "alerts.prometheus_job: `{job}` must be a non-empty scrape job name without quotes or backslashes"
            ));
        } else {
            out.prometheus_job = job;
        }
    }
    match raw.burn_rate_min_tickets {
        Some(0) => problems.push(
            "alerts.burn_rate_min_tickets: must be at least 1 (a window without tickets has no error ratio)".into(),
        ),
        Some(n) => out.burn_rate_min_tickets = n,
        None => {}
    }
    match raw.burn_rate_min_short_breaches {
        Some(0) => problems.push(
            "alerts.burn_rate_min_short_breaches: must be at least 1 (a short window without breaches is not burning)".into(),
        ),
        Some(n) => out.burn_rate_min_short_breaches = n,
        None => {}
    }
    for (key, value) in raw.oldest_awaiting_first_response {
        let at = format!("alerts.oldest_awaiting_first_response.{key}");
        let Ok(priority) = key.parse::<Priority>() else {
            problems.push(format!(
                "{at}: `{key}` is not a priority; expected low, normal, high, urgent or none"
            ));
            continue;
        };
        match value.as_str() {
            // An explicit way to silence one priority.
            "off" => {
                out.oldest_awaiting_first_response.remove(&priority);
            }
            _ => match parse_duration(&value) {
                Ok(d) if d > Duration::ZERO => {
                    out.oldest_awaiting_first_response.insert(priority, d);
                }
                Ok(_) => problems.push(format!("{at}: must be longer than zero (or \"off\")")),
                Err(e) => problems.push(format!("{at}: {e}")),
            },
        }
    }
    if let Some(s) = raw.stale_after {
        match parse_duration(&s) {
            Ok(d) if d >= Duration::from_secs(60) => out.stale_after = Some(d),
            Ok(_) => problems.push(
                "alerts.stale_after: must be at least 1m (Prometheus scrapes every few seconds at best)".into(),
            ),
            Err(e) => problems.push(format!("alerts.stale_after: {e}")),
        }
    }
    if let Some(url) = raw.runbook_url {
        if url.is_empty() || url.contains(['"', '\\', '\n', '#']) {
            problems.push(format!(
                "alerts.runbook_url: `{url}` must be a URL without a #fragment, quotes or backslashes"
            ));
        } else {
            out.runbook_url = url;
        }
    }
    out
}
