//! The scale benchmark (issue 6), recorded in BENCHMARKS.md: PostgreSQL
//! with 1,000,000 generated tickets (and 100,000 for comparison), every
//! measurement made on the release binary as a user runs it, each in its own
//! process so that its peak RSS is its own:
//!
//! 1. the database's own floor: `SELECT count(*), min(occurred_at)` over
//!    the events;
//! 2. the full backfill (`run-once --job collect` on an empty state store);
//! 3. incremental `collect` of 1,000 new events over 1M and over 100k tickets;
//! 4. `report` for one week and for twelve;
//! 5. `/metrics` under concurrent scrapes of `serve`;
//! 6. peers on the same data, when `BENCH_PEERS_PYTHON` names a Python with
//!    polars and query-exporter (`bench/peers/setup.sh` makes one): a polars
//!    script over a CSV export, and query-exporter serving equivalent SQL.
//!
//! Run with `bash bench/run.sh` (or `cargo bench --bench scale`).
//! `SUPPORT_METRICS_BENCH_PG` is the server (default
//! postgres://postgres@127.0.0.1:5432); `BENCH_TICKETS` the big size.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, Row};
use support_metrics::config::SourceSettings;
use support_metrics::demo::{self, write};
use support_metrics::source::{Access, Source};

use common::{get, http_get, ms, new_traffic, peak_rss_kib, summary};

