//! The `collect` job: incremental reading of the source into the cumulative
//! counters and histograms of DESIGN.md §4.
//!
//! Each run reads the events after the watermark (`after < id <= upto`),
//! the ticket rows updated since the last run and the answers given since
//! (both minus `source.late_arrival`), walks the whole history of every
//! ticket they touch with the same engine `report` uses, and counts only
//! what the new events complete. A ticket the state store has never seen is
//! counted whole (its creation and all its events up to `upto`). The cost of
//! a run follows the touched tickets, not the history. The first run
//! (no watermark) backfills everything, or `source.backfill_days`.
//!
//! Changes are made on copies and handed to the state store in one
//! transaction with the new watermark; only then do they replace the live
//! values, so a failed or interrupted run leaves no trace.

mod backfill;
pub mod gauges;
pub mod labels;

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::config::Settings;
use crate::engine::facts::TicketFacts;
use crate::engine::surveys::NpsClass;
use crate::engine::timeline::{Measure, Observation, Timeline};
use crate::metrics::{self, Buckets, Layout};
use crate::model::{
    EngagementResponse, Event, Instant, Relation, SurveyResponse, SurveyScore, Ticket,
};
use crate::model::{NONE, UNASSIGNED};
use crate::rejects::Rejects;
use crate::source::merge::{self, orphan_event};
use crate::source::{Rows, Source, SourceError};
use crate::state::requester::RequesterKey;
use crate::state::series::{Cumulative, Labels, SeriesKey};
use crate::state::{
    AnswerHorizon, AnswerRow, Commit, Loaded, Pending, StateError, StateStore, TicketRow, Watermark,
};
use crate::walk;
use labels::{CappedLabel, LabelFolder};

/// The longest KPI window; answers are remembered this long (plus margins).
pub const LONGEST_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(28);

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    State(#[from] StateError),
}

/// What the exporter holds in memory between runs.
#[derive(Debug, Clone)]
pub struct Live {
    pub cumulative: Cumulative,
    pub watermark: Option<Watermark>,
    pub labels: LabelFolder,
    /// State gauges of the last collection.
    pub gauges: Vec<(SeriesKey, f64)>,
    /// Windowed KPI gauges of the last `kpi` run.
    pub kpis: Vec<(SeriesKey, f64)>,
    /// The state store's open tickets as last committed, by id: read once,
    /// then kept up to date with each run's rows, so that the state gauges
    /// of a run do not re-read the whole backlog. `None` until read.
    pub open: Option<HashMap<String, gauges::OpenTicket>>,
    /// When `state.facts_retention` last emptied old facts (once a day).
    pub facts_pruned_at: Option<Instant>,
}

impl Live {
    pub fn from_loaded(loaded: Loaded, settings: &Settings) -> Live {
        Live {
            labels: LabelFolder::new(settings.labels, &loaded.label_values),
            cumulative: loaded.cumulative,
            watermark: loaded.watermark,
            gauges: Vec::new(),
            kpis: loaded.kpis,
            open: None,
            facts_pruned_at: None,
        }
    }
}

/// What one run did, for logs and self-metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub backfill: bool,
    /// Source rows read, by relation.
    pub rows_read: BTreeMap<Relation, u64>,
    /// Events in `(after, upto]`.
    pub new_events: u64,
    pub tickets_walked: usize,
    pub rows_rejected: u64,
    pub last_event_id: Option<i64>,
    /// Ids below the watermark not read yet (commit order), awaited.
    pub awaited_event_ids: u64,
}

/// What the stored series were counted under: the histogram buckets and,
/// for each SLO that pauses, what it pauses on. Pausing an SLO (or pausing
/// it on other statuses) changes what its breach counters mean and needs
/// the open tickets' clocks, so the state is recounted from the source.
/// The calendars count too: the stored business seconds were taken in them.
fn stored_layout(buckets: &Buckets, settings: &Settings) -> String {
    // `facts:1`: a store from before the ticket facts (issue 20) is counted
    // again, which fills every ticket's facts; `timeline:1` the same for
    // the stored timelines (`report --from-state`). Their business seconds
    // (and the business-time histograms') are taken in the calendars: an
    // edit of the hours counts everything again in the new ones.
    let mut layout = format!(
        "{};facts:1;timeline:1;calendars:{}",
        buckets.fingerprint(),
        settings.calendars.fingerprint()
    );
    // A MySQL store kept its keys PAD SPACE before migration 0011: two
    // tickets (or label values) differing only by trailing spaces may
    // share a row there, so such a store is counted again once.
    if crate::db::Dialect::of(&settings.state.url) == Some(crate::db::Dialect::MySql) {
        layout.push_str(";keys:nopad");
    }
    // The agent label adds a label to the ticket series: a new set.
    if settings.labels.agent {
        layout.push_str(";agent");
    }
    // A requester salt set, changed or removed gives every stored ticket
    // its requester hash under the new key (or takes it away): the digest
    // from the store compares them. The key shows as the hash of a fixed
    // text under it, which says nothing of the key.
    if let Some(key) = settings
        .state
        .requester_salt
        .as_ref()
        .and_then(crate::state::requester::RequesterKey::new)
    {
        let mark = key.hash("support-metrics stored layout");
        layout.push_str(&format!(";requester:{}", &mark[..8]));
    }
    let paused = || settings.slos.iter().filter(|s| !s.pause_on.is_empty());
    for slo in paused() {
        let statuses: Vec<&str> = slo.pause_on.iter().map(|s| s.as_str()).collect();
        layout.push_str(&format!(";pause:{}={}", slo.name, statuses.join("+")));
    }
    layout
}

