//! Running the binary and giving each test its own database.

use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::{AssertSqlSafe, Executor};

pub const PG_URL_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const MYSQL_URL_DEFAULT: &str = "mysql://root@127.0.0.1:3306/test";

pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary in `cwd` with `env` added, and captures its output.
pub fn run(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_support-metrics"))
        .current_dir(cwd)
        .args(args)
        .env_remove("SUPPORT_METRICS__SOURCE__URL")
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `support-metrics --config CONFIG report ARGS…` in `cwd`.
pub fn report_with(cwd: &Path, config: &Path, args: &[&str]) -> Run {
    let config = config.to_str().expect("utf-8 path");
    let mut all = vec!["--config", config, "report"];
    all.extend_from_slice(args);
    run(cwd, &all, &[])
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A database of one test: an SQLite file in a temporary directory, or a
/// fresh PostgreSQL schema (dropped by `cleanup`).
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_schema: Option<(sqlx::PgPool, String)>,
    mysql_db: Option<(sqlx::MySqlPool, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("helpdesk.sqlite").display());
        TestDb {
            url,
            dir,
            pg_schema: None,
            mysql_db: None,
        }
    }

    /// A fresh schema on the PostgreSQL of `DATABASE_URL_PG` (default: the
    /// local one). Without a server the test is skipped with a printed
    /// reason — except in CI, where that is a failure.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let (base, pool) = server::<sqlx::Postgres>(
            test,
            "PostgreSQL",
            "SUPPORT_METRICS_TEST_PG",
            PG_URL_DEFAULT,
        )
        .await?;
        let schema = format!("sm_{}_{}_{}", test, std::process::id(), rand_suffix());
        pool.execute(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .await
            .expect("create schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(TestDb {
            url,
            dir: tempfile::tempdir().expect("temp dir"),
            pg_schema: Some((pool, schema)),
            mysql_db: None,
        })
    }

    /// A fresh database on the MariaDB/MySQL of `SUPPORT_METRICS_TEST_MYSQL`
    /// (default: the local one), skipped like [`TestDb::postgres`].
    pub async fn mysql(test: &str) -> Option<TestDb> {
        let (base, pool) = server::<sqlx::MySql>(
            test,
            "MariaDB/MySQL",
            "SUPPORT_METRICS_TEST_MYSQL",
            MYSQL_URL_DEFAULT,
        )
        .await?;
        let name = format!("sm_{}_{}_{}", test, std::process::id(), rand_suffix());
        pool.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create database");
        let server = base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s);
        Some(TestDb {
            url: format!("{server}/{name}"),
            dir: tempfile::tempdir().expect("temp dir"),
            pg_schema: None,
            mysql_db: Some((pool, name)),
        })
    }

    /// The PostgreSQL schema of this test's database, if it is one.
    pub fn schema(&self) -> Option<&str> {
        self.pg_schema.as_ref().map(|(_, s)| s.as_str())
    }

    /// `support-metrics migrate source` on this database.
    pub fn migrate_source(&self) {
        let r = run(
            self.dir.path(),
            &["migrate", "source"],
            &[("SUPPORT_METRICS__SOURCE__URL", &self.url)],
        );
        assert!(r.ok, "migrate failed: {}", r.stderr);
    }

    /// The canonical tables, filled with `tests/fixtures/<file>`.
    pub async fn load_fixture(&self, file: &str) {
        self.migrate_source();
        let sql = std::fs::read_to_string(fixture(file)).expect("fixture");
        self.execute(&sql).await;
    }

    /// Executes SQL statements (a fixture file's text) on this database.
    pub async fn execute(&self, sql: &str) {
        match &self.pg_schema {
            Some((pool, schema)) => {
                let mut conn = pool.acquire().await.expect("connection");
                conn.execute(AssertSqlSafe(format!("SET search_path TO {schema}")))
                    .await
                    .expect("search_path");
                conn.execute(AssertSqlSafe(sql.to_string()))
                    .await
                    .expect("fixture SQL runs");
            }
            None if self.mysql_db.is_some() => {
                let pool = sqlx::MySqlPool::connect(&self.url).await.expect("mysql");
                // One statement at a time: MySQL takes a comment-only
                // piece for an empty statement, and a failure names its
                // statement.
                for statement in mysql_statements(&mysql_timestamps(sql)) {
                    if let Err(e) = pool.execute(AssertSqlSafe(statement.clone())).await {
                        panic!("fixture SQL runs: {e}\n{statement}");
                    }
                }
                pool.close().await;
            }
            None => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.expect("sqlite");
                pool.execute(AssertSqlSafe(sql.to_string()))
                    .await
                    .expect("fixture SQL runs");
                pool.close().await;
            }
        }
    }

    /// Loads a CSV file with a header line (the columns, in any order)
    /// into `table` of this PostgreSQL schema; rows repeating a key are
    /// skipped. Returns the rows inserted.
    pub async fn copy_csv(&self, table: &str, csv: &Path) -> u64 {
        let (pool, schema) = self.pg_schema.as_ref().expect("a PostgreSQL test database");
        let text = std::fs::read_to_string(csv).expect("csv");
        let header = text
            .lines()
            .next()
            .expect("a header line")
            .trim_end_matches('\r');
        let columns: Vec<String> = header.split(',').map(|c| format!("\"{c}\"")).collect();
        let columns = columns.join(", ");
        let mut conn = pool.acquire().await.expect("connection");
        for statement in [
            format!("SET search_path TO {schema}"),
            format!("CREATE TEMP TABLE staging (LIKE \"{table}\")"),
        ] {
            conn.execute(AssertSqlSafe(statement))
                .await
                .expect("staging");
        }
        let mut copy = conn
            .copy_in_raw(&format!(
                "COPY staging ({columns}) FROM STDIN (FORMAT csv, HEADER true)"
            ))
            .await
            .expect("copy");
        copy.send(text.as_bytes()).await.expect("send csv");
        copy.finish().await.expect("copy csv");
        let inserted = conn
            .execute(AssertSqlSafe(format!(
                "INSERT INTO \"{table}\" ({columns}) SELECT {columns} FROM staging ON CONFLICT DO NOTHING"
            )))
            .await
            .expect("insert")
            .rows_affected();
        conn.execute("DROP TABLE staging")
            .await
            .expect("drop staging");
        inserted
    }

    pub async fn cleanup(self) {
        if let Some((pool, name)) = &self.mysql_db {
            let _ = pool
                .execute(AssertSqlSafe(format!("DROP DATABASE {name}")))
                .await;
        }
        if let Some((pool, schema)) = &self.pg_schema {
            let _ = pool
                .execute(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .await;
        }
    }
}

