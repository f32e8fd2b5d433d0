//! `support-metrics serve`: the exporter, its scheduler and its HTTP
//! server, with one shutdown path for SIGTERM and Ctrl-C.
//!
//! On start it binds the listener (printing the real address), runs a first
//! collection and KPI computation at once (and the digest, if its scheduled
//! time passed in the last day), then follows the cron schedule.
//! On a signal it stops scheduling, lets a running job finish (its state
//! transaction commits or rolls back as a whole) and closes the server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::exporter::{Exporter, Job};
use crate::{scheduler, server};

/// Resolves when SIGTERM or SIGINT (Ctrl-C) arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

/// Serves `app` on `listener` until `stop` turns true.
fn spawn_server<L>(
    listener: L,
    app: axum::Router,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<std::io::Result<()>>
where
    L: axum::serve::Listener,
{
    tokio::spawn(async move {
        server::connections::serve(listener, app, stop).await;
        Ok(())
    })
}

/// Runs `job`'s scheduler loop, starting it again if it panics (a bug):
/// a job must never stop for good while `/metrics` goes on serving.
async fn supervise(
    exporter: Arc<Exporter>,
    job: Job,
    schedule: cron::Schedule,
    failures: u32,
    shutdown: watch::Receiver<bool>,
) {
    let mut failures = failures;
    loop {
        let looped = tokio::spawn(scheduler::job_loop(
            Arc::clone(&exporter),
            job,
            schedule.clone(),
            failures,
            shutdown.clone(),
        ));
        match looped.await {
            Err(e) if e.is_panic() && !*shutdown.borrow() => {
                tracing::error!(
                    job = job.as_str(),
                    "the job's scheduler loop panicked (a bug); restarting it"
                );
                failures = 1;
            }
            _ => return,
        }
    }
}

/// Serves until `stop` resolves. `announce` is called with the bound address.
pub async fn serve(
    settings: Settings,
    listen: SocketAddr,
    stop: impl Future<Output = ()> + Send + 'static,
    announce: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    serve_with_clock(settings, Arc::new(SystemClock), listen, stop, announce).await
}

/// [`serve`], its jobs timed by `clock`.
pub async fn serve_with_clock(
    settings: Settings,
    clock: Arc<dyn Clock>,
    listen: SocketAddr,
    stop: impl Future<Output = ()> + Send + 'static,
    announce: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let exporter = Arc::new(Exporter::open_with_clock(settings.clone(), clock).await?);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (set server.listen or --listen)"))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    tracing::info!(%addr, "serving /metrics, /healthz and /readyz");
    announce(addr);

    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        tracing::info!("shutting down: waiting for a running job to finish");
        let _ = tx.send(true);
    });

    let app = server::app(Arc::clone(&exporter), &settings.server.basic_auth_users)
        .context("cannot build the metrics registry")?;
    let server_rx = rx.clone();
    let server = match &settings.server.tls {
        None => spawn_server(listener, app, server_rx),
        Some(files) => {
            let config = server::tls::server_config(files).map_err(anyhow::Error::msg)?;
            let listener = server::tls::TlsListener::new(listener, config)
                .context("cannot read the bound address")?;
            spawn_server(listener, app, server_rx)
        }
    };

    // Between jobs, the source and the leadership are probed, so that
    // what /metrics and /readyz say is true of the moment.
    {
        let exporter = Arc::clone(&exporter);
        let mut rx = rx.clone();
        tokio::spawn(async move {
            loop {
                let wake = scheduler::later(exporter.now(), crate::exporter::PROBE_EVERY);
                tokio::select! {
                    _ = exporter.sleep_until(wake) => {}
                    _ = rx.changed() => return,
                }
                if *rx.borrow() {
                    return;
                }
                // Only once a first job has connected: the start-up run
                // reports first.
                if exporter.has_run() {
                    exporter.probe().await;
                }
            }
        });
    }

    // A first collection and KPI run at once, then the schedule.
    let jobs = {
        let exporter = Arc::clone(&exporter);
        let rx = rx.clone();
        tokio::spawn(async move {
            let catch_up = scheduler::missed_recently(
                &settings.schedule.digest,
                settings.timezone,
                exporter.now(),
            );
            // Whether each start-up run failed: its loop then retries soon.
            let mut failed = [0u32; 3];
            for (i, job) in [Job::Collect, Job::Kpi, Job::Digest]
                .into_iter()
                .enumerate()
            {
                if *rx.borrow() {
                    return;
                }
                // The digest only at start when its last time was missed in
                // the past day; the log skips what was already sent.
                if job == Job::Digest && !catch_up {
                    continue;
                }
                // (A digest has its own retry: see `scheduler::RETRY`.)
                let mut stop = rx.clone();
                let Some(result) = scheduler::run_unless_shutdown(&exporter, job, &mut stop).await
                else {
                    return;
                };
                if result.is_err() && job != Job::Digest {
                    failed[i] = 1;
                }
            }
            let loops = [
                (Job::Collect, settings.schedule.collect.clone(), failed[0]),
                (Job::Kpi, settings.schedule.kpi.clone(), failed[1]),
                (Job::Digest, settings.schedule.digest.clone(), failed[2]),
            ]
            .map(|(job, schedule, failures)| {
                tokio::spawn(supervise(
                    Arc::clone(&exporter),
                    job,
                    schedule,
                    failures,
                    rx.clone(),
                ))
            });
            for l in loops {
                let _ = l.await;
            }
        })
    };
    let _ = jobs.await;
    server
        .await
        .context("server task failed")?
        .context("server error")?;
    tracing::info!("stopped");
    Ok(())
}