const BIN: &str = env!("CARGO_BIN_EXE_support-metrics");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a finished child process did.
struct Measured {
    wall: Duration,
    peak_rss_mib: f64,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` to the end; its wall time and its own peak RSS (wait4).
// The child is reaped by wait4 below, which std cannot see.
#[allow(clippy::zombie_processes)]
fn measure(cmd: &mut Command) -> Measured {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut stdout = String::new();
    let _ = out.read_to_string(&mut stdout);
    let (status, rss_kib) = wait4(child.id());
    let wall = started.elapsed();
    let stderr = err_reader.join().unwrap_or_default();
    assert!(status == 0, "{cmd:?} failed ({status}): {stderr}");
    Measured {
        wall,
        peak_rss_mib: rss_kib as f64 / 1024.0,
        stdout,
        stderr,
    }
}

/// Waits for `pid`: exit status and peak RSS in KiB.
fn wait4(pid: u32) -> (i32, i64) {
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid as i32, &mut status, 0, &mut usage) };
    assert!(r > 0, "wait4 failed");
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}

/// The binary with the example configuration, on `source` and `state`.
fn support_metrics(dir: &Path, source: &str, state: &str) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .arg("--config")
        .arg(repo().join("config/support-metrics.toml"))
        .env("SUPPORT_METRICS__SOURCE__URL", source)
        .env("SUPPORT_METRICS__STATE__URL", state)
        // Jobs run only when asked (run-once) or at start (serve).
        .env("SUPPORT_METRICS__SCHEDULE__COLLECT", "0 0 0 1 1 *")
        .env("SUPPORT_METRICS__SCHEDULE__KPI", "0 0 0 1 1 *")
        .env("RUST_LOG", "warn");
    c
}

/// The job time `run-once` prints ("… in 84 ms").
fn job_ms(stdout: &str) -> f64 {
    stdout
        .rsplit_once(" in ")
        .and_then(|(_, t)| t.trim().strip_suffix("ms"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(f64::NAN)
}

async fn connect(url: &str) -> PgConnection {
    PgConnection::connect(url).await.expect("connect")
}

/// `base/name` holding exactly `tickets` generated tickets (generated
/// when it does not).
/// The generated helpdesk `name` with `tickets` over `weeks` weeks
/// (generated once, then reused).
async fn helpdesk(base: &str, name: &str, tickets: u64, weeks: u32) -> String {
    let url = format!("{base}/{name}");
    let mut admin = connect(&format!("{base}/postgres")).await;
    let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut admin)
        .await
        .expect("pg_database")
        .is_some();
    if !exists {
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create database");
    }
    let have: i64 = if exists {
        let mut c = connect(&url).await;
        sqlx::query("SELECT count(*) FROM support_tickets WHERE id NOT LIKE 'bench-%'")
            .fetch_one(&mut c)
            .await
            .map(|r| r.get(0))
            .unwrap_or(0)
    } else {
        0
    };
    if have != tickets as i64 {
        let m = measure(Command::new(BIN).args([
            "generate",
            "--tickets",
            &tickets.to_string(),
            "--db",
            &url,
            "--weeks",
            &weeks.to_string(),
            "--replace",
        ]));
        println!(
            "generate {tickets}: {:.1} s, peak RSS {:.0} MiB — {}",
            m.wall.as_secs_f64(),
            m.peak_rss_mib,
            m.stderr.lines().last().unwrap_or_default()
        );
    }
    // Rows added by earlier runs of this benchmark go.
    let mut c = connect(&url).await;
    for sql in [
        "DELETE FROM support_ticket_events WHERE actor_id = 'bench'",
        "DELETE FROM support_tickets WHERE id LIKE 'bench-%'",
        "VACUUM ANALYZE support_ticket_events",
        "VACUUM ANALYZE support_tickets",
    ] {
        c.execute(sql).await.expect("clean up");
    }
    url
}

async fn counts(url: &str) -> (i64, i64) {
    let mut c = connect(url).await;
    let t: i64 = sqlx::query("SELECT count(*) FROM support_tickets")
        .fetch_one(&mut c)
        .await
        .expect("count")
        .get(0);
    let e: i64 = sqlx::query("SELECT count(*) FROM support_ticket_events")
        .fetch_one(&mut c)
        .await
        .expect("count")
        .get(0);
    (t, e)
}

/// The database's own floor: one scan of the events, best of three.
async fn floor(url: &str) -> Duration {
    let mut c = connect(url).await;
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        c.execute("SELECT count(*), min(occurred_at) FROM support_ticket_events")
            .await
            .expect("floor scan");
        best = best.min(t.elapsed());
    }
    best
}

/// The events as the database streams them at its fastest: `COPY` of
/// every event column in binary, unsorted, drained (best of two). Issue
/// 19's yardstick for the backfill.
async fn copy_floor(url: &str) -> Duration {
    use futures_util::TryStreamExt;
    let mut c = connect(url).await;
    let mut best = Duration::MAX;
    for _ in 0..2 {
        let t = Instant::now();
        let mut bytes = 0usize;
        let mut out = c
            .copy_out_raw(
                "COPY (SELECT id, ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, \
                 status FROM support_ticket_events) TO STDOUT (FORMAT binary)",
            )
            .await
            .expect("copy");
        while let Some(chunk) = out.try_next().await.expect("copy data") {
            bytes += chunk.len();
        }
        drop(out);
        assert!(bytes > 0, "COPY sent nothing");
        best = best.min(t.elapsed());
    }
    best
}

/// The full backfill into a fresh SQLite state store; returns its URL.
fn backfill(dir: &Path, url: &str, label: &str, events: i64) -> String {
    let state = format!(
        "sqlite://{}",
        dir.join(format!("state-{label}.sqlite")).display()
    );
    let file = dir.join(format!("state-{label}.sqlite"));
    let m = measure(support_metrics(dir, url, &state).args(["run-once", "--job", "collect"]));
    let mib = |p: &Path| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1048576.0);
    println!(
        "backfill {label}: {:.1} s wall ({:.0} ms job), {:.0} events/s, peak RSS {:.0} MiB, \
         state file {:.0} MiB — {}",
        m.wall.as_secs_f64(),
        job_ms(&m.stdout),
        events as f64 / m.wall.as_secs_f64(),
        m.peak_rss_mib,
        mib(&file),
        m.stdout.trim()
    );
    state
}

/// Where the benchmark's new events go: 750 recently solved tickets to
/// reopen and the next free event id.
struct Traffic {
    source: Source,
    conn: PgConnection,
    existing: Vec<String>,
    next: i64,
}

impl Traffic {
    async fn new(url: &str) -> Traffic {
        let source = Source::connect(&SourceSettings::with_url(url), Access::ReadWrite)
            .await
            .expect("source");
        let mut conn = connect(url).await;
        let existing: Vec<String> = sqlx::query(
            "SELECT id FROM support_tickets WHERE status IN ('solved', 'closed') ORDER BY created_at DESC LIMIT 750",
        )
        .fetch_all(&mut conn)
        .await
        .expect("existing")
        .iter()
        .map(|r| r.get(0))
        .collect();
        let next: i64 = sqlx::query("SELECT max(id) FROM support_ticket_events")
            .fetch_one(&mut conn)
            .await
            .expect("max id")
            .get::<i64, _>(0)
            + 1;
        Traffic {
            source,
            conn,
            existing,
            next,
        }
    }

    /// Round `round`'s 1,000 new events (and the ticket rows they change).
    async fn add(&mut self, round: u32) {
        let traffic = new_traffic(self.next, round, &self.existing);
        self.next += traffic.events.len() as i64;
        write::insert(&self.source, &traffic)
            .await
            .expect("traffic");
        sqlx::query(
            "UPDATE support_tickets SET updated_at = now(), status = 'solved' WHERE id = ANY($1)",
        )
        .bind(
            self.existing
                .iter()
                .skip((round % 5) as usize * 150)
                .take(150)
                .cloned()
                .collect::<Vec<_>>(),
        )
        .execute(&mut self.conn)
        .await
        .expect("touch");
    }
}

/// Five rounds of 1,000 new events, each followed by `run-once collect`: a
/// process of its own each time, which reads the backlog back from the
/// state store before its gauges.
async fn incremental(dir: &Path, url: &str, state: &str, label: &str) {
    let mut traffic = Traffic::new(url).await;
    let mut jobs = Vec::new();
    let mut rss: f64 = 0.0;
    for round in 0..5 {
        traffic.add(round).await;
        let m = measure(support_metrics(dir, url, state).args(["run-once", "--job", "collect"]));
        jobs.push(Duration::from_secs_f64(job_ms(&m.stdout) / 1e3));
        rss = rss.max(m.peak_rss_mib);
        println!(
            "  {label} round {round}: {} (process {:.0} ms)",
            m.stdout.trim(),
            ms(m.wall)
        );
    }
    summary(
        &format!("incremental run-once collect over {label} (1,000 new events, job time)"),
        jobs,
    );
    println!("  peak RSS of one run-once collect: {rss:.0} MiB");
}

/// The same rounds collected by a running `serve` (every 5 s), as an
/// exporter runs for months: the job time its `/metrics` reports.
async fn incremental_in_serve(dir: &Path, url: &str, state: &str, label: &str) {
    let mut traffic = Traffic::new(url).await;
    let (mut child, addr) = start_serve(
        dir,
        url,
        state,
        &[("SUPPORT_METRICS__SCHEDULE__COLLECT", "*/5 * * * * *")],
    );
    let runs = |body: &str| {
        value(
            body,
            "support_job_runs_total{job_name=\"collect\",result=\"ok\"}",
        )
    };
    let mut jobs = Vec::new();
    for round in 5..10 {
        traffic.add(round).await;
        let before = runs(&get(&addr, "/metrics"));
        let started = Instant::now();
        let body = loop {
            std::thread::sleep(Duration::from_millis(100));
            let body = get(&addr, "/metrics");
            if runs(&body) > before {
                break body;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no collect ran"
            );
        };
        let job = value(&body, "support_job_duration_seconds{job_name=\"collect\"}");
        let events = value(
            &body,
            "support_job_rows_read{job_name=\"collect\",relation=\"support_ticket_events\"}",
        );
        println!(
            "  {label} in serve, round {round}: {:.1} ms, {events} event rows read",
            job * 1e3
        );
        jobs.push(Duration::from_secs_f64(job));
    }
    summary(
        &format!("incremental collect in serve over {label} (1,000 new events, job time)"),
        jobs,
    );
    // SAFETY: our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
}

/// The value of the sample line starting with `series` (0 when absent).
fn value(body: &str, series: &str) -> f64 {
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// `report --by team` of the last `weeks` full weeks, from the source or,
/// with `from_state`, from the store the backfill left.
fn report(dir: &Path, url: &str, weeks: i64, from_state: Option<&str>) {
    let to = demo::week_start(Utc::now());
    let from = to - chrono::Duration::weeks(weeks);
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (from_text, to_text) = (fmt(from), fmt(to));
    let mut args = vec![
        "report", "--from", &from_text, "--to", &to_text, "--by", "team", "--format", "json",
    ];
    if from_state.is_some() {
        args.push("--from-state");
    }
    let state = from_state.unwrap_or("sqlite::memory:");
    let m = measure(support_metrics(dir, url, state).args(&args));
    println!(
        "report, {weeks} week(s) by team{}: {:.1} s, peak RSS {:.0} MiB",
        if from_state.is_some() {
            ", --from-state"
        } else {
            ""
        },
        m.wall.as_secs_f64(),
        m.peak_rss_mib
    );
}

/// `digest --preview` of the last full week, every team's and the
/// all-teams digest: it reads the trend weeks behind that week too.
fn digest(dir: &Path, url: &str) {
    let out = dir.join("digest-preview");
    let m = measure(support_metrics(dir, url, "sqlite::memory:").args([
        "digest",
        "--preview",
        out.to_str().expect("utf-8 path"),
    ]));
    println!(
        "digest preview, every team: {:.1} s, peak RSS {:.0} MiB — {} digests",
        m.wall.as_secs_f64(),
        m.peak_rss_mib,
        m.stdout.lines().count()
    );
}

/// `serve` on `state` with extra environment `env`, once ready: the child
/// and its address.
fn start_serve(
    dir: &Path,
    url: &str,
    state: &str,
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    let (child, addr) = common::spawn_serve(
        support_metrics(dir, url, state)
            .envs(env.iter().copied())
            .stderr(Stdio::null()),
    );
    let ready = Instant::now();
    while http_get(&addr, "/readyz") < 1 || !ready_ok(&addr) {
        assert!(ready.elapsed() < Duration::from_secs(600), "never ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "serve ready {:.1} s after start",
        ready.elapsed().as_secs_f64()
    );
    (child, addr)
}

/// `serve` on the backfilled state; `clients` concurrent scrapers.
fn scrapes(dir: &Path, url: &str, state: &str) {
    let (mut child, addr) = start_serve(dir, url, state, &[]);
    let pid = child.id();
    let body = {
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        use std::io::Write;
        write!(s, "GET /metrics HTTP/1.0\r\n\r\n").expect("write");
        let mut b = String::new();
        s.read_to_string(&mut b).expect("read");
        b
    };
    let series = body
        .lines()
        .filter(|l| !l.starts_with('#') && l.starts_with("support_"))
        .count();
    println!("/metrics: {series} samples, {} KiB", body.len() / 1024);
    // Plain text, then gzip as Prometheus asks for it (the body is
    // compressed once per published snapshot).
    type Fetch = fn(&str, &str) -> usize;
    let encodings: [(&str, Fetch); 2] = [("", http_get), (" gzip", common::http_get_gzip)];
    for ((encoding, fetch), clients) in encodings
        .into_iter()
        .flat_map(|e| [1usize, 8, 32].map(|c| (e, c)))
    {
        let per = 2_000 / clients;
        let threads: Vec<_> = (0..clients)
            .map(|_| {
                let a = addr.clone();
                std::thread::spawn(move || {
                    (0..per)
                        .map(|_| {
                            let t = Instant::now();
                            assert!(fetch(&a, "/metrics") > 1000);
                            t.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let started = Instant::now();
        let all: Vec<Duration> = threads
            .into_iter()
            .flat_map(|t| t.join().expect("client"))
            .collect();
        let n = all.len();
        summary(
            &format!("/metrics{encoding}, {clients} concurrent client(s)"),
            all,
        );
        println!(
            "  {:.0} scrapes/s",
            n as f64 / started.elapsed().as_secs_f64()
        );
    }
    let rss = peak_rss_kib(pid);
    println!(
        "serve peak RSS (start-up collect included): {:.0} MiB",
        rss / 1024.0
    );
    // SAFETY: our own child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let _ = child.wait();
}

fn ready_ok(addr: &str) -> bool {
    let mut s = match std::net::TcpStream::connect(addr) {
        Ok(s) => s,
        Err(_) => return false,
    };
    use std::io::Write;
    let _ = write!(s, "GET /readyz HTTP/1.0\r\n\r\n");
    let mut b = String::new();
    let _ = s.read_to_string(&mut b);
    b.starts_with("HTTP/1.0 200") || b.starts_with("HTTP/1.1 200")
}

/// The peers, with the Python that has them.
async fn peers(dir: &Path, url: &str, python: &str) {
    let peers = repo().join("bench/peers");
    // Export the tables as CSV, as a polars user would start.
    let t = Instant::now();
    let mut c = connect(url).await;
    for (file, sql) in [
        (
            "tickets.csv",
            "COPY (SELECT id, created_at, status FROM support_tickets) TO STDOUT WITH (FORMAT csv, HEADER)",
        ),
        (
            "events.csv",
            "COPY (SELECT id, ticket_id, occurred_at, kind, actor, status FROM support_ticket_events) TO STDOUT WITH (FORMAT csv, HEADER)",
        ),
        (
            "surveys.csv",
            "COPY (SELECT id, ticket_id, kind, score FROM support_survey_responses) TO STDOUT WITH (FORMAT csv, HEADER)",
        ),
    ] {
        use futures_util::TryStreamExt;
        let mut out = std::fs::File::create(dir.join(file)).expect("csv file");
        let mut stream = c.copy_out_raw(sql).await.expect("copy out");
        while let Some(chunk) = stream.try_next().await.expect("copy chunk") {
            std::io::Write::write_all(&mut out, &chunk).expect("write csv");
        }
    }
    println!(
        "peer: CSV export of the three tables: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let m = measure(
        Command::new(python)
            .arg(peers.join("polars_metrics.py"))
            .arg(dir),
    );
    println!(
        "peer: polars script: {:.1} s, peak RSS {:.0} MiB — {}",
        m.wall.as_secs_f64(),
        m.peak_rss_mib,
        m.stdout.trim()
    );

    // query-exporter runs its SQL at each scrape (no interval).
    let config = dir.join("query-exporter.yaml");
    let template = std::fs::read_to_string(peers.join("query-exporter.yaml")).expect("template");
    // SQLAlchemy URL with the psycopg2 driver (setup.sh installs it).
    let dsn = url.replacen("postgres://", "postgresql+psycopg2://", 1);
    std::fs::write(&config, template.replace("DSN", &dsn)).expect("config");
    let qe = Path::new(python).with_file_name("query-exporter");
    let mut child = Command::new(&qe)
        .args(["--config"])
        .arg(&config)
        .args(["--host", "127.0.0.1", "--port", "19560"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("query-exporter.log")).expect("log file"))
        .spawn()
        .expect("query-exporter");
    let addr = "127.0.0.1:19560";
    let started = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "query-exporter did not start: {}",
            std::fs::read_to_string(dir.join("query-exporter.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let n = http_get(addr, "/metrics");
        times.push(t.elapsed());
        assert!(n > 100);
    }
    summary(
        "peer: query-exporter /metrics (its SQL runs per scrape)",
        times,
    );
    let pid = child.id();
    let rss = peak_rss_kib(pid);
    println!("peer: query-exporter peak RSS {:.0} MiB", rss / 1024.0);
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether `BENCH_SECTIONS` (a comma-separated list of incremental,
/// report, digest, scrapes, peers; all of them when unset) names `section`.
/// The generated helpdesks, the floor and the backfill always run: every
/// section reads what they leave.
fn wants(section: &str) -> bool {
    std::env::var("BENCH_SECTIONS")
        .map(|v| v.split(',').any(|s| s.trim() == section))
        .unwrap_or(true)
}

fn main() {
    let base = std::env::var("SUPPORT_METRICS_BENCH_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let big: u64 = std::env::var("BENCH_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let small = big / 10;
    let dir = tempfile::tempdir().expect("dir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // The small helpdesk has a tenth of the history but about the same
        // current activity (one week of it, ~ the big one's weekly volume), so
        // the incremental runs differ only by the history behind them.
        let big_url = helpdesk(&base, "sm_bench_big", big, 13).await;
        let small_url = helpdesk(&base, "sm_bench_small_1w", small, 1).await;
        let (tickets, events) = counts(&big_url).await;
        println!("helpdesk: {tickets} tickets, {events} events");
        let floor = floor(&big_url).await;
        println!(
            "floor: SELECT count(*), min(occurred_at) over the events: {:.0} ms",
            ms(floor)
        );
        let copy = copy_floor(&big_url).await;
        println!(
            "floor: COPY of the events (binary, unsorted): {:.0} ms",
            ms(copy)
        );
        let t = Instant::now();
        let state = backfill(dir.path(), &big_url, "big", events);
        let took = t.elapsed().as_secs_f64();
        println!(
            "backfill / floor = {:.1}; backfill / COPY = {:.1}",
            took / floor.as_secs_f64(),
            took / copy.as_secs_f64()
        );
        if wants("incremental") {
            let (_, small_events) = counts(&small_url).await;
            let small_state = backfill(dir.path(), &small_url, "small", small_events);
            let label = format!("{tickets} tickets");
            incremental(dir.path(), &big_url, &state, &label).await;
            incremental(dir.path(), &small_url, &small_state, "the small helpdesk").await;
            incremental_in_serve(dir.path(), &big_url, &state, &label).await;
            incremental_in_serve(dir.path(), &small_url, &small_state, "the small helpdesk").await;
        }
        if wants("report") {
            for weeks in [1, 12] {
                report(dir.path(), &big_url, weeks, None);
                report(dir.path(), &big_url, weeks, Some(&state));
            }
        }
        if wants("digest") {
            digest(dir.path(), &big_url);
        }
        if wants("scrapes") {
            scrapes(dir.path(), &big_url, &state);
        }
        if wants("peers") {
            match std::env::var("BENCH_PEERS_PYTHON") {
                Ok(python) => peers(dir.path(), &big_url, &python).await,
                Err(_) => println!("peers skipped: set BENCH_PEERS_PYTHON (bench/peers/setup.sh)"),
            }
        }
    });
}