/// The statements of `sql`, split at the `;`s outside quotes and
/// comments; pieces with nothing but comments are left out.
fn mysql_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut piece, mut code) = (String::new(), false);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                piece.push(c);
                if c == '\\' {
                    piece.extend(chars.next());
                } else if c == q {
                    quote = None;
                }
                continue;
            }
            None if c == '-' && chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
                piece.push('\n');
                continue;
            }
            None if c == '/' && chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
                piece.push(' ');
                continue;
            }
            None if c == ';' => {
                if code {
                    out.push(std::mem::take(&mut piece));
                }
                piece.clear();
                code = false;
                continue;
            }
            None => {
                if matches!(c, '\'' | '"' | '`') {
                    quote = Some(c);
                }
            }
        }
        code |= !c.is_whitespace();
        piece.push(c);
    }
    if code {
        out.push(piece);
    }
    out
}

/// Fixture timestamps are ISO-8601 UTC literals (`'2026-01-05T09:00:00Z'`);
/// a strict-mode MariaDB DATETIME takes them without the `Z` (its columns
/// hold UTC).
fn mysql_timestamps(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    chars
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            !(**c == 'Z'
                && chars.get(i + 1) == Some(&'\'')
                && i.checked_sub(1)
                    .and_then(|p| chars.get(p))
                    .is_some_and(char::is_ascii_digit))
        })
        .map(|(_, c)| *c)
        .collect()
}

fn rand_suffix() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    nanos % 100_000 + N.fetch_add(1, Ordering::Relaxed)
}

