//! The exporter's jobs and what they share: the source, the state store,
//! the live values and the published snapshot (DESIGN.md §5).
//!
//! `run_job` is the one entry point for `serve`'s scheduler, `run-once` and
//! tests. Jobs run one at a time; each publishes a fresh snapshot and its
//! self-metrics (runs, duration, last success, rows read, source up).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant as Stopwatch;

use futures_util::FutureExt;
use tokio::sync::Mutex;

use crate::clock::{Clock, SystemClock};
use crate::collect::{self, CollectError, Live, Outcome};
use crate::config::Settings;
use crate::error_chain::Chain;
use crate::exposition::{Shared, Snapshot};
use crate::kpi;
use crate::metrics::{self, Buckets};
use crate::model::Instant;
use crate::source::{Access, Source, SourceError};
use crate::state::series::SeriesKey;
use crate::state::{Lease, StateError, StateStore};

/// A scheduled job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Job {
    /// Read what changed in the source into the cumulative series.
    Collect,
    /// Recompute the windowed KPI gauges (7d, 28d).
    Kpi,
    /// Email the last full week's digest to every recipient not sent it yet.
    Digest,
}

impl Job {
    pub const ALL: [Job; 3] = [Job::Collect, Job::Kpi, Job::Digest];

    pub fn as_str(self) -> &'static str {
        match self {
            Job::Collect => "collect",
            Job::Kpi => "kpi",
            Job::Digest => "digest",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Digest(#[from] crate::digest::DigestError),
    /// A bug: the job panicked. It is counted as failed, the live values are
    /// reloaded from the last commit, and the scheduler runs it again.
    #[error("the {job} job panicked (a bug; please report it): {message}")]
    Panicked { job: &'static str, message: String },
}

impl From<CollectError> for JobError {
    fn from(e: CollectError) -> Self {
        match e {
            CollectError::Source(e) => JobError::Source(e),
            CollectError::State(e) => JobError::State(e),
        }
    }
}

/// What a job run did.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    Collect(Outcome),
    Kpi {
        gauges: usize,
    },
    Digest {
        week: crate::digest::IsoWeek,
        deliveries: Vec<crate::digest::send::Delivery>,
    },
    /// Not run: another process leads on this state store.
    Follower,
}

impl JobOutcome {
    /// A digest message that failed and waits for the next run.
    pub fn needs_retry(&self) -> bool {
        match self {
            JobOutcome::Digest { deliveries, .. } => {
                deliveries.iter().any(|d| d.outcome.is_failed())
            }
            _ => false,
        }
    }
}

#[derive(Debug)]
struct SelfMetrics {
    runs: BTreeMap<(Job, &'static str), f64>,
    duration: BTreeMap<Job, f64>,
    last_success: BTreeMap<Job, f64>,
    rows_read: BTreeMap<(Job, String), f64>,
    source_up: Option<bool>,
    /// `None` until the first job asked.
    leader: Option<bool>,
    digest_emails: BTreeMap<&'static str, f64>,
}

impl SelfMetrics {
    /// Every job × result and every email result starts at 0, so that the
    /// first failure is an increase Prometheus can see (`increase()` over a
    /// series that appears at 1 reads 0).
    fn new() -> SelfMetrics {
        SelfMetrics {
            runs: Job::ALL
                .iter()
                .flat_map(|j| [((*j, "ok"), 0.0), ((*j, "error"), 0.0)])
                .collect(),
            duration: BTreeMap::new(),
            last_success: BTreeMap::new(),
            rows_read: BTreeMap::new(),
            source_up: None,
            leader: None,
            digest_emails: crate::digest::send::Outcome::LABELS
                .iter()
                .map(|l| (*l, 0.0))
                .collect(),
        }
    }

    fn series(&self) -> Vec<(SeriesKey, f64)> {
        let job = |j: Job| ("job_name", j.as_str().to_string());
        let mut out = vec![(
            SeriesKey::new(
                &metrics::BUILD_INFO,
                vec![("version", env!("CARGO_PKG_VERSION").to_string())],
            ),
            1.0,
        )];
        for ((j, result), v) in &self.runs {
            out.push((
                SeriesKey::new(
                    &metrics::JOB_RUNS,
                    vec![job(*j), ("result", result.to_string())],
                ),
                *v,
            ));
        }
        for (j, v) in &self.duration {
            out.push((SeriesKey::new(&metrics::JOB_DURATION, vec![job(*j)]), *v));
        }
        for (j, v) in &self.last_success {
            out.push((
                SeriesKey::new(&metrics::JOB_LAST_SUCCESS, vec![job(*j)]),
                *v,
            ));
        }
        for ((j, relation), v) in &self.rows_read {
            out.push((
                SeriesKey::new(
                    &metrics::JOB_ROWS_READ,
                    vec![job(*j), ("relation", relation.clone())],
                ),
                *v,
            ));
        }
        for (result, v) in &self.digest_emails {
            out.push((
                SeriesKey::new(
                    &metrics::DIGEST_EMAILS,
                    vec![("result", result.to_string())],
                ),
                *v,
            ));
        }
        if let Some(leader) = self.leader {
            out.push((
                SeriesKey::new(&metrics::LEADER, vec![]),
                if leader { 1.0 } else { 0.0 },
            ));
        }
        if let Some(up) = self.source_up {
            out.push((
                SeriesKey::new(&metrics::SOURCE_UP, vec![]),
                if up { 1.0 } else { 0.0 },
            ));
        }
        out
    }
}

/// How long a probe waits for the source to answer.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How often `serve` probes the source and its leadership between jobs.
pub const PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

pub struct Exporter {
    settings: Settings,
    store: StateStore,
    /// Connected on first use and again after a failure.
    source: Mutex<Option<Source>>,
    /// Also the lock of the jobs that change it (collect, KPI): one at a
    /// time.
    live: Mutex<Live>,
    /// One digest run at a time. The digest reads the source and sends
    /// mail without the live lock: an SMTP outage (minutes of retries per
    /// recipient) must not stall collection.
    digest_lock: Mutex<()>,
    selfm: std::sync::Mutex<SelfMetrics>,
    shared: Shared,
    ready: AtomicBool,
    /// This process's name in the digest log.
    owner: String,
    /// The leadership among the replicas sharing the state store.
    lease: Mutex<Option<Lease>>,
    /// Where the scheduler reads the time (the machine's, or a test's).
    clock: std::sync::Arc<dyn Clock>,
}

impl Exporter {
    /// Opens the state store and loads what it holds. The source is
    /// connected by the first job, so a source that is down does not stop
    /// the exporter from starting (it reports `support_source_up 0`).
    pub async fn open(settings: Settings) -> Result<Exporter, StateError> {
        Exporter::open_with_clock(settings, std::sync::Arc::new(SystemClock)).await
    }

    /// [`Exporter::open`], reading the time from `clock`.
    pub async fn open_with_clock(
        settings: Settings,
        clock: std::sync::Arc<dyn Clock>,
    ) -> Result<Exporter, StateError> {
        let store = StateStore::open(&settings.state).await?;
        let loaded = store.load().await?;
        let live = Live::from_loaded(loaded, &settings);
        let exporter = Exporter {
            settings,
            store,
            source: Mutex::new(None),
            live: Mutex::new(live),
            digest_lock: Mutex::new(()),
            selfm: std::sync::Mutex::new(SelfMetrics::new()),
            shared: Shared::default(),
            ready: AtomicBool::new(false),
            owner: crate::digest::owner_id(),
            lease: Mutex::new(None),
            clock,
        };
        let live = exporter.live.lock().await;
        exporter.publish(&live);
        drop(live);
        Ok(exporter)
    }

    pub fn shared(&self) -> Shared {
        self.shared.clone()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The time now, by the exporter's clock: what the scheduler hands its
    /// jobs.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Resolves at `at` by the exporter's clock.
    pub fn sleep_until(&self, at: Instant) -> crate::clock::Sleep {
        self.clock.sleep_until(at)
    }

    /// Checks, between jobs, that the source answers and that this process
    /// still leads, so that `support_source_up`, `support_leader` and
    /// `/readyz` tell the truth of the moment rather than of the last job.
    /// Skipped while a job runs: the job reports.
    pub async fn probe(&self) {
        let Ok(mut slot) = self.source.try_lock() else {
            return;
        };
        let up = match slot.as_ref() {
            Some(source) => {
                let up = tokio::time::timeout(PROBE_TIMEOUT, source.ping())
                    .await
                    .is_ok_and(|r| r.is_ok());
                if !up {
                    // Its connections may be dead: reconnect next time.
                    *slot = None;
                }
                up
            }
            // Not connected (never yet, or dropped after a failure).
            None => match tokio::time::timeout(
                PROBE_TIMEOUT,
                Source::connect(&self.settings.source, Access::ReadOnly),
            )
            .await
            {
                Ok(Ok(source)) => {
                    *slot = Some(source);
                    true
                }
                _ => false,
            },
        };
        drop(slot);
        let mut was = None;
        self.with_selfm(|s| {
            was = s.source_up;
            s.source_up = Some(up);
        });
        if was == Some(true) && !up {
            tracing::warn!("the source stopped answering");
        } else if was == Some(false) && up {
            tracing::info!("the source answers again");
        }
        // The leadership: still held, lost (its session ended), or free to
        // take (the leader stopped) — a follower takes over within a probe.
        if let Ok(mut live) = self.live.try_lock() {
            if let Err(e) = self.lead(&mut live).await {
                tracing::warn!(
                    "cannot ask the state store for the leadership: {}",
                    Chain(&e)
                );
            }
            self.publish(&live);
        }
    }

    /// Whether `/readyz` answers 200, and if not, why.
    pub fn readiness(&self) -> Result<(), &'static str> {
        let mut up = None;
        self.with_selfm(|s| up = s.source_up);
        if !self.is_ready() {
            Err("no collection has succeeded yet")
        } else if up == Some(false) {
            Err("the source database does not answer; /metrics shows the last collected values")
        } else {
            Ok(())
        }
    }

    /// True once a job has run in this process (whatever its result).
    pub fn has_run(&self) -> bool {
        let mut ran = false;
        self.with_selfm(|s| ran = s.runs.values().any(|n| *n > 0.0));
        ran
    }

    /// True once a collection has succeeded in this process.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    fn with_selfm(&self, f: impl FnOnce(&mut SelfMetrics)) {
        match self.selfm.lock() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Publishes the live values and self-metrics. A follower publishes
    /// only its self-metrics: the leader serves the data, so that a `sum()`
    /// over every replica counts it once.
    fn publish(&self, live: &Live) {
        let mut leads = true;
        let mut own = Vec::new();
        self.with_selfm(|s| {
            leads = s.leader != Some(false);
            own = s.series();
        });
        let mut values = Vec::new();
        if leads {
            values.extend(live.gauges.iter().cloned());
            values.extend(live.kpis.iter().cloned());
        }
        values.extend(own);
        self.shared.publish(Snapshot {
            cumulative: if leads {
                live.cumulative.clone()
            } else {
                Default::default()
            },
            values,
            buckets: Some(Buckets::for_slos(&self.settings.slos)),
        });
    }

    /// Whether this process leads, becoming the leader if nobody does. A
    /// process that becomes the leader reloads the state first: the
    /// previous leader committed since it was loaded.
    async fn lead(&self, live: &mut Live) -> Result<bool, StateError> {
        let mut lease = self.lease.lock().await;
        if let Some(l) = lease.as_mut() {
            if l.held().await {
                return Ok(true);
            }
            tracing::warn!("lost the leadership: its state store session ended; asking again");
            *lease = None;
            self.with_selfm(|s| s.leader = Some(false));
        }
        let mut was = None;
        self.with_selfm(|s| was = s.leader);
        let tried = self.store.try_lead().await;
        if tried.is_err() {
            // Cannot ask: not the leader, as far as anyone can tell.
            self.with_selfm(|s| s.leader = Some(false));
        }
        let leads = match tried? {
            Some(l) => {
                // Alone on its store (SQLite), the state loaded at start
                // is current; shared, another leader may have committed.
                if l.shared() {
                    *live = Live::from_loaded(self.store.load().await?, &self.settings);
                }
                *lease = Some(l);
                true
            }
            None => false,
        };
        if was != Some(leads) {
            if leads {
                tracing::info!("leading: this process runs the jobs and serves the data");
            } else {
                tracing::info!(
                    "following: another process leads on this state store; taking over when it stops"
                );
            }
        }
        self.with_selfm(|s| s.leader = Some(leads));
        Ok(leads)
    }

    /// Runs `job` at wall-clock `now`, records its self-metrics and
    /// publishes the new snapshot. A collection or KPI run waits for the
    /// running one to finish first; a digest waits only for another digest.
    pub async fn run_job(&self, job: Job, now: Instant) -> Result<JobOutcome, JobError> {
        use tracing::Instrument;
        // Every line a job logs (its reads, its rejections, its result with
        // the counts) carries the job and the clock it ran at.
        let span = tracing::info_span!("job", job = job.as_str(), at = %now.to_rfc3339());
        self.run_job_in_span(job, now).instrument(span).await
    }

    async fn run_job_in_span(&self, job: Job, now: Instant) -> Result<JobOutcome, JobError> {
        let _one_digest = match job {
            Job::Digest => Some(self.digest_lock.lock().await),
            Job::Collect | Job::Kpi => None,
        };
        let mut live = self.live.lock().await;
        let started = Stopwatch::now();
        match self.lead(&mut live).await {
            Ok(true) => {}
            Ok(false) => {
                // A follower is ready: it answers for what it is.
                self.ready.store(true, Ordering::Relaxed);
                self.publish(&live);
                return Ok(JobOutcome::Follower);
            }
            Err(e) => {
                self.with_selfm(|s| *s.runs.entry((job, "error")).or_default() += 1.0);
                self.publish(&live);
                tracing::error!("job failed: {}", Chain(&e));
                return Err(e.into());
            }
        }
        let result = match job {
            Job::Collect => {
                let result = caught(job, self.collect(&mut live, now)).await;
                self.recover(&mut live, result).await
            }
            Job::Kpi => {
                let run = async {
                    let gauges = kpi::run(
                        &self.store,
                        now,
                        self.settings.timezone,
                        &live.labels,
                        &self.settings.servqual,
                    )
                    .await?;
                    let n = gauges.len();
                    live.kpis = gauges;
                    Ok(JobOutcome::Kpi { gauges: n })
                };
                let result = caught(job, run).await;
                self.recover(&mut live, result).await
            }
            Job::Digest => {
                // The digest changes nothing in `live`: it runs unlocked,
                // and the lock is taken again to publish its self-metrics.
                drop(live);
                let result = caught(job, self.digest(now)).await;
                live = self.live.lock().await;
                result
            }
        };
        let elapsed = started.elapsed().as_secs_f64();
        self.with_selfm(|s| {
            let label = if result.is_ok() { "ok" } else { "error" };
            *s.runs.entry((job, label)).or_default() += 1.0;
            s.duration.insert(job, elapsed);
            if result.is_ok() {
                s.last_success
                    .insert(job, now.timestamp_micros() as f64 / 1e6);
            }
            if let Ok(JobOutcome::Digest { deliveries, .. }) = &result {
                for d in deliveries {
                    *s.digest_emails.entry(d.outcome.label()).or_default() += 1.0;
                }
            }
            if let Ok(JobOutcome::Collect(o)) = &result {
                s.rows_read.retain(|(j, _), _| *j != job);
                for (rel, n) in &o.rows_read {
                    s.rows_read.insert((job, rel.to_string()), *n as f64);
                }
            }
        });
        self.publish(&live);
        match &result {
            Ok(JobOutcome::Collect(o)) => tracing::info!(
                seconds = format!("{elapsed:.3}"),
                backfill = o.backfill,
                new_events = o.new_events,
                tickets_walked = o.tickets_walked,
                rows_rejected = o.rows_rejected,
                last_event_id = o.last_event_id,
                "job done"
            ),
            Ok(JobOutcome::Kpi { gauges }) => {
                tracing::info!(seconds = format!("{elapsed:.3}"), gauges, "job done")
            }
            Ok(JobOutcome::Digest { week, deliveries }) => tracing::info!(
                seconds = format!("{elapsed:.3}"),
                %week,
                messages = deliveries.len(),
                failed = deliveries.iter().filter(|d| d.outcome.is_failed()).count(),
                "job done"
            ),
            Ok(JobOutcome::Follower) => {}
            Err(e) => tracing::error!("job failed: {}", Chain(e)),
        }
        result
    }

    /// After a panic in a job that changes `live`, drops what the
    /// interrupted run changed in memory (the last commit is the truth) and
    /// the source connection it may have left half-used.
    async fn recover(
        &self,
        live: &mut Live,
        result: Result<JobOutcome, JobError>,
    ) -> Result<JobOutcome, JobError> {
        if matches!(result, Err(JobError::Panicked { .. })) {
            match self.store.load().await {
                Ok(loaded) => *live = Live::from_loaded(loaded, &self.settings),
                Err(e) => {
                    tracing::error!("cannot reload the state after a panic: {}", Chain(&e))
                }
            }
            *self.source.lock().await = None;
        }
        result
    }

    /// Sends the last full week's digests that were not sent yet.
    async fn digest(&self, now: Instant) -> Result<JobOutcome, JobError> {
        let settings = &self.settings;
        let week = crate::digest::IsoWeek::last_full(now, settings.timezone);
        if !settings.digest.has_recipients() {
            tracing::info!(
                "digest: no recipients in digest.recipients or digest.teams; nothing to send"
            );
            return Ok(JobOutcome::Digest {
                week,
                deliveries: Vec::new(),
            });
        }
        let source = Source::connect(&settings.source, Access::ReadOnly).await?;
        // The store's timelines when it can give the weeks (it is kept
        // current by the collections), the source's events otherwise.
        let analysis =
            match crate::digest::analyse(&source, Some(&self.store), settings, week, now).await {
                Err(e @ crate::report::ReportError::NotCurrent(_)) => {
                    tracing::info!("digest: reading the source's events instead ({e})");
                    crate::digest::analyse(&source, None, settings, week, now).await
                }
                other => other,
            }
            .map_err(crate::digest::DigestError::from)?;
        let deliveries =
            crate::digest::send_all(&analysis, &settings.digest, &self.store, &self.owner, now)
                .await?;
        Ok(JobOutcome::Digest { week, deliveries })
    }

    async fn collect(&self, live: &mut Live, now: Instant) -> Result<JobOutcome, JobError> {
        let mut slot = self.source.lock().await;
        let source = match slot.take() {
            Some(s) => s,
            None => match Source::connect(&self.settings.source, Access::ReadOnly).await {
                Ok(s) => s,
                Err(e) => {
                    self.with_selfm(|s| s.source_up = Some(false));
                    return Err(e.into());
                }
            },
        };
        let result = collect::run(&source, &self.store, &self.settings, live, now).await;
        let source_failed = matches!(result, Err(CollectError::Source(_)));
        self.with_selfm(|s| s.source_up = Some(!source_failed));
        // After a source error the pool may be broken: reconnect next time.
        if !source_failed {
            *slot = Some(source);
        }
        let outcome = result?;
        self.ready.store(true, Ordering::Relaxed);
        Ok(JobOutcome::Collect(outcome))
    }
}

/// Runs a job, turning a panic (a bug, never data: see `source::decode`)
/// into [`JobError::Panicked`]: it must not end the scheduler's loop for
/// good while `/metrics` serves stale data.
async fn caught(
    job: Job,
    run: impl std::future::Future<Output = Result<JobOutcome, JobError>>,
) -> Result<JobOutcome, JobError> {
    match std::panic::AssertUnwindSafe(run).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => Err(JobError::Panicked {
            job: job.as_str(),
            message: crate::panic::message(payload.as_ref()),
        }),
    }
}