/// The layout a store counted under `settings` carries: a reader of the
/// store (`report --from-state`) checks it before trusting the store.
pub fn layout(settings: &Settings) -> String {
    stored_layout(&Buckets::for_slos(&settings.slos), settings)
}

/// Runs one collection at wall-clock `now` and commits it.
pub async fn run(
    source: &Source,
    store: &StateStore,
    settings: &Settings,
    live: &mut Live,
    now: Instant,
) -> Result<Outcome, CollectError> {
    source.begin_job(now).await;
    let mut phases = Phases::start();
    let buckets = Buckets::for_slos(&settings.slos);
    let layout = stored_layout(&buckets, settings);
    if let Some(w) = &live.watermark
        && w.bucket_layout != layout
    {
        tracing::warn!(
            "histogram buckets, series labels or calendars changed (SLO targets, pauses or business hours edited, \
             or an upgrade): the stored series cannot be continued; starting over with a full backfill (Prometheus sees a counter reset)"
        );
        store.reset().await?;
        *live = Live::from_loaded(Loaded::default(), settings);
    }
    let prev = live.watermark.clone();
    let cumulative = live.cumulative.clone();
    phases.done("series copied");
    // Backfill limit: measurements before it are not counted.
    let counted_from = settings
        .source
        .backfill
        .filter(|_| prev.is_none())
        .and_then(|d| chrono::TimeDelta::from_std(d).ok())
        .map(|d| now - d);
    // Facts retention: done tickets solved before it keep no facts.
    let retained_from = settings
        .state
        .facts_retention
        .and_then(|d| chrono::TimeDelta::from_std(d).ok())
        .map(|d| now - d);
    let mut run = Run {
        settings,
        buckets: &buckets,
        cumulative,
        labels: live.labels.clone(),
        rejects: Rejects::default(),
        outcome: Outcome {
            backfill: prev.is_none(),
            ..Outcome::default()
        },
        counted_from,
        facts_from: counted_from.max(retained_from),
        phases,
        now,
        requester: settings
            .state
            .requester_salt
            .as_ref()
            .and_then(RequesterKey::new),
    };
    let upto = source.max_event_id().await?;
    let after = prev.as_ref().and_then(|w| w.last_event_id);
    let late = chrono::TimeDelta::from_std(settings.source.late_arrival).unwrap_or_default();
    let forget_answers_before = now - late - LONGEST_WINDOW - chrono::TimeDelta::days(1);
    let keep_answers = AnswerHorizon {
        answers: forget_answers_before,
        servqual: now - late - crate::engine::servqual::WINDOW - chrono::TimeDelta::days(1),
    };

    // Tickets, events and survey answers: walked and written.
    let (writer, tickets, mut answers, pending) = match &prev {
        None => {
            tracing::info!("first collection: backfilling the whole history");
            let mut writer = store.begin().await?;
            // The holes among the highest ids the backfill read: inserts
            // whose transactions were still open.
            let mut top =
                backfill::walk_all(source, &mut run, upto, &mut writer, keep_answers).await?;
            let pending = Pending::default().after_reads(&mut top, None, upto, now);
            (writer, Vec::new(), Vec::new(), pending)
        }
        Some(w) => {
            let (tickets, answers, pending) =
                incremental(source, store, &mut run, w, upto, late, now).await?;
            (store.begin().await?, tickets, answers, pending)
        }
    };
    run.outcome.awaited_event_ids = pending.ids();
    run.phases.done("tickets walked");

    // Engagement answers not counted yet.
    let answers_since = changed_since(prev.as_ref().and_then(|w| w.responses_since), late);
    let engagement = source
        .engagement_matching(&answers_since, &mut run.rejects)
        .await?;
    run.read(Relation::Engagement, engagement.len() as u64);
    // The staff (optional, small): read whole for the people gauges.
    let agents = source.agents(&mut run.rejects).await?;
    run.read(Relation::Agents, agents.as_ref().map_or(0, Vec::len) as u64);
    let counted = match &prev {
        // A backfill starts from an empty store: nothing is counted yet.
        None => HashSet::new(),
        Some(_) => {
            let ids: Vec<String> = engagement.iter().map(|e| e.id.clone()).collect();
            store.known_answers("engagement", &ids).await?
        }
    };
    for e in engagement {
        if counted.contains(&e.id) {
            continue;
        }
        run.engagement(&e);
        answers.push(engagement_row(&e));
    }

    // Rejections not counted by an earlier collection (a row re-read in
    // the late-arrival margin, a ticket walked again), then commit with
    // the new watermark.
    let rejected_rows = run.rejects.keys();
    if prev.is_some() {
        let counted = store.counted_rejections(&rejected_rows).await?;
        run.rejects.forget(&counted);
    }
    run.phases.done("engagement and rejections read");
    run.rejects.log();
    for r in run.rejects.summary() {
        run.cumulative.inc(
            &metrics::ROWS_REJECTED,
            &[
                ("relation", r.relation.to_string()),
                ("reason", r.reason.to_string()),
            ],
            r.count as f64,
        );
    }
    run.outcome.rows_rejected = run.rejects.total();
    // Never back: ids at or below it were read (or are awaited).
    let last_event_id = upto.max(after);
    run.outcome.last_event_id = last_event_id;
    let watermark = Watermark {
        last_event_id,
        tickets_since: Some(now),
        responses_since: Some(now),
        bucket_layout: layout,
        pending,
    };
    answers.retain(|a| keep_answers.keeps(a));
    let (counters, histograms) = run.cumulative.changed();
    let commit = Commit {
        watermark: watermark.clone(),
        counters,
        histograms,
        tickets,
        answers,
        label_values: run.labels.fresh().to_vec(),
        rejected_rows,
        forget_answers_before,
        forget_servqual_before: keep_answers.servqual,
        // Pruned once a day: the retention is counted in days, and a
        // daily scan needs no index that every collection would update.
        forget_facts_before: retained_from.filter(|_| {
            live.facts_pruned_at
                .is_none_or(|at| now - at >= chrono::TimeDelta::days(1))
        }),
        timelines_from: run.facts_from,
    };
    writer.finish(&commit).await?;
    if commit.forget_facts_before.is_some() {
        live.facts_pruned_at = Some(now);
    }
    run.phases.done("committed");
    let tickets = commit.tickets;
    run.cumulative.mark_saved();
    run.labels.mark_saved();
    let outcome = run.outcome;
    let mut phases = run.phases;
    live.cumulative = run.cumulative;
    live.labels = run.labels;
    live.watermark = Some(watermark);

    // State gauges from the open tickets as committed. A backfill wrote its
    // rows as it went: they are read back once.
    let open = match live.open.as_mut() {
        Some(open) if !outcome.backfill => {
            for t in tickets {
                match gauges::OpenTicket::from_walked(&t).filter(|_| t.is_open) {
                    Some(view) => open.insert(t.id, view),
                    None => open.remove(&t.id),
                };
            }
            open
        }
        _ => {
            let rows = store.open_tickets().await?;
            live.open.insert(
                rows.into_iter()
                    .filter_map(|(t, breached)| {
                        Some((t.id.clone(), gauges::OpenTicket::from_row(&t, breached)?))
                    })
                    .collect(),
            )
        }
    };
    let mut breaches = Vec::new();
    live.gauges = gauges::state_gauges(
        open.values(),
        settings,
        &mut live.labels,
        now,
        &mut breaches,
    );
    if let Some(agents) = &agents {
        live.gauges.extend(gauges::people_gauges(
            agents,
            now,
            settings.timezone,
            &mut live.labels,
        ));
    }
    phases.done("state gauges");
    // Running clocks that passed their target since the tickets were last
    // walked: their facts say so now (a ticket's breach is not a counter,
    // so this small write need not join the collection's transaction; one
    // that fails is found again by the next collection).
    if !breaches.is_empty() {
        match store.refresh_breaches(&breaches, now).await {
            Ok(()) => {
                for (id, breached) in breaches {
                    if let Some(t) = open.get_mut(&id) {
                        t.set_breached(breached);
                    }
                }
            }
            // The collection itself is committed: its outcome stands.
            Err(e) => tracing::warn!(
                tickets = breaches.len(),
                "could not save the tickets' running SLO breaches (tried again next collection): {e}"
            ),
        }
        phases.done("running breaches saved");
    }
    Ok(outcome)
}