/// The cumulative series of an exporter that resumed after a restart equal
/// those of one uninterrupted run over the same data: nothing counted twice
/// or lost.
#[track_caller]
pub fn assert_same_cumulative(resumed: &Scrape, whole: &Scrape) {
    let (a, b) = (resumed.cumulative(), whole.cumulative());
    let only_resumed: Vec<_> = a.iter().filter(|s| !b.contains(s)).collect();
    let only_whole: Vec<_> = b.iter().filter(|s| !a.contains(s)).collect();
    assert!(
        only_resumed.is_empty() && only_whole.is_empty(),
        "after the restart: {only_resumed:#?}\nin one run: {only_whole:#?}"
    );
}

/// Float equality to 1e-6, with the JSON path in the message.
#[track_caller]
pub fn assert_num(v: &serde_json::Value, path: &str, want: f64) {
    let got = v
        .pointer(path)
        .unwrap_or_else(|| panic!("no {path} in {v}"));
    let got = got
        .as_f64()
        .unwrap_or_else(|| panic!("{path} is {got}, not a number"));
    assert!((got - want).abs() < 1e-6, "{path}: got {got}, want {want}");
}

#[track_caller]
pub fn assert_null(v: &serde_json::Value, path: &str) {
    let got = v
        .pointer(path)
        .unwrap_or_else(|| panic!("no {path} in {v}"));
    assert!(got.is_null(), "{path}: got {got}, want null");
}

/// A running `serve` process on a free port, stopped with SIGTERM on drop.
pub struct Served {
    child: std::process::Child,
    pub addr: String,
}

impl Served {
    /// Starts `serve --listen 127.0.0.1:0` and waits for it to print its address.
    pub fn start(cwd: &Path, config: &Path, env: &[(&str, &str)]) -> Served {
        let config = config.to_str().expect("utf-8 path");
        Served::spawn(
            cwd,
            &["--config", config, "serve", "--listen", "127.0.0.1:0"],
            env,
        )
    }

    /// Starts the binary with `args` (a command that serves and prints
    /// "Serving metrics at …") and waits for the address.
    pub fn spawn(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Served {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(env!("CARGO_BIN_EXE_support-metrics"))
            .current_dir(cwd)
            .args(args)
            .env_remove("SUPPORT_METRICS__SOURCE__URL")
            .envs(env.iter().copied())
            .env(
                "RUST_LOG",
                std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let url = line.strip_prefix("Serving metrics at ");
                if let Some(rest) = url.and_then(|u| {
                    u.strip_prefix("http://")
                        .or_else(|| u.strip_prefix("https://"))
                }) {
                    let _ = tx.send(rest.trim_end_matches("/metrics").to_string());
                }
            }
        });
        let addr = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("serve prints its address");
        Served { child, addr }
    }

    /// Polls `/readyz` until it answers 200 (the first collection succeeded),
    /// for up to two minutes (debug builds on a loaded 2-core machine).
    pub fn wait_ready(&self) {
        for _ in 0..2_400 {
            if http_get(&self.addr, "/readyz").0 == 200 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("{} never became ready", self.addr);
    }

    /// Scrapes once `job` has run successfully in this process (`/readyz`
    /// only waits for the first collection; the KPI job runs right after).
    pub fn scrape_after(&self, job: &str) -> Scrape {
        for _ in 0..2_400 {
            let m = self.scrape();
            if m.sum(
                "support_job_runs_total",
                &[("job_name", job), ("result", "ok")],
            ) >= 1.0
            {
                return m;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("{} never ran the {job} job", self.addr);
    }

    pub fn scrape(&self) -> Scrape {
        let (status, body) = http_get(&self.addr, "/metrics");
        assert_eq!(status, 200, "{body}");
        Scrape::parse(&body)
    }

    /// SIGTERM, then the exit status must be success.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(killed.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let status = self.child.wait().expect("wait for serve");
        assert!(status.success(), "serve exited with {status} after SIGTERM");
    }
}

/// The fixture's calendars and SLO (`small_helpdesk.toml`) with `db` as the
/// source, `state_url` as the state store and collection on the cron
/// expression `collect` (KPIs hourly), written as `DIR/NAME.toml`.
pub fn fixture_config(
    db: &TestDb,
    state_url: &str,
    collect: &str,
    name: &str,
) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(fixture("small_helpdesk.toml")).expect("fixture");
    text.push_str(&format!(
        "\n[source]\nurl = \"{}\"\n\n[state]\nurl = \"{state_url}\"\n\n\
         [schedule]\ncollect = \"{collect}\"\nkpi = \"0 0 * * * *\"\n",
        db.url
    ));
    let path = db.dir.path().join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("config");
    path
}

