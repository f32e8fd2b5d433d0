//! The cron scheduler of `serve`: one loop per job, each sleeping until its
//! expression's next time in `schedule.timezone`, all stopping on shutdown.
//!
//! The exporter runs one job at a time, so a slow collection delays a KPI
//! run rather than racing it. A run whose time has passed while another job
//! ran is not repeated: the loop asks for the next time after *now*.

use std::sync::Arc;

use chrono::Utc;
use chrono_tz::Tz;
use tokio::sync::watch;

use crate::exporter::{Exporter, Job};
use crate::model::Instant;

/// The first time of `schedule` strictly after `now`, in `tz`.
pub fn next_after(schedule: &cron::Schedule, tz: Tz, now: Instant) -> Option<Instant> {
    schedule
        .after(&now.with_timezone(&tz))
        .next()
        .map(|t| t.with_timezone(&Utc))
}

/// Runs `job` on its schedule until `shutdown` turns true. A failed
/// collection or KPI run (database down, restarted, timing out) is retried
/// after [`backoff`] rather than at the next scheduled time, unless that
/// comes first: an hourly collection catches up seconds after the database
/// is back. Meanwhile `/metrics` keeps the last good values.
/// `failures`: failed runs in a row so far (the start-up run's).
pub async fn job_loop(
    exporter: Arc<Exporter>,
    job: Job,
    schedule: cron::Schedule,
    mut failures: u32,
    mut shutdown: watch::Receiver<bool>,
) {
    let tz = exporter.settings().timezone;
    loop {
        let now = exporter.now();
        let Some(next) = next_after(&schedule, tz, now) else {
            tracing::warn!(job = job.as_str(), "schedule has no future time; job stops");
            return;
        };
        let mut wake = next;
        if failures > 0 {
            wake = wake.min(later(now, backoff(failures)));
        }
        tokio::select! {
            _ = exporter.sleep_until(wake) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        // Errors are logged and counted by the exporter.
        let Some(mut outcome) = run_unless_shutdown(&exporter, job, &mut shutdown).await else {
            return;
        };
        if job != Job::Digest {
            if outcome.is_err() {
                failures = failures.saturating_add(1);
                tracing::warn!(
                    job = job.as_str(),
                    failures,
                    "retrying in at most {} s",
                    backoff(failures).as_secs()
                );
            } else {
                failures = 0;
            }
            continue;
        }
        // A digest that could not be sent is retried soon, not next week.
        while matches!(&outcome, Ok(o) if o.needs_retry()) || outcome.is_err() {
            tracing::info!(job = job.as_str(), "retrying in {} s", RETRY.as_secs());
            tokio::select! {
                _ = exporter.sleep_until(later(exporter.now(), RETRY)) => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
            match run_unless_shutdown(&exporter, job, &mut shutdown).await {
                Some(o) => outcome = o,
                None => return,
            }
        }
    }
}

/// Runs `job` now. A digest waiting on a slow mail server is abandoned on
/// shutdown (`None`: its claim lapses after the lease; the next run sends
/// what was not accepted); a collection or KPI run finishes, its
/// transaction whole.
pub async fn run_unless_shutdown(
    exporter: &Exporter,
    job: Job,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<Result<crate::exporter::JobOutcome, crate::exporter::JobError>> {
    let run = exporter.run_job(job, exporter.now());
    if job != Job::Digest {
        return Some(run.await);
    }
    tokio::select! {
        o = run => Some(o),
        _ = shutdown.wait_for(|s| *s) => {
            tracing::info!(job = job.as_str(), "shutting down: the digest run is abandoned");
            None
        }
    }
}

/// `d` after `t`, or the end of time (never a panic on the clock's value).
pub fn later(t: Instant, d: std::time::Duration) -> Instant {
    chrono::TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC)
}

/// The wait before retrying after `failures` failed runs in a row: 5 s,
/// doubled each time, at most 5 minutes.
pub fn backoff(failures: u32) -> std::time::Duration {
    const FIRST: u64 = 5;
    const MAX: u64 = 300;
    let doublings = failures.saturating_sub(1).min(16);
    std::time::Duration::from_secs((FIRST << doublings).min(MAX))
}

/// Wait before a digest run that left messages unsent runs again.
pub const RETRY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Whether `schedule` had a time in the day before `now`: a run the
/// service missed (it was down) and should catch up on at start.
pub fn missed_recently(schedule: &cron::Schedule, tz: Tz, now: Instant) -> bool {
    next_after(schedule, tz, now - chrono::Duration::days(1)).is_some_and(|t| t <= now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_cron;
    use crate::engine::calendar::tests::t;

    #[test]
    fn retries_back_off_from_5_seconds_to_5_minutes() {
        let secs: Vec<u64> = (1..=9).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, vec![5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(backoff(u32::MAX).as_secs(), 300);
    }

    #[test]
    fn next_time_follows_the_expression_in_the_schedule_time_zone() {
        let every_minute = parse_cron("0 * * * * *").unwrap();
        assert_eq!(
            next_after(&every_minute, Tz::UTC, t("2026-03-02T10:00:30Z")),
            Some(t("2026-03-02T10:01:00Z"))
        );
        // 07:00 on Mondays, Paris time: 06:00 UTC in winter, 05:00 in summer.
        let monday_seven = parse_cron("0 7 * * Mon").unwrap();
        let paris: Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(
            next_after(&monday_seven, paris, t("2026-03-25T12:00:00Z")),
            Some(t("2026-03-30T05:00:00Z"))
        );
        assert_eq!(
            next_after(&monday_seven, paris, t("2026-03-20T12:00:00Z")),
            Some(t("2026-03-23T06:00:00Z"))
        );
    }
}