/// Where a collection spends its time: each phase's milliseconds, logged
/// at debug level (`RUST_LOG=support_metrics::collect=debug`).
struct Phases(std::time::Instant);

impl Phases {
    fn start() -> Phases {
        Phases(std::time::Instant::now())
    }

    fn done(&mut self, phase: &'static str) {
        let now = std::time::Instant::now();
        let ms = (now - self.0).as_secs_f64() * 1e3;
        tracing::debug!(phase, ms = format!("{ms:.1}"), "collect: phase done");
        self.0 = now;
    }
}

/// Rows changed at or after `since` less the late-arrival margin; all of
/// them before the first collection.
fn changed_since(since: Option<Instant>, late: chrono::TimeDelta) -> Rows<'static> {
    since.map_or(Rows::All, |t| Rows::ChangedSince(t - late))
}

/// An incremental run: the tickets touched since the watermark (changed
/// rows, new events, new survey answers) walked again, returning their rows
/// and the answers to remember.
async fn incremental(
    source: &Source,
    store: &StateStore,
    run: &mut Run<'_>,
    prev: &Watermark,
    upto: Option<i64>,
    late: chrono::TimeDelta,
    now: Instant,
) -> Result<(Vec<TicketRow>, Vec<AnswerRow>, Pending), CollectError> {
    let after = prev.last_event_id;
    // 1. What changed: tickets, new events, new answers.
    let mut tickets = source
        .tickets_matching(&changed_since(prev.tickets_since, late), &mut run.rejects)
        .await?;
    run.read(Relation::Tickets, tickets.len() as u64);
    // New events: above the watermark, and those awaited below it (see
    // `state::pending`). Every row these reads return is new: its
    // rejection, if any, is counted now and never again.
    let mut awaited = prev.pending.clone();
    let given_up = awaited.expire(now - late);
    if given_up > 0 {
        tracing::info!(
            ids = given_up,
            "event ids missing for longer than source.late_arrival are taken for rolled-back inserts"
        );
    }
    let top = upto.filter(|u| after.is_none_or(|a| a < *u));
    let ranges: Vec<(i64, i64)> = awaited.ranges().iter().map(|r| (r.lo, r.hi)).collect();
    let reads = [
        top.map(|upto| Rows::EventIds { after, upto }),
        (!ranges.is_empty()).then_some(Rows::EventIdRanges(&ranges)),
    ];
    let mut fresh: HashSet<i64> = HashSet::new();
    let mut seen: Vec<i64> = Vec::new();
    let mut with_news: HashSet<String> = HashSet::new();
    for rows in reads.iter().flatten() {
        let n = source
            .events_matching(rows, &mut run.rejects, &mut seen, |e| {
                fresh.insert(e.id);
                with_news.insert(e.ticket_id);
            })
            .await?;
        run.read(Relation::Events, n);
    }
    run.outcome.new_events = fresh.len() as u64;
    let pending = awaited.after_reads(&mut seen, after, top, now);
    let surveys = source
        .surveys_matching(&changed_since(prev.responses_since, late), &mut run.rejects)
        .await?;
    run.read(Relation::Surveys, surveys.len() as u64);
    let survey_ids: Vec<String> = surveys.iter().map(|s| s.id.clone()).collect();
    let counted_surveys = store.known_answers("surveys", &survey_ids).await?;
    let mut new_surveys: HashMap<Option<String>, Vec<SurveyResponse>> = HashMap::new();
    for s in surveys {
        if !counted_surveys.contains(&s.id) {
            new_surveys.entry(s.ticket_id.clone()).or_default().push(s);
        }
    }
    with_news.extend(new_surveys.keys().flatten().cloned());
    run.phases.done("changes read");

    // 2. The tickets to walk, with their rows. A ticket re-read only because
    // its row changed within the late-arrival margin, whose row is the one
    // it was last walked with and which has no new events or answers, has
    // nothing new to count: it is not walked again.
    let mut candidates: HashSet<String> = tickets.keys().cloned().collect();
    candidates.extend(with_news.iter().cloned());
    let ids: Vec<String> = candidates.iter().cloned().collect();
    let known = store.known_tickets(&ids).await?;
    let touched: HashSet<String> = candidates
        .into_iter()
        .filter(|id| {
            with_news.contains(id)
                || match (tickets.get(id), known.get(id)) {
                    (Some(t), Some(walked_with)) => *walked_with != t.updated_at,
                    _ => true,
                }
        })
        .collect();
    tickets.retain(|id, _| touched.contains(id));
    let missing: Vec<String> = touched
        .iter()
        .filter(|id| !tickets.contains_key(*id))
        .cloned()
        .collect();
    if !missing.is_empty() {
        // Rows read again to walk them: a rejection counted before is
        // known by its row (see `rejects`), and not counted again.
        let mut again = Rejects::default();
        let more = source
            .tickets_matching(&Rows::OfTickets(&missing), &mut again)
            .await?;
        run.rejects.absorb(again);
        run.read(Relation::Tickets, more.len() as u64);
        // Only the ids asked for: a collation may match others too.
        tickets.extend(more.into_iter().filter(|(id, _)| touched.contains(id)));
    }
    let ids: Vec<String> = touched.iter().cloned().collect();
    run.phases.done("touched tickets chosen");

    // 3. Walk every touched ticket's history up to `upto`; count what is
    // new (everything, for a ticket the store has never seen).
    let mut ticket_rows = Vec::new();
    let mut answers = Vec::new();
    let mut walked: HashSet<String> = HashSet::new();
    let walk_upto = upto.max(after).unwrap_or(0);
    let mut walk = |run: &mut Run<'_>, ticket: &Ticket, events| {
        let is_new = !known.contains_key(&ticket.id);
        let surveys = new_surveys
            .remove(&Some(ticket.id.clone()))
            .unwrap_or_default();
        let window = if is_new {
            EventWindow::Whole {
                upto: walk_upto,
                awaited: &pending,
            }
        } else {
            EventWindow::Fresh(&fresh)
        };
        run_ticket(
            run,
            ticket,
            events,
            is_new,
            window,
            &surveys,
            &mut ticket_rows,
            &mut answers,
        );
    };
    if upto.max(after).is_some() {
        // Every event of the ticket, also those above `upto` (committed
        // since `upto` was read): a transaction that wrote a ticket with
        // two events may have taken ids on both sides of `upto`, and the
        // ticket's creation (its team) is judged by all of them. What they
        // complete is counted when a later read of new events returns them.
        let rows = Rows::OfTickets(&ids);
        // The ticket's events read again: a row rejected before is known
        // by its row and not counted again; one never read by id (a NULL
        // or non-integer id) is counted here, once.
        let mut again = Rejects::default();
        let mut orphans: Vec<Event> = Vec::new();
        // Grouped as every reader groups them (byte order, checked): under a
        // case- or pad-insensitive collation `IN` also returns the events
        // of ids equal to these in the collation, which are other tickets.
        let mut groups = merge::EventsByTicket::open(source, &rows);
        while let Some((ticket_id, events)) = groups.next(&mut again).await? {
            match tickets.get(&ticket_id) {
                Some(ticket) => {
                    walked.insert(ticket_id);
                    walk(run, ticket, events);
                }
                None => orphans.extend(events),
            }
        }
        run.rejects.absorb(again);
        run.read(Relation::Events, groups.read());
        // Events of tickets the source does not have (counted once: when new).
        for e in orphans.into_iter().filter(|e| fresh.contains(&e.id)) {
            orphan_event(e, &mut run.rejects);
        }
    }
    // Touched tickets without any event (up to `upto`).
    for id in touched.iter().filter(|id| !walked.contains(*id)) {
        if let Some(ticket) = tickets.get(id) {
            walk(run, ticket, Vec::new());
        }
    }
    run.outcome.tickets_walked = ticket_rows.len();

    // 4. Answers without a (usable) ticket.
    for (ticket_id, surveys) in new_surveys {
        for s in surveys {
            match &ticket_id {
                None => relationship_survey(run, &s, &mut answers),
                // Every ticket in the source was walked with its surveys:
                // what is left points at a ticket the source does not have.
                Some(id) => orphan_survey(run, &s, id, &mut answers),
            }
        }
    }
    Ok((ticket_rows, answers, pending))
}

