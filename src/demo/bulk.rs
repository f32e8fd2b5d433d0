//! `support-metrics generate`: the demo's helpdesk at any size, written in
//! bulk into any database — for trials on a real server and for the
//! benchmarks.
//!
//! The generator runs on its own thread and hands over one week at a time
//! (bounded memory whatever the size); PostgreSQL receives each week with
//! `COPY … FROM STDIN`, the other backends with multi-row INSERTs, one
//! transaction per week.

use std::io::{IsTerminal, Write};
use std::time::Instant as Clock;

use anyhow::{Context, bail};
use chrono::Duration;
use sqlx::PgPool;

use super::generate::{self, Dataset, Shape};
use super::write;
use crate::config::{Settings, SourceSettings, redact_url};
use crate::model::Instant;
use crate::source::{Access, Pool, Source};

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub url: String,
    pub tickets: u64,
    pub weeks: u32,
    pub seed: u64,
    /// Empty the canonical tables first when they hold rows.
    pub replace: bool,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    pub tickets: u64,
    pub events: u64,
    pub surveys: u64,
    pub engagement: u64,
}

impl Written {
    fn add(&mut self, d: &Dataset) {
        self.tickets += d.tickets.len() as u64;
        self.events += d.events.len() as u64;
        self.surveys += d.surveys.len() as u64;
        self.engagement += d.engagement.len() as u64;
    }
}

/// Generates `opts.tickets` tickets ending at the week holding `now` and
/// writes them to `opts.url`, creating the canonical tables if needed.
pub async fn run(
    settings: &Settings,
    opts: &GenerateOptions,
    now: Instant,
) -> anyhow::Result<Written> {
    let shown = redact_url(&opts.url);
    let source = Source::connect(&SourceSettings::with_url(&opts.url), Access::ReadWrite).await?;
    source.migrate_canonical().await?;
    let existing = write::ticket_count(&source)
        .await
        .with_context(|| format!("cannot count the tickets in {shown}"))?;
    if existing > 0 {
        if !opts.replace {
            bail!(
                "{shown} already holds {existing} tickets in support_tickets; pass --replace to \
                 empty the four canonical tables first (nothing was written)"
            );
        }
        eprintln!("Emptying the canonical tables of {shown} ({existing} tickets)…");
        write::clear(&source)
            .await
            .with_context(|| format!("cannot empty the canonical tables of {shown}"))?;
    }

    let shape = Shape {
        seed: opts.seed,
        weeks: opts.weeks,
        end: super::week_start(now),
        tickets_per_week: 0,
        total_tickets: Some(opts.tickets),
    };
    eprintln!(
        "Generating {} tickets over {} weeks ({} to {}, seed {}) into {shown}…",
        opts.tickets,
        opts.weeks,
        (shape.end - Duration::weeks(i64::from(opts.weeks))).format("%Y-%m-%d"),
        shape.end.format("%Y-%m-%d"),
        opts.seed
    );
    // Two weeks in flight at most: the generator stays one week ahead.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Dataset>(1);
    let calendars = settings.calendars.clone();
    let generator = tokio::task::spawn_blocking(move || {
        generate::generate_weekly(&shape, &calendars, |week| {
            // A closed channel means the writer failed; it reports why.
            let _ = tx.blocking_send(week);
        });
    });
    let mut written = Written::default();
    let mut progress = Progress::new(opts.tickets);
    while let Some(week) = rx.recv().await {
        match source.pool() {
            Pool::Postgres(p) => copy_week(p, &week).await,
            _ => write::insert(&source, &week).await,
        }
        .with_context(|| format!("cannot write generated rows to {shown}"))?;
        written.add(&week);
        progress.show(&written);
    }
    generator.await.context("the generator stopped")?;
    progress.finish(&written);
    if let Pool::Postgres(p) = source.pool() {
        // Fresh statistics, so the planner sees the new size at once.
        sqlx::raw_sql(
            "ANALYZE support_tickets; ANALYZE support_ticket_events; \
             ANALYZE support_survey_responses; ANALYZE support_engagement_responses",
        )
        .execute(p)
        .await
        .context("cannot ANALYZE the generated tables")?;
    }
    Ok(written)
}

