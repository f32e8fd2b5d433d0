//! The soak benchmark (issue 15), recorded in BENCHMARKS.md: the release
//! `serve` on PostgreSQL for `SOAK_SECONDS` (default 600) while a writer
//! with 8 concurrent connections opens tickets, answers, solves, reopens
//! and surveys them, each change a transaction held open for a random
//! time (85 % under 0.2 s, 12 % 1–5 s, 3 % 10–40 s: across several
//! collections) and one in twenty rolled back. Event ids come from a
//! sequence at INSERT, so they commit out of order all the time, as they
//! do under a helpdesk's concurrent agents.
//!
//! At the end every cumulative series `serve` exposes must equal what a
//! fresh exporter's backfill of the same final data exposes: 0 lost, 0
//! doubled. A difference is printed and the benchmark fails.
//!
//! Run with `cargo bench --bench soak` (`SOAK_SECONDS=60` for a short run).
//! `SUPPORT_METRICS_BENCH_PG` is the server (default
//! postgres://postgres@127.0.0.1:5432/test).

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use support_metrics::config::Settings;
use support_metrics::exporter::{Exporter, Job};
use support_metrics::exposition::Exposition;

const BIN: &str = env!("CARGO_BIN_EXE_support-metrics");
const WRITERS: usize = 8;
const TEAMS: [&str; 4] = ["billing", "technical", "accounts", "shipping"];

/// What the writers did.
#[derive(Default)]
struct Tally {
    committed: AtomicU64,
    rolled_back: AtomicU64,
    events: AtomicU64,
    tickets: AtomicU64,
    surveys: AtomicU64,
    held_over_5s: AtomicU64,
}

/// One writer connection's loop until `until`.
async fn writer(url: String, seed: u64, until: Instant, tally: Arc<Tally>) {
    let mut conn = PgConnection::connect(&url).await.expect("writer connects");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut open: Vec<String> = Vec::new();
    let mut solved: Vec<String> = Vec::new();
    let mut n = 0u64;
    while Instant::now() < until {
        n += 1;
        let mut tx = conn.begin().await.expect("begin");
        let mut sql = Vec::new();
        let mut events = 0;
        let roll: f64 = rng.random();
        // What this transaction does to this writer's own tickets (no two
        // writers touch one ticket: no lock waits between them): where the
        // ticket came from (`true`: open) and where it goes on commit.
        let mut taken: Option<(String, bool)> = None;
        let mut goes: Option<(String, bool)> = None;
        let mut kind = "change";
        if roll < 0.45 || open.is_empty() {
            let id = format!("s{seed}-{n}");
            let team = TEAMS[rng.random_range(0..TEAMS.len())];
            sql.push(format!(
                "INSERT INTO support_tickets (id, created_at, channel, priority, category, \
                 requester_id, created_by, status, updated_at) VALUES ('{id}', now(), 'email', \
                 'normal', '{team}-question', 'c{n}', 'customer', 'open', now())"
            ));
            sql.push(event(&id, "message", "customer", "NULL", "NULL"));
            events += 1;
            if rng.random_bool(0.7) {
                sql.push(event(&id, "assign", "system", &format!("'{team}'"), "NULL"));
                events += 1;
            }
            goes = Some((id, true));
            kind = "ticket";
        } else if roll < 0.85 {
            let id = open.swap_remove(rng.random_range(0..open.len()));
            sql.push(event(&id, "message", "agent", "NULL", "NULL"));
            events += 1;
            let solves = rng.random_bool(0.5);
            // A helpdesk moves `updated_at` with every change (one that
            // does not is counted as `stale_updated_at` when read).
            let status = if solves {
                sql.push(event(&id, "status", "agent", "NULL", "'solved'"));
                events += 1;
                "solved"
            } else {
                "open"
            };
            sql.push(format!(
                "UPDATE support_tickets SET status = '{status}', updated_at = now() WHERE id = '{id}'"
            ));
            taken = Some((id.clone(), true));
            goes = Some((id, !solves));
        } else if roll < 0.92 && !solved.is_empty() {
            // The customer writes again: a reopen.
            let id = solved.swap_remove(rng.random_range(0..solved.len()));
            sql.push(event(&id, "message", "customer", "NULL", "NULL"));
            sql.push(event(&id, "status", "customer", "NULL", "'open'"));
            sql.push(format!(
                "UPDATE support_tickets SET status = 'open', updated_at = now() WHERE id = '{id}'"
            ));
            events += 2;
            taken = Some((id.clone(), false));
            goes = Some((id, true));
        } else if let Some(id) = solved.get(rng.random_range(0..solved.len().max(1))) {
            let score = rng.random_range(1..=5);
            sql.push(format!(
                "INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score) \
                 VALUES ('r{seed}-{n}', '{id}', now(), 'csat', {score})"
            ));
            kind = "survey";
        }
        for s in &sql {
            tx.execute(AssertSqlSafe(s.clone())).await.expect("write");
        }
        // The commit delay: the rows are invisible meanwhile, their ids
        // (taken at INSERT) already handed out.
        let hold = match rng.random_range(0..100) {
            0..85 => Duration::from_millis(rng.random_range(0..200)),
            85..97 => Duration::from_millis(rng.random_range(1_000..5_000)),
            _ => Duration::from_millis(rng.random_range(10_000..40_000)),
        };
        if hold > Duration::from_secs(5) {
            tally.held_over_5s.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(hold).await;
        if rng.random_bool(0.05) {
            tx.rollback().await.expect("rollback");
            tally.rolled_back.fetch_add(1, Ordering::Relaxed);
            // Rolled back: the ticket stays where it was.
            match taken {
                Some((id, true)) => open.push(id),
                Some((id, false)) => solved.push(id),
                None => {}
            }
            continue;
        }
        tx.commit().await.expect("commit");
        tally.committed.fetch_add(1, Ordering::Relaxed);
        tally.events.fetch_add(events, Ordering::Relaxed);
        match kind {
            "ticket" => tally.tickets.fetch_add(1, Ordering::Relaxed),
            "survey" => tally.surveys.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        match goes {
            Some((id, true)) => open.push(id),
            Some((id, false)) => solved.push(id),
            None => {}
        }
    }
    conn.close().await.ok();
}

/// An event insert whose id comes from the sequence now.
fn event(ticket: &str, kind: &str, actor: &str, team: &str, status: &str) -> String {
    format!(
        "INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, actor_id, \
         team, status) VALUES (nextval('soak_event_ids'), '{ticket}', now(), '{kind}', \
         '{actor}', 'x', {team}, {status})"
    )
}

/// The cumulative `support_` samples of an exposition (not this process's
/// own doings, not gauges of the moment), keyed by series.
fn cumulative(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let name = series.split('{').next()?;
            let counted = ["_total", "_bucket", "_sum", "_count"]
                .iter()
                .any(|s| name.ends_with(s))
                && !name.starts_with("support_job_")
                && name != "support_digest_emails_total"
                // A summary over a sliding window: of the moment.
                && !name.starts_with("support_first_response_quantile_seconds");
            counted.then(|| Some((series.to_string(), value.parse().ok()?)))?
        })
        .collect()
}