/// A survey answer about no ticket (a relationship survey): counted.
fn relationship_survey(run: &mut Run<'_>, s: &SurveyResponse, answers: &mut Vec<AnswerRow>) {
    run.survey(None, None, None, s);
    answers.push(answer_row(s, None));
}

/// A survey answer about a ticket the source does not have: rejected, and
/// remembered so that a re-read is not reported again.
fn orphan_survey(
    run: &mut Run<'_>,
    s: &SurveyResponse,
    ticket_id: &str,
    answers: &mut Vec<AnswerRow>,
) {
    merge::orphan_survey(s, ticket_id, &mut run.rejects);
    answers.push(AnswerRow {
        question: "_skipped".into(),
        ..answer_row(s, None)
    });
}

/// Which of a ticket's events count in this run.
#[derive(Debug, Clone, Copy)]
enum EventWindow<'a> {
    /// A ticket counted for the first time: its creation and every event up
    /// to `upto`, except those still awaited (read after this run's reads
    /// of new events: they are counted when those reads see them).
    Whole { upto: i64, awaited: &'a Pending },
    /// A ticket counted before: only the events this run's reads of new
    /// events returned (above the watermark, or awaited and now arrived).
    Fresh(&'a HashSet<i64>),
}

impl EventWindow<'_> {
    fn counts(&self, event_id: i64) -> bool {
        match self {
            EventWindow::Whole { upto, awaited } => {
                event_id <= *upto && !awaited.contains(event_id)
            }
            EventWindow::Fresh(ids) => ids.contains(&event_id),
        }
    }

    fn contains(&self, obs: &Observation) -> bool {
        match obs.event_id {
            Some(id) => self.counts(id),
            // The creation: counted with a ticket seen for the first time.
            None => matches!(self, EventWindow::Whole { .. }),
        }
    }
}