/// One week into PostgreSQL: a COPY per table, in one transaction.
async fn copy_week(pool: &PgPool, d: &Dataset) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut csv = Csv::new();
    for t in &d.tickets {
        csv.text(&t.id);
        csv.time(t.created_at);
        csv.text(&t.channel);
        csv.opt(t.priority.stored());
        csv.opt(t.category.as_deref());
        csv.text(&t.requester_id);
        csv.text(t.created_by.as_str());
        csv.text(t.status.as_str());
        csv.time(t.updated_at.unwrap_or(t.created_at));
        csv.end_row();
    }
    csv.copy(
        &mut tx,
        "support_tickets (id, created_at, channel, priority, category, requester_id, created_by, status, updated_at)",
    )
    .await?;
    for e in &d.events {
        csv.raw(&e.id.to_string());
        csv.text(&e.ticket_id);
        csv.time(e.occurred_at);
        csv.text(e.kind.as_str());
        csv.text(e.actor.as_str());
        csv.opt(e.actor_id.as_deref());
        csv.opt(e.team.as_deref());
        csv.opt(e.agent_id.as_deref());
        csv.opt(e.status.map(|s| s.as_str()));
        csv.end_row();
    }
    csv.copy(
        &mut tx,
        "support_ticket_events (id, ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status)",
    )
    .await?;
    for s in &d.surveys {
        csv.text(&s.id);
        csv.opt(s.ticket_id.as_deref());
        csv.time(s.responded_at);
        csv.text(s.score.kind_str());
        csv.raw(&s.score.value().to_string());
        csv.opt(s.comment.as_deref());
        csv.opt(s.score.question().as_deref());
        csv.end_row();
    }
    csv.copy(
        &mut tx,
        "support_survey_responses (id, ticket_id, responded_at, kind, score, comment, question)",
    )
    .await?;
    for e in &d.engagement {
        let (question, score) = e.answer.parts();
        csv.text(&e.id);
        csv.text(&e.employee_id);
        csv.text(&e.team);
        csv.time(e.responded_at);
        csv.text(question);
        csv.raw(&score.to_string());
        csv.end_row();
    }
    csv.copy(
        &mut tx,
        "support_engagement_responses (id, employee_id, team, responded_at, question, score)",
    )
    .await?;
    for a in &d.agents {
        csv.text(&a.id);
        csv.text(&a.team);
        csv.raw(&a.started_on.to_string());
        csv.opt(a.left_on.map(|d| d.to_string()).as_deref());
        csv.end_row();
    }
    csv.copy(
        &mut tx,
        "support_agents (agent_id, team, started_on, left_on)",
    )
    .await?;
    tx.commit().await
}

/// Rows in PostgreSQL's CSV format: strings quoted (so an empty string is
/// not NULL), NULL as nothing.
struct Csv {
    buf: String,
    /// The next field starts a row.
    first: bool,
}

impl Csv {
    fn new() -> Csv {
        Csv {
            buf: String::new(),
            first: true,
        }
    }

    fn sep(&mut self) {
        if !self.first {
            self.buf.push(',');
        }
        self.first = false;
    }
    fn raw(&mut self, v: &str) {
        self.sep();
        self.buf.push_str(v);
    }
    fn text(&mut self, v: &str) {
        self.sep();
        self.buf.push('"');
        self.buf.push_str(&v.replace('"', "\"\""));
        self.buf.push('"');
    }
    fn opt(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.text(v),
            None => self.sep(),
        }
    }
    fn time(&mut self, t: Instant) {
        self.raw(&t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
    }
    fn end_row(&mut self) {
        self.buf.push('\n');
        self.first = true;
    }

    /// Sends the rows to `table (columns)` and empties the buffer.
    async fn copy(
        &mut self,
        conn: &mut sqlx::PgConnection,
        table: &str,
    ) -> Result<(), sqlx::Error> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut copy = conn
            .copy_in_raw(&format!("COPY {table} FROM STDIN WITH (FORMAT csv)"))
            .await?;
        const PIECE: usize = 1 << 20;
        let bytes = std::mem::take(&mut self.buf).into_bytes();
        for piece in bytes.chunks(PIECE) {
            copy.send(piece).await?;
        }
        copy.finish().await?;
        self.first = true;
        Ok(())
    }
}

/// A progress bar on a terminal; a line per 10 % otherwise (logs, CI).
struct Progress {
    total: u64,
    started: Clock,
    tty: bool,
    shown_tenths: u64,
}

impl Progress {
    fn new(total: u64) -> Progress {
        Progress {
            total: total.max(1),
            started: Clock::now(),
            tty: std::io::stderr().is_terminal(),
            shown_tenths: 0,
        }
    }

    fn line(&self, w: &Written) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = w.tickets as f64 / secs;
        let left = self.total.saturating_sub(w.tickets) as f64 / rate.max(1.0);
        format!(
            "{:>3}% {}/{} tickets, {} events, {:.0} tickets/s, {:.0}s left",
            w.tickets * 100 / self.total,
            w.tickets,
            self.total,
            w.events,
            rate,
            left
        )
    }

    fn show(&mut self, w: &Written) {
        if self.tty {
            let filled = (w.tickets * 30 / self.total).min(30) as usize;
            eprint!(
                "\r[{}{}] {}",
                "#".repeat(filled),
                "-".repeat(30 - filled),
                self.line(w)
            );
            let _ = std::io::stderr().flush();
        } else {
            let tenths = w.tickets * 10 / self.total;
            if tenths > self.shown_tenths {
                self.shown_tenths = tenths;
                eprintln!("{}", self.line(w));
            }
        }
    }

    fn finish(&self, w: &Written) {
        if self.tty {
            eprintln!();
        }
        eprintln!(
            "Wrote {} tickets, {} events, {} survey answers and {} engagement answers in {:.1}s.",
            w.tickets,
            w.events,
            w.surveys,
            w.engagement,
            self.started.elapsed().as_secs_f64()
        );
    }
}