fn created(samples: &BTreeMap<String, f64>) -> f64 {
    samples
        .iter()
        .filter(|(k, _)| k.starts_with("support_tickets_created_total"))
        .map(|(_, v)| v)
        .sum()
}

fn series_value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

const COLLECT_OK: &str = "support_job_runs_total{job_name=\"collect\",result=\"ok\"}";

fn main() {
    let base = std::env::var("SUPPORT_METRICS_BENCH_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let dir = tempfile::tempdir().expect("dir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let schema = format!("sm_soak_{}", std::process::id());
        let mut admin = PgConnection::connect(&base).await.expect("connect");
        admin
            .execute(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .await
            .expect("schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let migrated = Command::new(BIN)
            .current_dir(dir.path())
            .args(["migrate", "source"])
            .env("SUPPORT_METRICS__SOURCE__URL", &url)
            .output()
            .expect("migrate");
        assert!(migrated.status.success(), "migrate source failed");
        let mut conn = PgConnection::connect(&url).await.expect("connect");
        conn.execute("CREATE SEQUENCE soak_event_ids")
            .await
            .expect("sequence");

        let config = dir.path().join("soak.toml");
        let config_text = |state: &str| {
            format!(
                "[source]\nurl = \"{url}\"\nlate_arrival = \"10m\"\n[state]\nurl = \"sqlite://{}\"\n\
                 [schedule]\ncollect = \"*/5 * * * * *\"\nkpi = \"0 0 0 1 1 *\"\n",
                dir.path().join(state).display()
            )
        };
        std::fs::write(&config, config_text("serve-state.sqlite")).expect("config");
        let (mut serve, addr) = common::spawn_serve(
            Command::new(BIN)
                .current_dir(dir.path())
                .arg("--config")
                .arg(&config)
                .env("RUST_LOG", "warn")
                .stderr(Stdio::inherit()),
        );
        let scrape = |addr: &str| common::get(addr, "/metrics");

        println!("soak: serve on PostgreSQL for {seconds} s, {WRITERS} writer connections");
        let started = Instant::now();
        let until = started + Duration::from_secs(seconds);
        let tally = Arc::new(Tally::default());
        let writers: Vec<_> = (0..WRITERS)
            .map(|i| tokio::spawn(writer(url.clone(), i as u64 + 1, until, Arc::clone(&tally))))
            .collect();
        let mut rss_mib: f64 = 0.0;
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_secs(60).min(until - Instant::now())).await;
            let m = scrape(&addr);
            rss_mib = rss_mib.max(common::peak_rss_kib(serve.id()) / 1024.0);
            println!(
                "  {:>4} s: {} transactions committed, {} rolled back, {} events; serve: {} collections, created {} tickets, peak RSS {:.0} MiB",
                started.elapsed().as_secs(),
                tally.committed.load(Ordering::Relaxed),
                tally.rolled_back.load(Ordering::Relaxed),
                tally.events.load(Ordering::Relaxed),
                series_value(&m, COLLECT_OK),
                created(&cumulative(&m)),
                rss_mib
            );
        }
        for w in writers {
            w.await.expect("writer");
        }
        // Every transaction has ended: two more collections see it all.
        let runs = series_value(&scrape(&addr), COLLECT_OK);
        let wait = Instant::now();
        while series_value(&scrape(&addr), COLLECT_OK) < runs + 2.0 {
            assert!(wait.elapsed() < Duration::from_secs(120), "serve stopped collecting");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let served = scrape(&addr);
        let errors = series_value(
            &served,
            "support_job_runs_total{job_name=\"collect\",result=\"error\"}",
        );
        rss_mib = rss_mib.max(common::peak_rss_kib(serve.id()) / 1024.0);
        unsafe { libc::kill(serve.id() as i32, libc::SIGTERM) };
        let _ = serve.wait();

        // A fresh exporter's backfill of the final data.
        std::fs::write(&config, config_text("fresh-state.sqlite")).expect("config");
        let settings = Settings::load(Some(&config)).expect("settings");
        let fresh = Exporter::open(settings).await.expect("fresh exporter");
        let t = Instant::now();
        fresh
            .run_job(Job::Collect, chrono::Utc::now())
            .await
            .expect("backfill");
        let backfill = t.elapsed();
        let whole = Exposition::new(fresh.shared())
            .expect("registry")
            .text()
            .expect("exposition");
        let whole = String::from_utf8_lossy(&whole).to_string();

        let (a, b) = (cumulative(&served), cumulative(&whole));
        let mut lost = 0;
        let mut doubled = 0;
        for key in a.keys().chain(b.keys()).collect::<std::collections::BTreeSet<_>>() {
            let (s, w) = (a.get(key).copied().unwrap_or(0.0), b.get(key).copied().unwrap_or(0.0));
            if (s - w).abs() > 1e-6 {
                println!("  differs: {key}: serve {s}, fresh backfill {w}");
                if s < w { lost += 1 } else { doubled += 1 }
            }
        }
        let created = created(&b);
        println!(
            "soak done: {} s, {} transactions committed ({} tickets, {} events, {} surveys), {} rolled back, {} held over 5 s",
            started.elapsed().as_secs(),
            tally.committed.load(Ordering::Relaxed),
            tally.tickets.load(Ordering::Relaxed),
            tally.events.load(Ordering::Relaxed),
            tally.surveys.load(Ordering::Relaxed),
            tally.rolled_back.load(Ordering::Relaxed),
            tally.held_over_5s.load(Ordering::Relaxed),
        );
        println!(
            "  serve: {} collections ok, {errors} failed, peak RSS {rss_mib:.0} MiB; fresh backfill {:.0} ms",
            series_value(&served, COLLECT_OK),
            backfill.as_secs_f64() * 1e3
        );
        println!(
            "  {} cumulative series compared ({} tickets created): {lost} lost, {doubled} doubled",
            b.len().max(a.len()),
            created
        );
        admin
            .execute(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .await
            .expect("drop schema");
        assert!(
            lost == 0 && doubled == 0 && errors == 0.0,
            "the soak lost or doubled rows"
        );
        assert!(
            created as u64 == tally.tickets.load(Ordering::Relaxed),
            "every committed ticket is counted"
        );
    });
}