/// One run's working copies.
struct Run<'a> {
    settings: &'a Settings,
    buckets: &'a Buckets,
    cumulative: Cumulative,
    labels: LabelFolder,
    rejects: Rejects,
    outcome: Outcome,
    /// Backfill limit: measurements before this are not counted.
    counted_from: Option<Instant>,
    phases: Phases,
    /// The collection's `now`: the ticket facts' active breaches and time.
    now: Instant,
    requester: Option<RequesterKey>,
    /// Done tickets settled before this keep no facts: before the backfill
    /// limit (the counters hold nothing of them) or the facts retention.
    facts_from: Option<Instant>,
}

impl Run<'_> {
    fn read(&mut self, r: Relation, n: u64) {
        *self.outcome.rows_read.entry(r).or_default() += n;
    }

    fn team_label(&mut self, team: Option<&str>) -> String {
        self.labels
            .fold(CappedLabel::Team, team.unwrap_or(UNASSIGNED))
    }

    fn ticket_labels(
        &mut self,
        ticket: &Ticket,
        team: Option<&str>,
        agent: Option<&str>,
    ) -> Labels {
        let mut labels = vec![
            ("team", self.team_label(team)),
            (
                "channel",
                self.labels.fold(CappedLabel::Channel, &ticket.channel),
            ),
            ("priority", ticket.priority.as_str().to_string()),
        ];
        self.push_agent(&mut labels, agent);
        labels
    }

    /// The `agent` label, with `labels.agent = true` only.
    fn push_agent(&mut self, labels: &mut Labels, agent: Option<&str>) {
        self.push_agent_or(labels, agent, UNASSIGNED);
    }

    /// The `agent` label, `none_value` when no agent holds it.
    fn push_agent_or(&mut self, labels: &mut Labels, agent: Option<&str>, none_value: &str) {
        if self.settings.labels.agent {
            let value = self
                .labels
                .fold(CappedLabel::Agent, agent.unwrap_or(none_value));
            labels.push(("agent", value));
        }
    }

    fn counted(&self, at: Instant) -> bool {
        self.counted_from.is_none_or(|from| at >= from)
    }

    fn observe(&mut self, ticket: &Ticket, obs: &Observation) {
        if !self.counted(obs.at) {
            return;
        }
        let labels = &self.ticket_labels(ticket, obs.team.as_deref(), obs.agent.as_deref());
        let secs = self.buckets.bounds(Layout::Seconds);
        let counts = self.buckets.bounds(Layout::Count);
        let c = &mut self.cumulative;
        match obs.measure {
            Measure::Created => c.inc(&metrics::CREATED, labels, 1.0),
            // Tracked by `report`; no series in DESIGN.md §4.
            Measure::FirstAcknowledgement(_) => {}
            Measure::FirstResponse(e, _) => {
                c.observe(&metrics::FIRST_RESPONSE, labels, secs, e.calendar.0);
                c.observe(
                    &metrics::FIRST_RESPONSE_BUSINESS,
                    labels,
                    secs,
                    e.business.0,
                );
            }
            Measure::FirstResolution(e, _) => {
                c.observe(&metrics::FIRST_RESOLUTION, labels, secs, e.calendar.0)
            }
            Measure::Solve(s) => {
                c.inc(&metrics::SOLVED, labels, 1.0);
                c.observe(
                    &metrics::FULL_RESOLUTION,
                    labels,
                    secs,
                    s.full_resolution.calendar.0,
                );
                c.observe(
                    &metrics::INTERACTIONS,
                    labels,
                    counts,
                    f64::from(s.interactions),
                );
                c.observe(&metrics::REPLIES, labels, counts, f64::from(s.replies));
                let t = &s.status_times;
                for (family, v) in [
                    (&metrics::REQUESTER_WAIT, t.requester_wait.calendar),
                    (&metrics::REQUESTER_WAIT_BUSINESS, t.requester_wait.business),
                    (&metrics::AGENT_WAIT, t.agent_wait.calendar),
                    (&metrics::ON_HOLD, t.on_hold.calendar),
                    (&metrics::AGENT_WORK, t.agent_work.calendar),
                ] {
                    c.observe(family, labels, secs, v.0);
                }
                if s.one_touch() {
                    c.inc(&metrics::ONE_TOUCH, labels, 1.0);
                }
            }
            Measure::Reopen => c.inc(&metrics::REOPENED, labels, 1.0),
            Measure::Reroute => c.inc(&metrics::REROUTES, labels, 1.0),
            Measure::Reassignment => c.inc(&metrics::REASSIGNMENTS, labels, 1.0),
            Measure::CustomerConfirmed => c.inc(&metrics::CUSTOMER_CONFIRMED, labels, 1.0),
            Measure::Reply(e) => {
                c.observe(&metrics::REPLY, labels, secs, e.calendar.0);
                c.observe(&metrics::REPLY_BUSINESS, labels, secs, e.business.0);
            }
        }
        // The SLO series carry the team at the measurement (folded as on
        // every other series), so that an SLO alert routes to its team.
        let team = labels[0].1.clone();
        for slo in &self.settings.slos {
            if let Some(breached) = slo.judge(ticket, obs) {
                let l = &[("slo", slo.name.clone()), ("team", team.clone())];
                c.inc(&metrics::SLO_MEASURED, l, 1.0);
                c.inc(&metrics::SLO_BREACHES, l, if breached { 1.0 } else { 0.0 });
            }
        }
    }

    /// A survey answer; `ticket` is `None` for relationship surveys.
    fn survey(
        &mut self,
        ticket: Option<&Ticket>,
        team: Option<&str>,
        agent: Option<&str>,
        s: &SurveyResponse,
    ) {
        if !self.counted(s.responded_at) {
            return;
        }
        // No ticket (a relationship survey): agent `none`, as in `report --by agent`.
        let no_agent = if ticket.is_some() { UNASSIGNED } else { NONE };
        // Labels are folded only for the series that carry them: a value
        // admitted under the cap is one that is exposed.
        let (family, labels) = match s.score {
            SurveyScore::Csat(v) => {
                let channel = match ticket {
                    Some(t) => self.labels.fold(CappedLabel::Channel, &t.channel),
                    None => NONE.to_string(),
                };
                let mut labels = vec![
                    ("team", self.team_label(team)),
                    ("channel", channel),
                    ("score", v.to_string()),
                ];
                self.push_agent_or(&mut labels, agent, no_agent);
                (&metrics::CSAT, labels)
            }
            SurveyScore::Nps(v) => (
                &metrics::NPS,
                vec![("score_class", NpsClass::of(v).as_str().to_string())],
            ),
            SurveyScore::Ces(v) => {
                let mut labels = vec![("team", self.team_label(team)), ("score", v.to_string())];
                self.push_agent_or(&mut labels, agent, no_agent);
                (&metrics::CES, labels)
            }
            SurveyScore::Servqual {
                side,
                dimension,
                score,
                ..
            } => (
                &metrics::SERVQUAL,
                vec![
                    ("dimension", dimension.as_str().to_string()),
                    ("kind", side.as_str().to_string()),
                    ("score", score.to_string()),
                ],
            ),
        };
        self.cumulative.inc(family, &labels, 1.0);
    }

    fn engagement(&mut self, e: &EngagementResponse) {
        if !self.counted(e.responded_at) {
            return;
        }
        let team = self.labels.fold(CappedLabel::Team, &e.team);
        let (question, score) = e.answer.parts();
        // Item codes are the survey's own text: bounded like teams.
        let question = self.labels.fold(CappedLabel::Question, question);
        self.cumulative.inc(
            &metrics::ENGAGEMENT,
            &[
                ("team", team),
                ("question", question),
                ("score", score.to_string()),
            ],
            1.0,
        );
    }
}

