//! The `support-metrics` command line. Parsing and wiring only: every
//! command's work lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use support_metrics::config::Settings;
use support_metrics::demo::{self, DemoOptions};
use support_metrics::digest::{self, IsoWeek, send::Outcome};
use support_metrics::exporter::{Exporter, Job, JobOutcome};
use support_metrics::report::{self, Dimension, Period, render};
use support_metrics::source::{Access, Source};
use support_metrics::state::StateStore;
use support_metrics::timearg::parse_instant;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "support-metrics",
    version,
    about = "Support-quality metrics from a helpdesk's ticket, event and survey tables",
    long_about = "Reads a helpdesk's tickets, ticket events and surveys (SQLite, PostgreSQL or MySQL/MariaDB) and \
computes first-response and resolution times (calendar and business hours), interactions, re-routes, reopens, \
backlog, SLO attainment, CSAT, NPS, CES and eNPS.\n\nStart with `support-metrics demo`, then try \
`support-metrics report --from 2026-11-09 --to 2026-11-16 --by team`.\n\nConfiguration: --config FILE, else \
config/support-metrics.toml if present; any key can be overridden with SUPPORT_METRICS__SECTION__KEY \
(e.g. SUPPORT_METRICS__SOURCE__URL). Logs go to stderr; set RUST_LOG=debug for more."
)]
struct Cli {
    /// Configuration file (default: config/support-metrics.toml when present)
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create (or reuse) an embedded SQLite helpdesk with realistic generated data, report on it and serve /metrics with live traffic
    Demo {
        /// Directory holding the demo helpdesk database
        #[arg(long, default_value = "data", value_name = "DIR")]
        data_dir: PathBuf,
        /// Seed of the generator: the same seed and week give the same helpdesk
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Full weeks of history to generate
        #[arg(long, default_value_t = 13, value_parser = clap::value_parser!(u32).range(2..=104))]
        weeks: u32,
        /// Regenerate even if the database already holds a helpdesk
        #[arg(long)]
        fresh: bool,
        /// Only generate and report; do not serve /metrics
        #[arg(long)]
        no_serve: bool,
        /// Listen address, overriding server.listen (port 0 picks a free port)
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Write a realistic generated helpdesk of any size into a database (trials, benchmarks)
    ///
    /// The demo's helpdesk — teams with calendars, every channel and priority,
    /// bots, re-routes, reopens, surveys, engagement pulses — scaled to exactly
    /// --tickets tickets over --weeks weeks ending this Monday. Creates the four
    /// canonical tables if missing; PostgreSQL is loaded with COPY.
    Generate {
        /// Number of tickets (events, surveys and engagement answers follow: ≈10.8 events a ticket)
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        tickets: u64,
        /// Database to write to: sqlite://FILE, postgres://… or mysql://… (never defaults to source.url)
        #[arg(long, value_name = "URL")]
        db: String,
        /// Seed of the generator: the same seed, size and week give the same rows
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Full weeks of history
        #[arg(long, default_value_t = 13, value_parser = clap::value_parser!(u32).range(1..=520))]
        weeks: u32,
        /// Empty the canonical tables first if they hold rows (otherwise that is an error)
        #[arg(long)]
        replace: bool,
    },
    /// Metrics for the period [--from, --to), read straight from the source
    ///
    /// With --from-state, each ticket's walked timeline comes from the state store
    /// that `serve` or `run-once --job collect` keeps (state.url), and only the
    /// period's survey and engagement answers from the source: the same numbers,
    /// without walking every event again. The store must be current (a collection
    /// at least source.late_arrival after the period's end, under this configuration).
    Report {
        /// Start of the period (inclusive): YYYY-MM-DD, "YYYY-MM-DD HH:MM" (in schedule.timezone) or RFC 3339
        #[arg(long, value_name = "TIME")]
        from: String,
        /// End of the period (exclusive), same forms as --from
        #[arg(long, value_name = "TIME")]
        to: String,
        /// Also break the numbers down by this dimension
        #[arg(long, value_enum)]
        by: Option<Dimension>,
        /// Output format
        #[arg(long, value_enum, default_value = "table")]
        format: render::Format,
        /// Read the tickets' timelines from the state store instead of the source's events
        #[arg(long)]
        from_state: bool,
    },
    /// Print the helpdesk's business-hour schedules and holidays as [calendars] TOML
    ///
    /// Reads source.url with the preset's tables (today: zendesk_fivetran, Zendesk's
    /// `schedule`, `schedule_holiday` and `ticket_schedule` as Fivetran lands them)
    /// and prints one [calendars.<name>] per schedule, in its IANA zone, and a
    /// [team_calendars] entry per group for the schedule most of its tickets had.
    /// Paste the output into the configuration so business seconds match the helpdesk's.
    ImportCalendars {
        /// The helpdesk preset whose schedules to read
        #[arg(long, value_name = "PRESET")]
        preset: String,
    },
    /// Run the exporter: scheduled collection and KPI jobs, and /metrics, /healthz, /readyz over HTTP
    Serve {
        /// Listen address, overriding server.listen (e.g. 127.0.0.1:10891; port 0 picks a free port)
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Run one job against the state store, then exit (for cron or Kubernetes CronJob deployments)
    RunOnce {
        /// The job to run
        #[arg(long, value_enum)]
        job: Job,
    },
    /// The weekly digest of systemic issues: preview it as files, or send it to the team leads
    #[command(group(clap::ArgGroup::new("mode").required(true).args(["preview", "send"])))]
    Digest {
        /// ISO week, as in 2026-W47 (default: the last full week in schedule.timezone)
        #[arg(long, value_name = "YYYY-Www")]
        week: Option<String>,
        /// Only this team's digest (`all`: only the all-teams digest)
        #[arg(long, value_name = "TEAM")]
        team: Option<String>,
        /// Write WEEK-TEAM.eml, .html and .txt into DIR; send nothing
        #[arg(long, value_name = "DIR")]
        preview: Option<PathBuf>,
        /// Send now over digest.smtp to digest.teams and digest.recipients (each message once: see the digest log)
        #[arg(long)]
        send: bool,
        /// Read the tickets' timelines from the state store instead of the source's events
        /// (as `serve` does when the store is current; needs state.requester_salt)
        #[arg(long)]
        from_state: bool,
    },
    /// Print the Prometheus recording and alert rules for the configured SLOs (burn-rate pages and tickets, queue, exporter health)
    Rules {
        /// Write the rules to FILE instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// `prometheus`: a rule file for Prometheus' rule_files;
        /// `prometheus-operator`: a PrometheusRule object for Kubernetes
        #[arg(long, value_enum, default_value = "prometheus")]
        format: RulesFormat,
    },
    /// Write the Grafana dashboards (JSON, thresholds from the configured SLOs) into DIR
    Dashboards {
        /// Directory to write the dashboards into (created if missing)
        #[arg(long, value_name = "DIR", default_value = "dashboards/grafana")]
        out: PathBuf,
    },
    /// Create database tables
    Migrate {
        /// `state`: the exporter's state store (state.url); `source`: the four canonical source
        /// tables, for a helpdesk that has none
        #[arg(value_enum)]
        target: MigrateTarget,
    },
    /// Print a bcrypt hash of a password read from standard input, for [server.basic_auth_users]
    HashPassword {
        /// bcrypt cost: each check takes about 2^cost × 60 µs (the server remembers a pair that passed)
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(4..=31))]
        cost: u32,
    },
    /// Validate a configuration file and print every problem with its key path
    CheckConfig {
        /// The file to check (default: --config, else config/support-metrics.toml)
        file: Option<PathBuf>,
    },
}

