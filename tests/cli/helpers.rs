//! Running the binary and giving each test its own database.

use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::{AssertSqlSafe, Executor};

pub const PG_URL_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/test";

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
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("helpdesk.sqlite").display());
        TestDb {
            url,
            dir,
            pg_schema: None,
        }
    }

    /// A fresh schema on the PostgreSQL of `DATABASE_URL_PG` (default: the
    /// local one). Without a server the test is skipped with a printed
    /// reason — except in CI, where that is a failure.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let base =
            std::env::var("SUPPORT_METRICS_TEST_PG").unwrap_or_else(|_| PG_URL_DEFAULT.to_string());
        let pool = match sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&base)
            .await
        {
            Ok(p) => p,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!(
                    "SKIPPED {test}: no PostgreSQL at {base} ({e}); set SUPPORT_METRICS_TEST_PG or start one"
                );
                return None;
            }
            Err(e) => panic!("CI must run the PostgreSQL tests, but {base} is unreachable: {e}"),
        };
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
        })
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
            None => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.expect("sqlite");
                pool.execute(AssertSqlSafe(sql.to_string()))
                    .await
                    .expect("fixture SQL runs");
                pool.close().await;
            }
        }
    }

    pub async fn cleanup(self) {
        if let Some((pool, schema)) = &self.pg_schema {
            let _ = pool
                .execute(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .await;
        }
    }
}

fn rand_suffix() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    nanos % 100_000 + N.fetch_add(1, Ordering::Relaxed)
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