/// Walks one ticket and counts what `window` holds.
#[allow(clippy::too_many_arguments)]
fn run_ticket(
    run: &mut Run<'_>,
    ticket: &Ticket,
    events: Vec<crate::model::Event>,
    is_new: bool,
    window: EventWindow<'_>,
    surveys: &[SurveyResponse],
    ticket_rows: &mut Vec<TicketRow>,
    answers: &mut Vec<AnswerRow>,
) {
    let counts = |e: &Event| window.counts(e.id);
    let calendars = &run.settings.calendars;
    let last_event_at = events.iter().map(|e| e.occurred_at).max();
    let Some(tl) = walk::ticket(ticket, events, calendars, counts, &mut run.rejects) else {
        // Deleted and spam tickets are ignored everywhere; one counted
        // before it was marked leaves the backlog.
        if !is_new {
            ticket_rows.push(ignored_row(ticket));
        }
        for s in surveys {
            answers.push(AnswerRow {
                question: "_skipped".into(),
                ..answer_row(s, None)
            });
        }
        return;
    };
    for obs in tl.observations.iter().filter(|o| window.contains(o)) {
        run.observe(ticket, obs);
    }
    for s in surveys {
        let team = tl.team_at(s.responded_at);
        run.survey(Some(ticket), team, tl.agent_at(s.responded_at), s);
        answers.push(answer_row(s, team));
    }
    let facts = TicketFacts::of(ticket, &tl, surveys, &run.settings.slos, calendars, run.now);
    let mut row = ticket_row(ticket, &tl, facts);
    row.last_event_at = last_event_at;
    // A recount or a backfill walks every ticket again: one done before
    // the horizon gets no facts back (retention counts from its last event
    // or solve, not from the last write: a period that reads the store
    // needs every ticket with an event in it).
    let settled = last_event_at.or(row.facts.as_ref().and_then(|f| f.solved_at));
    if !row.is_open
        && run
            .facts_from
            .is_some_and(|from| settled.unwrap_or(ticket.created_at) < from)
    {
        row.facts = None;
        (row.last_event_at, row.timeline) = (None, None);
    }
    // The requester's hash is a fact: it goes with them.
    row.requester_hash = row
        .facts
        .as_ref()
        .and(run.requester.as_ref())
        .map(|k| k.hash(&ticket.requester_id));
    ticket_rows.push(row);
}