/// What `rules` writes.
#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Prometheus,
    PrometheusOperator,
}

#[derive(Clone, Copy, ValueEnum)]
enum MigrateTarget {
    State,
    Source,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=error")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line naming what is wrong, with its causes.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// One line per message; an error when any was not sent.
/// The configuration file as the generated files name it.
fn config_name(path: Option<&std::path::Path>) -> String {
    let default = support_metrics::config::DEFAULT_CONFIG_PATH;
    match path {
        Some(p) => p.display().to_string(),
        None if std::path::Path::new(default).exists() => default.to_string(),
        None => "the built-in defaults (no configuration file)".to_string(),
    }
}

fn print_deliveries(week: IsoWeek, deliveries: &[digest::send::Delivery]) -> anyhow::Result<()> {
    if deliveries.is_empty() {
        println!("digest {week}: no recipients (set digest.recipients or digest.teams)");
    }
    for d in deliveries {
        println!(
            "digest {week} {} → {}: {}",
            d.scope,
            d.recipient,
            match &d.outcome {
                Outcome::Sent {
                    message_id,
                    attempts,
                } => format!("sent {message_id} (attempt {attempts})"),
                Outcome::AlreadySent => "already sent".to_string(),
                Outcome::Busy => "being sent by another process".to_string(),
                Outcome::Failed { error, attempts } =>
                    format!("NOT sent after {attempts} attempt(s): {error}"),
                Outcome::Refused { error } =>
                    format!("REFUSED by the SMTP server, not retried: {error}"),
            }
        );
    }
    let failed = deliveries.iter().filter(|d| d.outcome.is_failed()).count();
    let refused = deliveries
        .iter()
        .filter(|d| matches!(d.outcome, Outcome::Refused { .. }))
        .count();
    if failed > 0 {
        bail!("{failed} digest message(s) not sent; the next run retries them");
    }
    if refused > 0 {
        bail!(
            "{refused} digest message(s) refused for good by the SMTP server (see above); \
             fix the recipient or the server's limit"
        );
    }
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::HashPassword { cost } => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            anyhow::ensure!(!password.is_empty(), "no password on standard input");
            // bcrypt reads at most 72 bytes, its final NUL included: a
            // longer password would be cut without a word, its end unused.
            anyhow::ensure!(
                password.len() <= 71,
                "the password is {} bytes; bcrypt reads at most 71 — choose a shorter one",
                password.len()
            );
            println!(
                "{}",
                bcrypt::non_truncating_hash(password, cost).context("cannot hash the password")?
            );
            Ok(())
        }
        Command::Rules { out, format } => {
            let settings = Settings::load(cli.config.as_deref())?;
            let source = config_name(cli.config.as_deref());
            let rules = support_metrics::rules::generate(&settings);
            for w in &rules.warnings {
                eprintln!("warning: {w}");
            }
            let text = match format {
                RulesFormat::Prometheus => rules.to_yaml(&source),
                RulesFormat::PrometheusOperator => rules.to_prometheus_rule(&source),
            };
            match out {
                None => print!("{text}"),
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "Wrote {} rules ({} alerts) to {}",
                        rules.all().count(),
                        rules.alerts().count(),
                        path.display()
                    );
                }
            }
            Ok(())
        }
        Command::Dashboards { out } => {
            let settings = Settings::load(cli.config.as_deref())?;
            let source = config_name(cli.config.as_deref());
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            for d in support_metrics::dashboards::generate(&settings, &source) {
                let path = out.join(format!("{}.json", d.uid));
                std::fs::write(&path, d.to_json())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!(
                    "Wrote {} ({} panels) to {}",
                    d.title,
                    d.panel_count(),
                    path.display()
                );
            }
            Ok(())
        }
        Command::ImportCalendars { preset } => {
            if preset != "zendesk_fivetran" {
                anyhow::bail!(
                    "import-calendars --preset {preset}: only zendesk_fivetran stores business-hour schedules the tool can read"
                );
            }
            let settings = Settings::load(cli.config.as_deref())?;
            let source = Source::connect(&settings.source, Access::ReadOnly).await?;
            let (schedules, teams) =
                support_metrics::calendar_import::read_zendesk(&source).await?;
            if schedules.is_empty() {
                anyhow::bail!("Zendesk's schedule table holds no schedule: nothing to import");
            }
            let toml = support_metrics::calendar_import::to_toml(&schedules, &teams)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            print!("{toml}");
            eprintln!(
                "{} calendar(s) from Zendesk's schedules, {} team(s) mapped",
                schedules.len(),
                teams.len()
            );
            Ok(())
        }
        Command::CheckConfig { file } => {
            let path = file.or(cli.config);
            let settings = Settings::load(path.as_deref())?;
            println!(
                "configuration is valid: source {}, state {}, {} SLO(s), time zone {}, listen {}",
                support_metrics::config::redact_url(&settings.source.url),
                support_metrics::config::redact_url(&settings.state.url),
                settings.slos.len(),
                settings.timezone,
                settings.server.listen
            );
            for slo in &settings.slos {
                println!(
                    "  slo {}: {}",
                    slo.name,
                    support_metrics::dashboards::describe_slo(slo)
                );
            }
            Ok(())
        }
        Command::Serve { listen } => {
            let settings = Settings::load(cli.config.as_deref())?;
            let listen = listen.unwrap_or(settings.server.listen);
            let scheme = settings.server.scheme();
            support_metrics::service::serve(
                settings,
                listen,
                support_metrics::service::shutdown_signal(),
                |addr| println!("Serving metrics at {scheme}://{addr}/metrics"),
            )
            .await
        }
        Command::RunOnce { job } => {
            let settings = Settings::load(cli.config.as_deref())?;
            let exporter = Exporter::open(settings).await?;
            let started = std::time::Instant::now();
            let outcome = exporter.run_job(job, chrono::Utc::now()).await?;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            match outcome {
                JobOutcome::Collect(o) => println!(
                    "collect: {} new events, {} tickets walked, {} rows rejected, watermark at event {}{} in {ms:.0} ms",
                    o.new_events,
                    o.tickets_walked,
                    o.rows_rejected,
                    o.last_event_id
                        .map_or("none".to_string(), |id| id.to_string()),
                    if o.backfill { " (backfill)" } else { "" }
                ),
                JobOutcome::Kpi { gauges } => {
                    println!("kpi: {gauges} windowed gauges computed in {ms:.0} ms")
                }
                JobOutcome::Digest { week, deliveries } => print_deliveries(week, &deliveries)?,
                JobOutcome::Follower => anyhow::bail!(
                    "{} not run: another process leads the jobs on this state store (state.url); \
                     run-once is for deployments without a running `serve`",
                    job.as_str()
                ),
            }
            Ok(())
        }
        Command::Digest {
            week,
            team,
            preview,
            send,
            from_state,
        } => {
            let settings = Settings::load(cli.config.as_deref())?;
            let now = chrono::Utc::now();
            let week = match week {
                Some(w) => w
                    .parse::<IsoWeek>()
                    .map_err(|e| anyhow::anyhow!("--week: {e}"))?,
                None => IsoWeek::last_full(now, settings.timezone),
            };
            match week.readiness(now, settings.timezone) {
                Err(e) => bail!("--week: {e}"),
                Ok(Some(notice)) => eprintln!("note: {notice}"),
                Ok(None) => {}
            }
            let source = Source::connect(&settings.source, Access::ReadOnly).await?;
            source.check().await?;
            let store = state_if(from_state, &settings).await?;
            let analysis = digest::analyse(&source, store.as_ref(), &settings, week, now)
                .await?
                .only(team.as_deref(), week)?;
            if let Some(skipped) = support_metrics::rejects::skipped(&analysis.rejected) {
                eprintln!("note: {skipped} (the warnings above show one of each)");
            }
            if let Some(dir) = preview {
                for f in digest::preview(&analysis, &settings.digest, &dir, now)? {
                    println!(
                        "{week} {}: {} issue(s) → {} (also .html, .txt)",
                        support_metrics::printable::printable(&f.scope),
                        f.issues,
                        f.eml.display()
                    );
                }
            }
            if send {
                let store = StateStore::open(&settings.state).await?;
                let deliveries = digest::send_all(
                    &analysis,
                    &settings.digest,
                    &store,
                    &digest::owner_id(),
                    now,
                )
                .await?;
                print_deliveries(week, &deliveries)?;
            }
            Ok(())
        }
        Command::Migrate {
            target: MigrateTarget::State,
        } => {
            let settings = Settings::load(cli.config.as_deref())?;
            StateStore::open(&settings.state).await?;
            println!(
                "state store tables are in place in {}",
                support_metrics::config::redact_url(&settings.state.url)
            );
            Ok(())
        }
        Command::Migrate {
            target: MigrateTarget::Source,
        } => {
            let settings = Settings::load(cli.config.as_deref())?;
            let source = Source::connect(&settings.source, Access::ReadWrite).await?;
            source.migrate_canonical().await?;
            println!("canonical source tables are in place");
            Ok(())
        }
        Command::Report {
            from,
            to,
            by,
            format,
            from_state,
        } => {
            let settings = Settings::load(cli.config.as_deref())?;
            let from = parse_instant(&from, settings.timezone)
                .map_err(|e| anyhow::anyhow!("--from: {e}"))?;
            let to =
                parse_instant(&to, settings.timezone).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
            if from >= to {
                bail!("--from ({from}) must be before --to ({to})");
            }
            let source = Source::connect(&settings.source, Access::ReadOnly).await?;
            source.check().await?;
            let store = state_if(from_state, &settings).await?;
            let report = report::build(
                &source,
                store.as_ref(),
                &settings,
                Period { from, to },
                by,
                chrono::Utc::now(),
            )
            .await?;
            print!("{}", render::render(&report, format));
            Ok(())
        }
        Command::Generate {
            tickets,
            db,
            seed,
            weeks,
            replace,
        } => {
            let settings = Settings::load_or(
                cli.config.as_deref(),
                ("built-in demo configuration", demo::EXAMPLE_CONFIG),
            )?;
            let opts = demo::bulk::GenerateOptions {
                url: db,
                tickets,
                weeks,
                seed,
                replace,
            };
            demo::bulk::run(&settings, &opts, chrono::Utc::now()).await?;
            Ok(())
        }
        Command::Demo {
            data_dir,
            seed,
            weeks,
            fresh,
            no_serve,
            listen,
        } => {
            let settings = Settings::load_or(
                cli.config.as_deref(),
                ("built-in demo configuration", demo::EXAMPLE_CONFIG),
            )?;
            demo::run(
                &settings,
                DemoOptions {
                    data_dir,
                    seed,
                    weeks,
                    fresh,
                    serve: !no_serve,
                    listen,
                },
                chrono::Utc::now(),
            )
            .await
        }
    }
}

/// The state store, when `--from-state` asks to read from it.
async fn state_if(from_state: bool, settings: &Settings) -> anyhow::Result<Option<StateStore>> {
    Ok(match from_state {
        true => Some(StateStore::open(&settings.state).await?),
        false => None,
    })
}
