//! `support-metrics demo`: an embedded SQLite helpdesk with realistic
//! generated data, and a report of its last full week.
//!
//! Generation is deterministic for a seed and the week it runs in: history
//! ends at the Monday 00:00 UTC that starts the current week.

pub mod generate;
pub mod write;

use std::path::PathBuf;

use anyhow::Context;
use chrono::{Datelike, Duration, TimeZone, Utc};

use crate::config::{Settings, SourceSettings};
use crate::model::Instant;
use crate::report::{self, Dimension, Period, render};
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
}

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
    if existing > 0 && !opts.fresh {
        println!(
            "Reusing the demo helpdesk in {} ({existing} tickets); pass --fresh to regenerate it.",
            path.display()
        );
    } else {
        write::clear(&source)
            .await
            .context("cannot empty the demo tables")?;
        let shape = Shape {
            seed: opts.seed,
            weeks: opts.weeks,
            end,
            tickets_per_week: 650,
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
            "Created {} with {} tickets, {} ticket events, {} survey answers and {} engagement answers \
             from {} to {} in {:.1}s.",
            path.display(),
            data.tickets.len(),
            data.events.len(),
            data.surveys.len(),
            data.engagement.len(),
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
        &report_settings,
        period,
        Some(Dimension::Team),
        now,
    )
    .await?;
    println!();
    print!("{}", render::render(&r, render::Format::Table));
    println!();
    println!("Next (in a checkout, `cargo run --release --` stands for `support-metrics`):");
    println!(
        "  support-metrics report --from {} --to {} --by category",
        period.from.format("%Y-%m-%dT%H:%M:%SZ"),
        period.to.format("%Y-%m-%dT%H:%M:%SZ")
    );
    println!(
        "  support-metrics report --from {} --to {} --format json",
        period.from.format("%Y-%m-%dT%H:%M:%SZ"),
        period.to.format("%Y-%m-%dT%H:%M:%SZ")
    );
    Ok(())
}