fn ticket_row(ticket: &Ticket, tl: &Timeline, facts: TicketFacts) -> TicketRow {
    let first_response_seconds = facts.first_response.map(|e| e.calendar.0);
    let is_open = !tl.state.status.is_done();
    // Only open tickets can breach actively: done ones keep no clocks.
    let clocks = tl
        .state
        .clocks
        .as_ref()
        .filter(|_| is_open)
        .map(|c| c.saved());
    TicketRow {
        team: tl.state.team.clone(),
        status: tl.state.status.as_str().to_string(),
        is_open,
        status_since: clocks.map(|(since, _)| since),
        status_seconds: clocks.map(|(_, totals)| totals.encode()),
        first_response_at: tl.state.first_response_at,
        first_response_seconds,
        first_resolution_at: tl.state.first_resolution_at,
        facts: Some(Box::new(facts)),
        timeline: Some(crate::state::timeline::encode(tl, ticket.created_at)),
        ..ignored_row(ticket)
    }
}

/// The row of a deleted or spam ticket: out of the backlog, nothing measured.
fn ignored_row(ticket: &Ticket) -> TicketRow {
    TicketRow {
        id: ticket.id.clone(),
        created_at: ticket.created_at,
        created_by: ticket.created_by.as_str().to_string(),
        priority: ticket.priority.as_str().to_string(),
        channel: ticket.channel.clone(),
        team: None,
        status: ticket.status.as_str().to_string(),
        is_open: false,
        first_response_at: None,
        first_response_seconds: None,
        first_resolution_at: None,
        source_updated_at: ticket.updated_at,
        status_since: None,
        status_seconds: None,
        facts: None,
        requester_hash: None,
        last_event_at: None,
        timeline: None,
    }
}

