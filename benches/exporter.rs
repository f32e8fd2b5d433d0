//! Exporter benchmarks (issue 3), recorded in BENCHMARKS.md:
//!
//! 1. `/metrics` latency with 5,000 series: rendering the snapshot in
//!    process, and a full HTTP GET against the axum server.
//! 2. One `collect` run with 1,000 new events over 1,000,000 historical ones
//!    (SQLite source and state, as the demo uses), after the backfill.
//!
//! Run with `cargo bench --bench exporter`. `BENCH_TICKETS_PER_WEEK` scales
//! the history (default 7,100 tickets a week for 13 weeks: about 1M events).

mod common;

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use support_metrics::config::Settings;
use support_metrics::demo::generate::{Shape, generate};
use support_metrics::demo::{self, write};
use support_metrics::exporter::{Exporter, Job, JobOutcome};
use support_metrics::exposition::{self, Snapshot};
use support_metrics::metrics::{self, Buckets};
use support_metrics::source::{Access, Source};
use support_metrics::state::series::{Cumulative, SeriesKey};

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// 5,000 series: 4,000 counter series and 1,000 histogram series
/// (team × channel × priority label sets).
fn big_snapshot() -> Snapshot {
    let buckets = Buckets::for_slos(&[]);
    let mut c = Cumulative::default();
    let labels = |i: usize| {
        vec![
            ("team", format!("team-{}", i % 50)),
            ("channel", format!("channel-{}", (i / 50) % 10)),
            (
                "priority",
                ["low", "normal", "high", "urgent"][(i / 500) % 4].to_string(),
            ),
        ]
    };
    let counters = [
        metrics::CREATED,
        metrics::SOLVED,
        metrics::REOPENED,
        metrics::REROUTES,
    ];
    for (k, fam) in counters.iter().enumerate() {
        for i in 0..1_000 {
            c.inc(fam, &labels(i + k * 1_000), (i * 7) as f64);
        }
    }
    for i in 0..1_000 {
        for v in [30.0, 600.0, 7_200.0, 90_000.0] {
            c.observe(
                &metrics::FIRST_RESPONSE,
                &labels(i),
                &buckets.seconds,
                v * (1 + i % 5) as f64,
            );
        }
    }
    Snapshot {
        cumulative: c,
        values: vec![(SeriesKey::new(&metrics::SOURCE_UP, vec![]), 1.0)],
        buckets: Some(buckets),
    }
}

fn settings(dir: &std::path::Path) -> Settings {
    let env = vec![
        (
            "SUPPORT_METRICS__SOURCE__URL".to_string(),
            format!("sqlite://{}", dir.join("helpdesk.sqlite").display()),
        ),
        (
            "SUPPORT_METRICS__STATE__URL".to_string(),
            format!("sqlite://{}", dir.join("state.sqlite").display()),
        ),
    ];
    Settings::from_toml("bench", demo::EXAMPLE_CONFIG, env).expect("example config")
}

async fn bench_metrics() {
    let dir = tempfile::tempdir().expect("dir");
    let exporter = Arc::new(
        Exporter::open(settings(dir.path()))
            .await
            .expect("exporter"),
    );
    let snapshot = big_snapshot();
    let series = snapshot.cumulative.len();
    exporter.shared().publish(snapshot);
    let registry = exposition::registry(exporter.shared()).expect("registry");
    let text = exposition::render(&registry).expect("render");
    println!(
        "/metrics: {series} series, {} lines, {} KiB",
        text.lines().filter(|l| !l.starts_with('#')).count(),
        text.len() / 1024
    );
    let mut render = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let _ = exposition::render(&registry).expect("render");
        render.push(t.elapsed());
    }
    common::summary("/metrics render in process", render);

    let app = support_metrics::server::app(exporter, &Default::default()).expect("app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut http = Vec::new();
    for _ in 0..200 {
        let a = addr.clone();
        let t = Instant::now();
        let n = tokio::task::spawn_blocking(move || http_get(&a, "/metrics"))
            .await
            .expect("get");
        http.push(t.elapsed());
        assert!(n > 100_000);
    }
    common::summary("/metrics over HTTP (GET, full body)", http);
}

async fn bench_collect() {
    let dir = tempfile::tempdir().expect("dir");
    let settings = settings(dir.path());
    let per_week: u32 = std::env::var("BENCH_TICKETS_PER_WEEK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7_100);
    let source = Source::connect(&settings.source, Access::ReadWrite)
        .await
        .expect("source");
    source.migrate_canonical().await.expect("migrate");
    let t = Instant::now();
    let data = generate(
        &Shape {
            seed: 1,
            weeks: 13,
            end: demo::week_start(Utc::now()),
            tickets_per_week: per_week,
            total_tickets: None,
        },
        &settings.calendars,
    );
    write::insert(&source, &data).await.expect("insert");
    println!(
        "history: {} tickets, {} events, {} surveys written in {:.1} s",
        data.tickets.len(),
        data.events.len(),
        data.surveys.len(),
        t.elapsed().as_secs_f64()
    );
    let exporter = Exporter::open(settings.clone()).await.expect("exporter");
    let t = Instant::now();
    let backfill = exporter
        .run_job(Job::Collect, Utc::now())
        .await
        .expect("backfill");
    println!(
        "backfill collect: {:.2} s ({backfill:?}); peak RSS so far {:.0} MiB",
        t.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
    let mut next_event = data.events.iter().map(|e| e.id).max().unwrap_or(0) + 1;
    let existing: Vec<String> = data.tickets.iter().map(|t| t.id.clone()).collect();
    let mut runs = Vec::new();
    for round in 0..5 {
        let traffic = new_traffic(next_event, round, &existing);
        next_event += traffic.events.len() as i64;
        write::insert(&source, &traffic)
            .await
            .expect("insert traffic");
        let t = Instant::now();
        let out = exporter
            .run_job(Job::Collect, Utc::now())
            .await
            .expect("collect");
        runs.push(t.elapsed());
        if let JobOutcome::Collect(o) = out {
            assert_eq!(o.new_events, traffic.events.len() as u64);
            println!(
                "  round {round}: {} new events, {} tickets walked, rows read {:?}, {:.1} ms",
                o.new_events,
                o.tickets_walked,
                o.rows_read,
                runs.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
            );
        }
    }
    common::summary("incremental collect (1,000 new events)", runs);
    println!("peak RSS {:.0} MiB", peak_rss_mib());
}

use common::{http_get, new_traffic};

fn main() {
    // `cargo bench` passes --bench; filters are not supported.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        bench_metrics().await;
        bench_collect().await;
    });
}