impl Served {
    /// Scrapes until `done` holds, for up to a minute.
    pub fn scrape_until(&self, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
        for _ in 0..600 {
            let m = self.scrape();
            if done(&m) {
                return m;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("never: {what}");
    }

    /// Kills the process with SIGKILL, as a crash or an OOM kill would.
    pub fn crash(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.0 GET: `(status, body)`.
/// The path of an external tool (`PROMTOOL`-style override in `env_var`), or
/// `None` with a printed reason when it is missing — except in CI, where
/// that is a failure.
pub fn tool(name: &str, env_var: &str, test: &str) -> Option<String> {
    let path = std::env::var(env_var).unwrap_or_else(|_| name.to_string());
    if Command::new(&path).arg("--version").output().is_ok() {
        return Some(path);
    }
    skip_outside_ci(test, &format!("no {path} on PATH (.ci/run installs it)"));
    None
}

/// Skips `test` with a printed reason, or fails it in CI (`CI` set), where
/// every test must run.
pub fn skip_outside_ci(test: &str, reason: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run {test}, but: {reason}"
    );
    eprintln!("SKIPPED {test}: {reason}");
}

/// A one-connection pool on the database server at `env_var` (default
/// `default`), and its URL; `None` after [`skip_outside_ci`] when it is
/// unreachable.
async fn server<DB: sqlx::Database>(
    test: &str,
    what: &str,
    env_var: &str,
    default: &str,
) -> Option<(String, sqlx::Pool<DB>)> {
    let base = std::env::var(env_var).unwrap_or_else(|_| default.to_string());
    match sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(1)
        .connect(&base)
        .await
    {
        Ok(pool) => Some((base, pool)),
        Err(e) => {
            skip_outside_ci(
                test,
                &format!("no {what} at {base} ({e}); set {env_var} or start one"),
            );
            None
        }
    }
}

/// The repository root (where the shipped dashboards and rules live).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return (0, String::new());
    };
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

/// One sample of the text exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub value: f64,
}

/// A parsed `/metrics` page.
#[derive(Debug, Clone)]
pub struct Scrape {
    pub samples: Vec<Sample>,
}

impl Scrape {
    pub fn parse(text: &str) -> Scrape {
        let mut samples = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (series, value) = line.rsplit_once(' ').expect("name and value");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let mut map = std::collections::BTreeMap::new();
            // Label values in our fixtures hold no commas or quotes.
            for pair in labels.split(',').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').expect("label pair");
                map.insert(k.to_string(), v.trim_matches('"').to_string());
            }
            samples.push(Sample {
                name: name.to_string(),
                labels: map,
                value,
            });
        }
        Scrape { samples }
    }

    /// Sum of `name` over the samples whose labels include every `filter` pair.
    pub fn sum(&self, name: &str, filter: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                filter
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }

    /// The samples of the cumulative `support_` series (not self-metrics
    /// or gauges that depend on the moment), for comparing two runs.
    pub fn cumulative(&self) -> Vec<Sample> {
        let mut v: Vec<Sample> = self
            .samples
            .iter()
            .filter(|s| {
                (s.name.ends_with("_total")
                    || s.name.ends_with("_bucket")
                    || s.name.ends_with("_sum")
                    || s.name.ends_with("_count"))
                    // This process's own doings, not the data.
                    && !s.name.starts_with("support_job_")
                    && s.name != "support_digest_emails_total"
                    // A summary over a sliding window: of the moment.
                    && !s.name.starts_with("support_first_response_quantile_seconds")
            })
            .cloned()
            .collect();
        v.sort_by(|a, b| (&a.name, &a.labels).cmp(&(&b.name, &b.labels)));
        v
    }
}

/// `promtool check metrics` over `exposition`: it must pass with nothing
/// to say.
#[track_caller]
pub fn promtool_check_metrics(promtool: &str, exposition: &[u8]) {
    use std::io::Write;
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(exposition)
        .expect("write exposition");
    let out = child.wait_with_output().expect("promtool runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.trim().is_empty(),
        "promtool: {report}"
    );
}