fn answer_row(s: &SurveyResponse, team: Option<&str>) -> AnswerRow {
    AnswerRow {
        relation: "surveys",
        id: s.id.clone(),
        responded_at: s.responded_at,
        team: team.map(str::to_string),
        question: match s.score {
            SurveyScore::Servqual {
                side, dimension, ..
            } => crate::state::servqual_question(side, dimension),
            other => other.kind_str().to_string(),
        },
        score: i64::from(s.score.value()),
    }
}

fn engagement_row(e: &EngagementResponse) -> AnswerRow {
    let (question, score) = e.answer.parts();
    AnswerRow {
        relation: "engagement",
        id: e.id.clone(),
        responded_at: e.responded_at,
        team: Some(e.team.clone()),
        question: question.to_string(),
        score: i64::from(score),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::calendar::{Calendar, Calendars, WeeklyHours};
    use crate::engine::slo::{Objective, Slo, SloClock, SloMetric};
    use crate::model::{Seconds, Status};

    /// Pausing an SLO changes what the stored layout is, so the state is
    /// recounted; an SLO that does not pause leaves the layout as it was.
    #[test]
    fn pausing_an_slo_changes_the_stored_layout() {
        let slo = |pause_on: Vec<Status>| Slo {
            name: "res".into(),
            metric: SloMetric::Resolution,
            clock: SloClock::Calendar,
            target: Seconds(86_400.0),
            objective: Objective::DEFAULT,
            priorities: vec![],
            team: None,
            channel: None,
            pause_on,
        };
        let layout = |s: Slo, calendars: Calendars| {
            let settings = Settings {
                slos: vec![s],
                calendars,
                ..Settings::default()
            };
            stored_layout(&Buckets::for_slos(&settings.slos), &settings)
        };
        let always = Calendars::default;
        let plain = layout(slo(vec![]), always());
        // A store from before the ticket facts or the stored timelines is
        // counted again (it has none).
        let buckets = Buckets::for_slos(&[slo(vec![])]).fingerprint();
        let calendars = always().fingerprint();
        assert_eq!(
            plain,
            format!("{buckets};facts:1;timeline:1;calendars:{calendars}")
        );
        // A MySQL store (PAD SPACE keys before migration 0011) is counted
        // again once; the others are not.
        let in_mysql = |url: &str| {
            let mut settings = Settings {
                slos: vec![slo(vec![])],
                ..Settings::default()
            };
            settings.state.url = url.into();
            stored_layout(&Buckets::for_slos(&settings.slos), &settings)
        };
        assert_eq!(
            in_mysql("mysql://root@localhost/state"),
            format!("{plain};keys:nopad")
        );
        assert_eq!(in_mysql("postgres://localhost/state"), plain);
        let pending = layout(slo(vec![Status::Pending]), always());
        let both = layout(slo(vec![Status::Pending, Status::OnHold]), always());
        assert_ne!(plain, pending);
        assert_ne!(pending, both);
        assert!(both.ends_with(";pause:res=pending+on_hold"), "{both}");

        // A calendar edit changes the layout: the stored timelines' business
        // seconds were taken in the old hours.
        let paris = || {
            let mut days: [Vec<_>; 7] = Default::default();
            days[0] = crate::engine::calendar::parse_day_hours("09:00-17:00").expect("hours");
            Calendars::new(
                Calendar::Hours(WeeklyHours {
                    timezone: chrono_tz::Europe::Paris,
                    days,
                    holidays: Default::default(),
                }),
                Default::default(),
            )
        };
        let business = |c| {
            layout(
                Slo {
                    clock: SloClock::Business,
                    ..slo(vec![Status::Pending])
                },
                c,
            )
        };
        assert_ne!(business(always()), business(paris()));
        assert_eq!(business(paris()), business(paris()));
        assert_ne!(layout(slo(vec![]), paris()), plain);
        assert_eq!(layout(slo(vec![]), paris()), layout(slo(vec![]), paris()));
    }
}
