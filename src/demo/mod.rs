//! `support-metrics demo`: an embedded SQLite helpdesk with realistic
//! generated data, and a report of its last full week.
//!
//! Generation is deterministic for a seed and the week it runs in: history
//! ends at the Monday 00:00 UTC that starts the current week.

pub mod bulk;
pub mod generate;
pub mod live;
pub mod write;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{Datelike, Duration, TimeZone, Utc};

use crate::config::{Settings, SourceSettings, StateSettings, parse_cron};
use crate::model::Instant;
use crate::report::{self, Dimension, Period, render};
use crate::service;
use crate::source::{Access, Source};
use generate::{INJECTED_CATEGORY, INJECTED_TEAM, Shape};

/// The shipped example configuration, used by the demo when no file is found.
pub const EXAMPLE_CONFIG: &str = include_str!("../../config/support-metrics.toml");

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub data_dir: PathBuf,
    pub seed: u64,
    pub weeks: u32,
    pub fresh: bool,
    /// Serve `/metrics` over the demo helpdesk (with live traffic) after the report.
    pub serve: bool,
    /// Overrides `server.listen`.
    pub listen: Option<SocketAddr>,
}

/// How often the demo collects: often enough to see the live traffic move.
const DEMO_COLLECT_CRON: &str = "*/15 * * * * *";

/// Monday 00:00 UTC of the week holding `now`.
pub fn week_start(now: Instant) -> Instant {
    let date = now.date_naive() - Duration::days(i64::from(now.weekday().num_days_from_monday()));
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

pub async fn run(settings: &Settings, opts: DemoOptions, now: Instant) -> anyhow::Result<()> {
    std::fs::create_dir_all(&opts.data_dir)
        .with_context(|| format!("cannot create data directory {}", opts.data_dir.display()))?;
    let path = opts.data_dir.join("demo-helpdesk.sqlite");
    let url = format!("sqlite://{}", path.display());
    let source = Source::connect(&SourceSettings::with_url(&url), Access::ReadWrite).await?;
    source.migrate_canonical().await?;

    let end = week_start(now);
    let existing = write::ticket_count(&source)
        .await
        .context("cannot count demo tickets")?;
    let state_path = opts.data_dir.join("demo-state.sqlite");
    if existing > 0 && !opts.fresh {
        println!(
            "Reusing the demo helpdesk in {} ({existing} tickets); pass --fresh to regenerate it.",
            path.display()
        );
    } else {
        write::clear(&source)
            .await
            .context("cannot empty the demo tables")?;
        // The exporter's state described the old helpdesk: start it over.
        for suffix in ["", "-wal", "-shm"] {
            let mut p = state_path.clone().into_os_string();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot remove {}", state_path.display()));
                }
            }
        }
        let shape = Shape {
            seed: opts.seed,
            weeks: opts.weeks,
            end,
            tickets_per_week: 650,
            total_tickets: None,
        };
        let started = std::time::Instant::now();
        println!(
            "Generating {} weeks of helpdesk history (seed {})…",
            opts.weeks, opts.seed
        );
        let data = generate::generate(&shape, &settings.calendars);
        write::insert(&source, &data)
            .await
            .context("cannot write the demo helpdesk")?;
        println!(
            "Created {} with {} tickets, {} ticket events, {} survey answers, {} engagement answers \
             and {} agents from {} to {} in {:.1}s.",
            path.display(),
            data.tickets.len(),
            data.events.len(),
            data.surveys.len(),
            data.engagement.len(),
            data.agents.len(),
            (end - Duration::weeks(i64::from(opts.weeks))).format("%Y-%m-%d"),
            end.format("%Y-%m-%d"),
            started.elapsed().as_secs_f64(),
        );
        println!(
            "Teams: {}. Injected problem in the last full week: `{INJECTED_CATEGORY}` tickets triple, most land \
             in tech-support before reaching {INJECTED_TEAM}, and their CSAT collapses.",
            generate::TEAMS.join(", ")
        );
    }

    let period = Period {
        from: end - Duration::weeks(1),
        to: end,
    };
    // The demo's own tables are canonical: only the calendars and SLOs of
    // the configuration apply.
    let report_settings = Settings {
        source: SourceSettings::with_url(&url),
        ..settings.clone()
    };
    let reader = Source::connect(&report_settings.source, Access::ReadOnly).await?;
    let r = report::build(
        &reader,
        None,
        &report_settings,
        period,
        Some(Dimension::Team),
        now,
    )
    .await?;
    println!();
    print!("{}", render::render(&r, render::Format::Table));
    println!();

    // The digest team leads would get for that week, written, not sent.
    let week = crate::digest::IsoWeek::of((end - Duration::hours(1)).date_naive());
    let preview_dir = opts.data_dir.join("digest-preview");
    let analysis = crate::digest::analyse(&reader, None, &report_settings, week, now).await?;
    let files = crate::digest::preview(&analysis, &report_settings.digest, &preview_dir, now)?;
    println!("Weekly digest of {week}, as each team lead would receive it (not sent):");
    for f in &files {
        println!(
            "  {:<13} {} issue(s)  {}",
            f.scope,
            f.issues,
            f.html.display()
        );
    }
    println!("  (.eml and .txt beside each; open the .html in a browser)");
    println!();
    let (from, to) = (
        period.from.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        period.to.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    if !opts.serve {
        println!("Next (in a checkout, `cargo run --release --` stands for `support-metrics`):");
        println!("  support-metrics report --from {from} --to {to} --by category");
        println!("  support-metrics report --from {from} --to {to} --format json");
        println!("  support-metrics digest --week {week} --team {INJECTED_TEAM} --preview DIR");
        println!("  support-metrics demo      # serves /metrics over this helpdesk");
        return Ok(());
    }

    // Serve the demo helpdesk, with live traffic, until Ctrl-C.
    let mut serve_settings = Settings {
        state: StateSettings::with_url(&format!("sqlite://{}", state_path.display())),
        ..report_settings
    };
    serve_settings.schedule.collect = parse_cron(DEMO_COLLECT_CRON).map_err(anyhow::Error::msg)?;
    let listen = opts.listen.unwrap_or(serve_settings.server.listen);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let live_source = Source::connect(&SourceSettings::with_url(&url), Access::ReadWrite).await?;
    let live = tokio::spawn(live::run(live_source, opts.seed, stop_rx));
    let stop = async move {
        service::shutdown_signal().await;
        let _ = stop_tx.send(true);
    };
    let scheme = serve_settings.server.scheme();
    let result = service::serve(serve_settings, listen, stop, |addr| {
        println!("Serving metrics at {scheme}://{addr}/metrics");
        println!(
            "  The exporter backfills the history, then collects every 15 s while a few live tickets \
             per minute arrive. Point Prometheus at {addr} (job `support-metrics`), or:"
        );
        println!("    curl -s http://{addr}/metrics | grep support_tickets_created_total");
        println!(
            "  Dashboards and alerts: load dashboards/prometheus/support-metrics.rules.yml in that \
             Prometheus and import dashboards/grafana/*.json in Grafana (README: Dashboards and alerts)."
        );
        println!("  Meanwhile, in another terminal (`cargo run --release --` stands for `support-metrics`):");
        println!("    support-metrics report --from {from} --to {to} --by category");
        println!("  Ctrl-C stops the demo; its data stays in {} for next time.", opts.data_dir.display());
    })
    .await;
    let _ = live.await;
    result
}
