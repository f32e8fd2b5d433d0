//! The week's analysis: headline KPIs against the previous week and the
//! four weeks before, one row per SLO, and the systemic issues behind them.
//!
//! Pure: facts and report metrics in, findings out.
//!
//! **Counting.** A team's digest counts the tickets that *reached* the
//! team (first or after a transfer), everywhere: the headline (through
//! `Aggregator::by_teams_reached`), the SLO rows and every issue (through
//! the facts' `teams`), so one concept has one count.
//!
//! **The test.** Every finding is a count `k` out of `n` (tickets created,
//! solves re-routed, unsatisfied answers, reopened tickets, SLOs breached)
//! compared, with an exact one-sided binomial test, with what is usual:
//! - volume: this week's tickets of a category against the category's own
//!   four-week baseline, conditioned on the total (`k ~ Bin(k + b, 1/5)`:
//!   under no change, each of the five weeks is equally likely to hold a
//!   ticket — the exact test for two Poisson rates);
//! - CSAT, re-routes, reopens, repeat contacts (flagged once per scan by
//!   `Facts::mark_repeat_contacts`): like with like, the category's week
//!   against **the category's own** four-week rate in this scope, smoothed
//!   toward the scope's rate for small counts
//!   (`(x + M·p_scope) / (n + M)`, `M` = [`PRIOR_WEIGHT`]). A category that
//!   is not worse than its own usual but has been at least `min_rise` times
//!   the scope's rate in **every** baseline week (and is significantly
//!   above it this week) is a **persistent** pattern: reported once as
//!   such (a routing rule to fix), never as a new spike;
//! - an SLO: its breaches against its error budget (`1 − objective`); an
//!   SLO below its objective in every baseline week too is persistent;
//! - SLO breach hours: a three-hour block of the week (by the hour tickets
//!   arrived, in the organisation's time zone) against the rest of the week.
//!
//! A test is only run when its count reaches `min_count` (`min_responses`
//! for CSAT), so small numbers raise nothing, and its p-value must beat
//! `alpha` divided by the number of tests run for the scope (Bonferroni),
//! so a quiet week with dozens of comparisons stays quiet. Rates are
//! Laplace-smoothed ((x + 1) / (n + 2)) so a rate never seen before is not
//! a certainty.
//!
//! **One story per cause.** The findings about one category are one issue
//! with several facets (volume, misrouting, CSAT, reopens, repeat
//! contacts), ranked by the people affected: the largest **excess** among
//! its facets, the tickets, customers or answers beyond what the usual
//! predicts (the facets overlap, so they are not added).

use std::collections::BTreeMap;

use chrono::{Datelike, Timelike};
use chrono_tz::Tz;
use serde::Serialize;

use crate::digest::facts::{Comment, Facts, Judgment, Solve};
use crate::digest::significance::{normal_upper_tail, upper_tail};
use crate::engine::servqual::ServqualTally;
use crate::engine::slo::Slo;
use crate::model::Status;
use crate::model::{Period, ServqualDimension};
use crate::report::Metrics;

/// Whose digest: one team's, or everything.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    All,
    Team(String),
}

impl Scope {
    pub fn team(&self) -> Option<&str> {
        match self {
            Scope::All => None,
            Scope::Team(t) => Some(t),
        }
    }

    /// A ticket counts in the volume of every team it reached.
    pub(crate) fn holds_created(&self, c: &crate::digest::facts::Created) -> bool {
        self.team()
            .is_none_or(|t| &*c.team == t || c.teams.iter().any(|r| &**r == t))
    }

    /// A solve belongs to every team its ticket went through.
    fn holds_solve(&self, s: &Solve) -> bool {
        self.team()
            .is_none_or(|t| &*s.team == t || s.route.iter().any(|r| &**r == t))
    }

    /// A record tagged with the teams its ticket had reached.
    fn holds_any(&self, teams: &[crate::digest::facts::Name]) -> bool {
        self.team().is_none_or(|t| teams.iter().any(|r| &**r == t))
    }

    /// The name used in file names and the digest log: the team, or `all`.
    pub fn key(&self) -> &str {
        self.team().unwrap_or(ALL)
    }
}

/// The key of the all-teams digest.
pub const ALL: &str = "all";

pub use crate::config::Thresholds;

/// The analysed week, its predecessor and the four weeks before it.
#[derive(Debug, Clone, Copy)]
pub struct Weeks {
    pub week: Period,
    pub previous: Period,
    /// The four weeks before `week` (so `previous` is its last).
    pub baseline: Period,
    /// The same four weeks one by one, oldest first: a pattern in each of
    /// them is persistent.
    pub each: [Period; BASELINE_WEEKS as usize],
}

pub const BASELINE_WEEKS: u32 = 4;

/// Pseudo-trials at the scope's rate added to a category's own baseline:
/// a category with 3 solves in four weeks is judged mostly against the
/// scope, one with 300 against itself.
pub const PRIOR_WEIGHT: f64 = 10.0;

// ------------------------------------------------------------ headline

/// A headline figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiKey {
    Volume,
    FirstResponseP50,
    FirstResponseP90,
    ResolutionP50,
    ResolutionP90,
    Csat,
    Nps,
    Ces,
    ReopenRate,
    RerouteRate,
}

/// Which way is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
    /// Volume: neither more nor fewer tickets is good in itself.
    Neither,
}

impl KpiKey {
    pub fn better(self) -> Better {
        match self {
            KpiKey::Volume => Better::Neither,
            KpiKey::Csat | KpiKey::Nps => Better::Higher,
            _ => Better::Lower,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    pub key: KpiKey,
    pub week: Option<f64>,
    pub previous: Option<f64>,
    /// A week's worth of the baseline: volume is the weekly mean; the rest
    /// are measured over the four weeks pooled.
    pub baseline: Option<f64>,
}

impl Kpi {
    /// `Some(true)` when the week is better than the baseline, `Some(false)`
    /// when worse, `None` when equal, unknown or neither.
    pub fn improved(&self) -> Option<bool> {
        let (w, b) = (self.week?, self.baseline?);
        match self.key.better() {
            _ if (w - b).abs() < f64::EPSILON => None,
            Better::Higher => Some(w > b),
            Better::Lower => Some(w < b),
            Better::Neither => None,
        }
    }
}

/// The headline KPIs of one scope from its metrics in each period.
pub fn headline(week: &Metrics, previous: &Metrics, baseline: &Metrics) -> Vec<Kpi> {
    let keys = [
        KpiKey::Volume,
        KpiKey::FirstResponseP50,
        KpiKey::FirstResponseP90,
        KpiKey::ResolutionP50,
        KpiKey::ResolutionP90,
        KpiKey::Csat,
        KpiKey::Nps,
        KpiKey::Ces,
        KpiKey::ReopenRate,
        KpiKey::RerouteRate,
    ];
    keys.into_iter()
        .map(|key| Kpi {
            key,
            week: value(key, week),
            previous: value(key, previous),
            baseline: match key {
                KpiKey::Volume => Some(baseline.tickets_created as f64 / f64::from(BASELINE_WEEKS)),
                _ => value(key, baseline),
            },
        })
        .collect()
}

pub fn value(key: KpiKey, m: &Metrics) -> Option<f64> {
    match key {
        KpiKey::Volume => Some(m.tickets_created as f64),
        KpiKey::FirstResponseP50 => m.first_response_business_seconds.p50,
        KpiKey::FirstResponseP90 => m.first_response_business_seconds.p90,
        KpiKey::ResolutionP50 => m.first_resolution_seconds.p50,
        KpiKey::ResolutionP90 => m.first_resolution_seconds.p90,
        KpiKey::Csat => m.csat.ratio,
        KpiKey::Nps => m.nps.score,
        KpiKey::Ces => m.ces.mean,
        KpiKey::ReopenRate => m.reopens.rate,
        KpiKey::RerouteRate => m.reroutes.rate,
    }
}

/// One SLO in one scope: the row of the digest's SLO table.
#[derive(Debug, Clone, PartialEq)]
pub struct SloRow {
    /// Index into the configured SLOs.
    pub slo: usize,
    pub name: String,
    /// What it promises: the measure, its target and clock, its channel.
    pub metric: crate::engine::slo::SloMetric,
    pub target: crate::model::Seconds,
    pub calendar: bool,
    pub channel: Option<String>,
    /// Statuses its clock pauses in.
    pub pause_on: Vec<crate::model::Status>,
    pub objective: f64,
    /// Tickets judged this week and how many breached.
    pub measured: u64,
    pub breached: u64,
    pub week: Option<f64>,
    /// The four weeks before, pooled.
    pub usual: Option<f64>,
    /// Open tickets past the target at the week's end.
    pub active_breaches: u64,
}

/// The SLO rows of a scope: every SLO judged in the five weeks or with an
/// active breach; the others do not apply to the scope.
pub fn slo_rows(slos: &[Slo], week: &Metrics, baseline: &Metrics) -> Vec<SloRow> {
    slos.iter()
        .enumerate()
        .filter_map(|(i, slo)| {
            let w = week.slo.get(i)?;
            let b = baseline.slo.get(i);
            let any = w.measured > 0 || w.active_breaches > 0 || b.is_some_and(|b| b.measured > 0);
            any.then(|| SloRow {
                slo: i,
                name: slo.name.clone(),
                metric: slo.metric,
                target: slo.target,
                calendar: slo.clock == crate::engine::slo::SloClock::Calendar,
                channel: slo.channel.clone(),
                pause_on: slo.pause_on.clone(),
                objective: slo.objective.ratio(),
                measured: w.measured,
                breached: w.breached,
                week: w.attainment,
                usual: b.and_then(|b| b.attainment),
                active_breaches: w.active_breaches,
            })
        })
        .collect()
}

// -------------------------------------------------------------- issues

/// What one facet of an issue measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FacetKind {
    /// A category's volume rose over its baseline.
    Volume,
    /// Unsatisfied CSAT answers.
    LowCsat,
    /// Solved tickets that had been re-routed on the way.
    Reroutes,
    /// Tickets that came back after being solved.
    Reopens,
    /// Customers who wrote again about the same thing within a week.
    RepeatContacts,
    /// Solves the customer did not confirm (DESIGN.md §3's
    /// customer-confirmed resolution): the confirmed rate dropped.
    Unconfirmed,
    /// The median exchange waited longer for an agent's reply.
    SlowReplies,
    /// An SLO below its objective.
    SloMiss,
    /// SLO breaches piled up at certain hours of the week.
    BreachHours,
    /// A SERVQUAL dimension's gap (perception − expectation) widened.
    ServqualGap,
}

/// What an issue is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    Category(String),
    /// An SLO, by its index in the configuration and its name.
    Slo {
        slo: usize,
        name: String,
    },
    /// `[from_hour, to_hour)` on `weekday`, in the organisation's time zone.
    Hours {
        weekday: u32,
        from_hour: u32,
        to_hour: u32,
    },
    /// A dimension of service quality, as customers rate it (SERVQUAL).
    Servqual(ServqualDimension),
}

/// The day of the week a volume rise was largest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peak {
    /// Monday = 0, in the organisation's time zone.
    pub weekday: u32,
    pub count: u64,
    /// The usual count of that weekday (a baseline week's mean).
    pub usual: f64,
}

/// One measured problem of an issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Facet {
    pub kind: FacetKind,
    /// This week's hits: tickets (volume), re-routed solves, unsatisfied
    /// answers, reopened tickets, repeat contacts, breaches.
    pub count: u64,
    /// What the hits are out of: solves, answers, customer tickets, judged
    /// tickets; for volume, the baseline's tickets over four weeks.
    pub out_of: u64,
    /// What the week was tested against: a hit rate (the category's own
    /// usual; the scope's rate when persistent; the error budget of an
    /// SLO; the rest of the week for hours), or for volume the usual
    /// tickets a week.
    pub usual: f64,
    /// The category's own rate in the four weeks before (the SLO's
    /// attainment), as said in the text; `None` without data.
    pub before: Option<f64>,
    /// Hits beyond what `usual` predicts: the people affected.
    pub excess: f64,
    pub p_value: f64,
    /// A standing problem, not news: `Some(w)` when the pattern was there in
    /// `w` of the four baseline weeks and in every one that had such
    /// tickets ([`persistent_in`]).
    pub persistent: Option<u32>,
    /// For re-routes: the commonest route and how many took it.
    pub route: Option<(Vec<String>, u64)>,
    /// For volume: the day with the most extra tickets.
    pub peak: Option<Peak>,
    /// The two values a facet compares, in its own unit: for slow replies
    /// this week's and the usual median reply time (business seconds); for
    /// a SERVQUAL gap the latest wave's and the one before (points, 1–7).
    pub compared: Option<(f64, f64)>,
}

impl Facet {
    /// This week's hit rate; `None` for volume.
    pub fn rate(&self) -> Option<f64> {
        (self.kind != FacetKind::Volume && self.out_of > 0)
            .then(|| self.count as f64 / self.out_of as f64)
    }
}

/// A systemic issue: one cause, its facets, and the customers' words.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub subject: Subject,
    /// Most affected first; at least one.
    pub facets: Vec<Facet>,
    /// Up to `max_comments` low-score comments about the category this week.
    pub comments: Vec<Comment>,
    /// The team that can act: the scope's team, or in the all-teams digest
    /// the team that handled most of these tickets (missed the SLO).
    pub owner: Option<String>,
}

impl Issue {
    /// People affected beyond the usual: the rank.
    pub fn affected(&self) -> f64 {
        self.facets.iter().map(|f| f.excess).fold(0.0, f64::max)
    }

    /// Every facet was there in the weeks before.
    pub fn persistent(&self) -> bool {
        self.facets.iter().all(|f| f.persistent.is_some())
    }

    pub fn facet(&self, kind: FacetKind) -> Option<&Facet> {
        self.facets.iter().find(|f| f.kind == kind)
    }
}

/// A scope's findings, ranked, and how many tests were run to find them.
#[derive(Debug, Clone, PartialEq)]
pub struct Findings {
    pub issues: Vec<Issue>,
    /// Issues beyond `max_issues`, not listed.
    pub more: usize,
    pub tests: usize,
    /// The significance level the tests shared.
    pub alpha: f64,
}

/// A facet as found, before the corrected level is known. A pattern with
/// a history of being bad has a `standing` alternative: it is news only
/// when it got significantly worse than that history (`worse_p`), and a
/// standing problem otherwise.
struct Candidate {
    subject: Subject,
    facet: Facet,
    standing: Option<Standing>,
}

struct Standing {
    facet: Facet,
    worse_p: f64,
}

impl Candidate {
    fn new(subject: Subject, facet: Facet) -> Candidate {
        Candidate {
            subject,
            facet,
            standing: None,
        }
    }

    /// The facet to report at significance `level`, if any.
    fn choose(self, level: f64) -> Option<(Subject, Facet)> {
        let facet = match self.standing {
            Some(s) if s.worse_p >= level => s.facet,
            _ => self.facet,
        };
        (facet.p_value < level && facet.excess > 0.0).then_some((self.subject, facet))
    }
}

/// Counts `(hits, trials)` per category.
type Tally = BTreeMap<String, (u64, u64)>;

fn tally<T>(
    items: impl Iterator<Item = T>,
    category: impl Fn(&T) -> &str,
    hit: impl Fn(&T) -> bool,
) -> Tally {
    let mut t = Tally::new();
    for i in items {
        let e = t.entry(category(&i).to_string()).or_default();
        e.0 += u64::from(hit(&i));
        e.1 += 1;
    }
    t
}

/// `(x + 1) / (n + 2)`: a rate that is never exactly 0 or 1.
fn smoothed(x: u64, n: u64) -> f64 {
    (x as f64 + 1.0) / (n as f64 + 2.0)
}

fn total(t: &Tally) -> (u64, u64) {
    t.values().fold((0, 0), |(a, b), (x, n)| (a + x, b + n))
}

fn ratio(x: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| x as f64 / n as f64)
}

/// One rate measure in this week and in each baseline week.
struct Series {
    week: Tally,
    each: Vec<Tally>,
}

impl Series {
    fn of(weeks: &Weeks, count: impl Fn(Period) -> Tally) -> Series {
        Series {
            week: count(weeks.week),
            each: weeks.each.iter().map(|p| count(*p)).collect(),
        }
    }

    fn baseline(&self, category: &str) -> (u64, u64) {
        self.each
            .iter()
            .filter_map(|t| t.get(category))
            .fold((0, 0), |(a, b), (x, n)| (a + x, b + n))
    }

    fn scope_baseline(&self) -> (u64, u64) {
        self.each
            .iter()
            .map(total)
            .fold((0, 0), |(a, b), (x, n)| (a + x, b + n))
    }
}

/// Finds the systemic issues of `scope` in `weeks.week`. `slo_weeks` holds
/// each SLO's `(measured, breached)` in the scope for the four baseline
/// weeks and the week, oldest first (from the same metrics as the SLO rows).
pub fn issues(
    facts: &Facts,
    scope: &Scope,
    weeks: &Weeks,
    tz: Tz,
    th: &Thresholds,
    slos: &[SloHistory],
    servqual: Option<&ServqualWaves>,
) -> Findings {
    let week = weeks.week;
    let mut facets: Vec<Candidate> = Vec::new();
    let mut tests = 0usize;

    volume(facts, scope, weeks, tz, th, &mut tests, &mut facets);

    // CSAT: unsatisfied answers, per answer.
    let unsatisfied = Series::of(weeks, |p| {
        tally(
            facts
                .ratings
                .iter()
                .filter(|r| p.contains(r.at) && scope.holds_any(&r.teams)),
            |r| &r.category,
            |r| !r.satisfied,
        )
    });
    rate_facets(
        FacetKind::LowCsat,
        &unsatisfied,
        (1, th.min_responses),
        th,
        &mut tests,
        &mut facets,
    );

    // Re-routes and reopens: per solve.
    let solves_in = |p: Period| {
        facts
            .solves
            .iter()
            .filter(move |s| p.contains(s.at) && scope.holds_solve(s))
    };
    let rerouted = Series::of(weeks, |p| {
        tally(solves_in(p), |s| &s.category, |s| s.rerouted())
    });
    rate_facets(
        FacetKind::Reroutes,
        &rerouted,
        (th.min_count, 0),
        th,
        &mut tests,
        &mut facets,
    );
    let reopened = Series::of(weeks, |p| {
        let mut t = tally(solves_in(p), |s| &s.category, |_| false);
        // Distinct tickets reopened in the period, per category.
        let mut seen = std::collections::HashSet::new();
        for r in facts
            .reopens
            .iter()
            .filter(|r| p.contains(r.at) && scope.holds_any(&r.teams))
        {
            if seen.insert(&r.ticket) {
                t.entry(r.category.to_string()).or_default().0 += 1;
            }
        }
        t
    });
    rate_facets(
        FacetKind::Reopens,
        &reopened,
        (th.min_count, 0),
        th,
        &mut tests,
        &mut facets,
    );

    // Customer confirmation: the report's rate (confirmations in the
    // period over its solve events), tested as a rise in the solves the
    // customer did not confirm.
    let unconfirmed = Series::of(weeks, |p| {
        let mut t = tally(solves_in(p), |s| &s.category, |_| true);
        for c in facts
            .confirmations
            .iter()
            .filter(|c| p.contains(c.at) && scope.holds_any(&c.teams))
        {
            if let Some(e) = t.get_mut(&*c.category) {
                e.0 = e.0.saturating_sub(1);
            }
        }
        t
    });
    // A helpdesk (or a scope) where no customer ever confirmed in the
    // baseline does not record confirmations: testing it would only spend
    // the other tests' significance.
    let (never, baseline_solves) = unconfirmed.scope_baseline();
    if never < baseline_solves {
        rate_facets(
            FacetKind::Unconfirmed,
            &unconfirmed,
            (th.min_count, 0),
            th,
            &mut tests,
            &mut facets,
        );
    }

    slow_replies(facts, scope, weeks, th, &mut tests, &mut facets);

    // Repeat contacts: the same customer, the same category, within 7 days.
    let repeats = Series::of(weeks, |p| {
        tally(
            facts
                .created
                .iter()
                .filter(|c| c.by_customer && p.contains(c.at) && scope.holds_created(c)),
            |c| &c.category,
            |c| c.repeat,
        )
    });
    rate_facets(
        FacetKind::RepeatContacts,
        &repeats,
        (th.min_count, 0),
        th,
        &mut tests,
        &mut facets,
    );

    slo_misses(slos, th, &mut tests, &mut facets);

    // SLO breaches by the hour tickets arrived.
    let judged: Vec<&Judgment> = facts
        .judgments
        .iter()
        .filter(|j| week.contains(j.at) && scope.holds_any(&j.teams))
        .collect();
    breach_hours(&judged, tz, th, &mut tests, &mut facets);

    if let Some(waves) = servqual {
        servqual_widening(waves, th, &mut tests, &mut facets);
    }

    // Keep what survives the corrected level; one issue per subject.
    let level = th.alpha / tests.max(1) as f64;
    let mut issues: Vec<Issue> = Vec::new();
    for (subject, facet) in facets.into_iter().filter_map(|c| c.choose(level)) {
        match issues.iter_mut().find(|i| i.subject == subject) {
            Some(i) => i.facets.push(facet),
            None => issues.push(Issue {
                subject,
                facets: vec![facet],
                comments: Vec::new(),
                owner: scope.team().map(str::to_string),
            }),
        }
    }
    for i in &mut issues {
        i.facets.sort_by(|a, b| b.excess.total_cmp(&a.excess));
    }
    // What changed this week first, then the standing problems (a
    // standing problem on top every week is an alarm that is always on);
    // each by the people affected.
    // SERVQUAL after the ticket issues: it rates the service as a whole,
    // a quarter at a time, where the others say what to fix this week.
    let quarterly = |i: &Issue| matches!(i.subject, Subject::Servqual(_));
    issues.sort_by(|a, b| {
        quarterly(a)
            .cmp(&quarterly(b))
            .then(a.persistent().cmp(&b.persistent()))
            .then(b.affected().total_cmp(&a.affected()))
            .then(min_p(a).total_cmp(&min_p(b)))
    });
    let more = issues.len().saturating_sub(th.max_issues);
    issues.truncate(th.max_issues);
    for issue in &mut issues {
        match &issue.subject {
            Subject::Category(c) => {
                issue.comments = comments(facts, scope, week, c, th.max_comments);
                for f in &mut issue.facets {
                    if f.kind == FacetKind::Reroutes {
                        f.route = commonest_route(facts, scope, week, c);
                    }
                }
                if issue.owner.is_none() {
                    issue.owner = handled_most(facts, week, c);
                }
            }
            Subject::Slo { slo, .. } if issue.owner.is_none() => {
                issue.owner = missed_most(&judged, |j| j.slo == *slo);
            }
            Subject::Hours {
                weekday,
                from_hour,
                to_hour,
            } if issue.owner.is_none() => {
                // The team that missed most in these hours, not all week.
                issue.owner = missed_most(&judged, |j| {
                    let local = j.arrived.with_timezone(&tz);
                    local.weekday().num_days_from_monday() == *weekday
                        && (*from_hour..*to_hour).contains(&local.hour())
                });
            }
            _ => {}
        }
    }
    Findings {
        issues,
        more,
        tests,
        alpha: th.alpha,
    }
}

fn min_p(i: &Issue) -> f64 {
    i.facets.iter().map(|f| f.p_value).fold(1.0, f64::min)
}

/// Volume: each category's week against its own four-week baseline.
fn volume(
    facts: &Facts,
    scope: &Scope,
    weeks: &Weeks,
    tz: Tz,
    th: &Thresholds,
    tests: &mut usize,
    out: &mut Vec<Candidate>,
) {
    let created_in = |p: Period| {
        facts
            .created
            .iter()
            .filter(move |c| p.contains(c.at) && scope.holds_created(c))
    };
    let count = |p: Period| tally(created_in(p), |c| &c.category, |_| true);
    let (now, before) = (count(weeks.week), count(weeks.baseline));
    for (category, &(_, k)) in &now {
        if k < th.min_count {
            continue;
        }
        *tests += 1;
        let b = before.get(category).map_or(0, |v| v.1);
        let usual = b as f64 / f64::from(BASELINE_WEEKS);
        if (k as f64) < th.min_rise * usual {
            continue;
        }
        let share = 1.0 / f64::from(BASELINE_WEEKS + 1);
        // The weekday with the most extra tickets, in the organisation's zone.
        let weekday =
            |at: crate::model::Instant| at.with_timezone(&tz).weekday().num_days_from_monday();
        let mut days = [(0u64, 0u64); 7];
        for c in created_in(weeks.week).filter(|c| *c.category == **category) {
            days[weekday(c.at) as usize].0 += 1;
        }
        for c in created_in(weeks.baseline).filter(|c| *c.category == **category) {
            days[weekday(c.at) as usize].1 += 1;
        }
        let peak = (0..7u32)
            .map(|d| {
                let (n, b) = days[d as usize];
                Peak {
                    weekday: d,
                    count: n,
                    usual: b as f64 / f64::from(BASELINE_WEEKS),
                }
            })
            // The earlier day on a tie.
            .max_by(|a, b| {
                (a.count as f64 - a.usual)
                    .total_cmp(&(b.count as f64 - b.usual))
                    .then(b.weekday.cmp(&a.weekday))
            });
        out.push(Candidate::new(
            Subject::Category(category.clone()),
            Facet {
                kind: FacetKind::Volume,
                count: k,
                out_of: b,
                usual,
                before: Some(usual),
                excess: k as f64 - usual,
                p_value: upper_tail(k, k + b, share),
                persistent: None,
                route: None,
                peak,
                compared: None,
            },
        ));
    }
}

/// Replies that took longer: per category, this week's reply times against
/// the median of its own four weeks before: under no change, a reply is
/// slower than that median as often as the baseline's were (about ½, less
/// where many replies tie at it — replies at 0 business seconds, sent
/// and answered outside open hours, would otherwise make a tied median an
/// alarm that is always on). Reported only when this week's median is
/// above the usual one too. Business time, in
/// the replying team's calendar: a reply that waited over a weekend did not
/// keep anyone waiting in working hours. Both this week's and the
/// baseline's replies must reach `min_count`, so a median of a handful is
/// never tested.
fn slow_replies(
    facts: &Facts,
    scope: &Scope,
    weeks: &Weeks,
    th: &Thresholds,
    tests: &mut usize,
    out: &mut Vec<Candidate>,
) {
    let mut week: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut before: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for r in facts.replies.iter().filter(|r| scope.holds_any(&r.teams)) {
        let into = if weeks.week.contains(r.at) {
            &mut week
        } else if weeks.each.iter().any(|p| p.contains(r.at)) {
            &mut before
        } else {
            continue;
        };
        into.entry(&*r.category).or_default().push(r.business.0);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        crate::engine::stats::quantile_sorted(v, 0.5)
    };
    for (category, mut now) in week {
        let Some(mut usual) = before.remove(category) else {
            continue;
        };
        if (now.len() as u64) < th.min_count || (usual.len() as u64) < th.min_count {
            continue;
        }
        let (Some(m0), Some(m1)) = (median(&mut usual), median(&mut now)) else {
            continue;
        };
        if m1 <= m0 {
            continue;
        }
        let slower = now.iter().filter(|v| **v > m0).count() as u64;
        let n = now.len() as u64;
        let usual_above = usual.iter().filter(|v| **v > m0).count() as u64;
        let p0 = smoothed(usual_above, usual.len() as u64);
        *tests += 1;
        out.push(Candidate::new(
            Subject::Category(category.to_string()),
            Facet {
                kind: FacetKind::SlowReplies,
                count: slower,
                out_of: n,
                usual: p0,
                before: ratio(usual_above, usual.len() as u64),
                excess: slower as f64 - n as f64 * p0,
                p_value: upper_tail(slower, n, p0),
                persistent: None,
                route: None,
                peak: None,
                compared: Some((m1, m0)),
            },
        ));
    }
}

/// Tests each category's hit rate this week against its own usual (new),
/// or, when it is not worse than that, against the scope's rate when it has
/// been high in every baseline week (persistent). `(min_hits, min_trials)`
/// gate a test.
fn rate_facets(
    kind: FacetKind,
    series: &Series,
    (min_hits, min_trials): (u64, u64),
    th: &Thresholds,
    tests: &mut usize,
    out: &mut Vec<Candidate>,
) {
    let (scope_hits, scope_n) = series.scope_baseline();
    if scope_n < min_trials {
        return;
    }
    let p_scope = smoothed(scope_hits, scope_n);
    for (category, &(k, n)) in &series.week {
        if k < min_hits || n < min_trials.max(1) {
            continue;
        }
        let (x, m) = series.baseline(category);
        let own = (x as f64 + PRIOR_WEIGHT * p_scope) / (m as f64 + PRIOR_WEIGHT);
        let facet = |usual: f64, persistent: Option<u32>| Facet {
            kind,
            count: k,
            out_of: n,
            usual,
            before: ratio(x, m),
            excess: k as f64 - n as f64 * usual,
            p_value: upper_tail(k, n, usual),
            persistent,
            route: None,
            peak: None,
            compared: None,
        };
        let weeks = series.each.iter().map(|t| {
            t.get(category)
                .filter(|&&(_, n)| n > 0)
                .map(|&(x, n)| x > 0 && x as f64 >= th.min_rise * p_scope * n as f64)
        });
        let subject = Subject::Category(category.clone());
        *tests += 1;
        out.push(match persistent_in(weeks) {
            Some(w) => {
                // Bad in every week before: news only if worse than that
                // history itself (unsmoothed: three weeks of it are data
                // enough, and smoothing would make a category that is
                // always at 100% look worse than usual every week).
                // Otherwise a standing problem, against the scope's rate.
                *tests += 1;
                let history = x as f64 / m.max(1) as f64;
                let worse = facet(history, None);
                Candidate {
                    subject,
                    standing: Some(Standing {
                        worse_p: worse.p_value,
                        facet: facet(p_scope, Some(w)),
                    }),
                    facet: worse,
                }
            }
            None => Candidate::new(subject, facet(own, None)),
        });
    }
}

/// In how many baseline weeks a pattern was there, if it is persistent:
/// each week is `None` without such tickets, else whether it showed the
/// pattern. Persistent: no week with tickets went without it, and at
/// most one week had none (a quiet week neither makes nor breaks a
/// pattern, but two of four is too little to call it standing).
pub fn persistent_in(weeks: impl Iterator<Item = Option<bool>>) -> Option<u32> {
    let mut seen = 0u32;
    for w in weeks {
        match w {
            Some(false) => return None,
            Some(true) => seen += 1,
            None => {}
        }
    }
    (seen + 1 >= BASELINE_WEEKS).then_some(seen)
}

/// `(measured, breached)` of one SLO in the scope: the four baseline
/// weeks, oldest first, then the week.
#[derive(Debug, Clone, PartialEq)]
pub struct SloHistory {
    pub slo: usize,
    pub name: String,
    pub objective: f64,
    pub each: [(u64, u64); BASELINE_WEEKS as usize],
    pub week: (u64, u64),
}

/// How long a SERVQUAL wave's answers take to come in: the digest compares
/// the answers of the 4 weeks ending with its week (the latest wave)…
pub const SERVQUAL_WAVE_WEEKS: u32 = 4;
/// … with those of the 13 weeks before them (the wave before, a quarter
/// earlier).
pub const SERVQUAL_BEFORE_WEEKS: u32 = 13;

/// The SERVQUAL answers a digest compares (organisation-wide: SERVQUAL is a
/// relationship survey).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServqualWaves {
    /// The [`SERVQUAL_WAVE_WEEKS`] ending with the digest's week.
    pub wave: ServqualTally,
    /// The [`SERVQUAL_BEFORE_WEEKS`] before those.
    pub before: ServqualTally,
    /// Answers in the digest's week itself: a wave is news in the weeks its
    /// answers arrive, not for a month after.
    pub this_week: u64,
}

/// A dimension whose gap widened since the wave before and now falls short
/// of expectations (below 0): by at least `min_gap_widening` points, each
/// side with `min_responses` answers in both waves, significant on the two
/// means' standard errors (normal approximation, one-sided).
fn servqual_widening(
    w: &ServqualWaves,
    th: &Thresholds,
    tests: &mut usize,
    out: &mut Vec<Candidate>,
) {
    if w.this_week == 0 {
        return;
    }
    for d in ServqualDimension::ALL {
        let (now, before) = (w.wave.of(d), w.before.of(d));
        let enough = [
            now.expectation,
            now.perception,
            before.expectation,
            before.perception,
        ]
        .iter()
        .all(|a| a.responses >= th.min_responses);
        let (Some(g1), Some(g0)) = (now.gap(), before.gap()) else {
            continue;
        };
        let widening = g0 - g1;
        // A service still above what customers expect is not a shortfall,
        // however much its lead shrank.
        if !enough || widening < th.min_gap_widening || g1 >= 0.0 {
            continue;
        }
        let (Some(v1), Some(v0)) = (now.gap_variance(), before.gap_variance()) else {
            continue;
        };
        *tests += 1;
        let se = (v1 + v0).sqrt();
        let p_value = if se > 0.0 {
            normal_upper_tail(widening / se)
        } else {
            0.0
        };
        out.push(Candidate::new(
            Subject::Servqual(d),
            Facet {
                kind: FacetKind::ServqualGap,
                count: now.responses(),
                out_of: before.responses(),
                usual: g0,
                before: Some(g0),
                excess: widening,
                p_value,
                persistent: None,
                route: None,
                peak: None,
                compared: Some((g1, g0)),
            },
        ));
    }
}

/// An SLO whose breaches this week exceed its error budget.
fn slo_misses(slos: &[SloHistory], th: &Thresholds, tests: &mut usize, out: &mut Vec<Candidate>) {
    for s in slos {
        let (m, b) = s.week;
        if b < th.min_count {
            continue;
        }
        *tests += 1;
        let budget = 1.0 - s.objective;
        let (bm, bb) = s.each.iter().fold((0, 0), |(a, c), (m, b)| (a + m, c + b));
        let persistent = persistent_in(
            s.each
                .iter()
                .map(|&(m, b)| (m > 0).then(|| ((m - b.min(m)) as f64) < s.objective * m as f64)),
        );
        let facet = |persistent: Option<u32>| Facet {
            kind: FacetKind::SloMiss,
            count: b,
            out_of: m,
            usual: budget,
            before: ratio(bm - bb.min(bm), bm),
            excess: b as f64 - m as f64 * budget,
            p_value: upper_tail(b, m, budget),
            persistent,
            route: None,
            peak: None,
            compared: None,
        };
        let subject = Subject::Slo {
            slo: s.slo,
            name: s.name.clone(),
        };
        out.push(match persistent {
            // Missed every week: standing, unless this week's breaches are
            // significantly more than its own four weeks' rate.
            Some(w) => {
                *tests += 1;
                Candidate {
                    subject,
                    facet: facet(None),
                    standing: Some(Standing {
                        facet: facet(Some(w)),
                        worse_p: upper_tail(b, m, smoothed(bb.min(bm), bm)),
                    }),
                }
            }
            None => Candidate::new(subject, facet(None)),
        });
    }
}

/// Three-hour blocks of the week, by arrival time in `tz`, whose breach
/// rate beats the rest of the week's; adjacent blocks of one day merge.
fn breach_hours(
    judged: &[&Judgment],
    tz: Tz,
    th: &Thresholds,
    tests: &mut usize,
    out: &mut Vec<Candidate>,
) {
    const BLOCK: u32 = 3;
    let block_of = |j: &Judgment| {
        let local = j.arrived.with_timezone(&tz);
        (local.weekday().num_days_from_monday(), local.hour() / BLOCK)
    };
    let mut blocks: BTreeMap<(u32, u32), (u64, u64)> = BTreeMap::new();
    for j in judged {
        let e = blocks.entry(block_of(j)).or_default();
        e.0 += u64::from(j.breached);
        e.1 += 1;
    }
    let (all_b, all_m) = blocks
        .values()
        .fold((0, 0), |(a, b), (x, n)| (a + x, b + n));
    let mut flagged: Vec<Candidate> = Vec::new();
    for (&(day, block), &(b, m)) in &blocks {
        if b < th.min_count {
            continue;
        }
        *tests += 1;
        let (rest_b, rest_m) = (all_b - b, all_m - m);
        let p0 = smoothed(rest_b, rest_m);
        let hours = (block * BLOCK, (block + 1) * BLOCK);
        let facet = Facet {
            kind: FacetKind::BreachHours,
            count: b,
            out_of: m,
            usual: p0,
            before: ratio(rest_b, rest_m),
            excess: b as f64 - m as f64 * p0,
            p_value: upper_tail(b, m, p0),
            persistent: None,
            route: None,
            peak: None,
            compared: None,
        };
        // Merge with the block just before on the same day.
        match flagged.last_mut() {
            Some(Candidate {
                subject: Subject::Hours {
                    weekday, to_hour, ..
                },
                facet: f,
                ..
            }) if *weekday == day && *to_hour == hours.0 => {
                *to_hour = hours.1;
                f.count += b;
                f.out_of += m;
                f.excess += facet.excess;
                f.p_value = f.p_value.min(facet.p_value);
            }
            _ => flagged.push(Candidate::new(
                Subject::Hours {
                    weekday: day,
                    from_hour: hours.0,
                    to_hour: hours.1,
                },
                facet,
            )),
        }
    }
    out.extend(flagged);
}

/// Low-score comments about `category` this week, lowest score first.
fn comments(
    facts: &Facts,
    scope: &Scope,
    week: Period,
    category: &str,
    max: usize,
) -> Vec<Comment> {
    let mut found: Vec<&Comment> = facts
        .comments
        .iter()
        .filter(|c| week.contains(c.at) && &*c.category == category && scope.holds_any(&c.teams))
        .collect();
    found.sort_by(|a, b| severity(a).cmp(&severity(b)).then(b.at.cmp(&a.at)));
    found.into_iter().take(max).cloned().collect()
}

/// Lower is worse, on a common 0–1000 scale across survey kinds.
fn severity(c: &Comment) -> u32 {
    use crate::model::SurveyScore::*;
    match c.score {
        Csat(v) => u32::from(v.saturating_sub(1)) * 250,
        Nps(v) => u32::from(v) * 100,
        Ces(v) => u32::from(7u8.saturating_sub(v)) * 166,
        Servqual { score, .. } => u32::from(score.saturating_sub(1)) * 166,
    }
}

/// The route most re-routed solves of `category` took this week.
fn commonest_route(
    facts: &Facts,
    scope: &Scope,
    week: Period,
    category: &str,
) -> Option<(Vec<String>, u64)> {
    let mut routes: BTreeMap<&[crate::digest::facts::Name], u64> = BTreeMap::new();
    for s in facts.solves.iter().filter(|s| {
        week.contains(s.at) && &*s.category == category && s.rerouted() && scope.holds_solve(s)
    }) {
        *routes.entry(&s.route[..]).or_default() += 1;
    }
    routes
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(r, n)| (r.iter().map(|t| t.to_string()).collect(), n))
}

/// The team that solved most of `category`'s tickets this week.
fn handled_most(facts: &Facts, week: Period, category: &str) -> Option<String> {
    commonest(
        facts
            .solves
            .iter()
            .filter(|s| week.contains(s.at) && &*s.category == category)
            .map(|s| &*s.team),
    )
}

/// The team at the measurement of most breaches among `judged`.
fn missed_most(judged: &[&Judgment], which: impl Fn(&Judgment) -> bool) -> Option<String> {
    commonest(
        judged
            .iter()
            .filter(|j| j.breached && which(j))
            .map(|j| &*j.team),
    )
}

/// The most frequent value (the first in order on a tie).
fn commonest<'t>(items: impl Iterator<Item = &'t str>) -> Option<String> {
    let mut n: BTreeMap<&str, u64> = BTreeMap::new();
    for i in items {
        *n.entry(i).or_default() += 1;
    }
    n.into_iter()
        .rev()
        .max_by_key(|(_, c)| *c)
        .map(|(t, _)| t.to_string())
}

// --------------------------------------------------------- Monday view

/// What a lead also looks at on Monday: the backlog the week leaves, its
/// age, the oldest ticket waiting on the team, and when customers wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Monday {
    /// Open tickets at the week's end (not solved or closed).
    pub open: u64,
    /// Of those, opened more than 7 days before the week's end.
    pub older_than_week: u64,
    /// The median age of the open tickets, in seconds.
    pub median_age: Option<f64>,
    /// The oldest ticket waiting on the team (new, open or on hold): its
    /// id and age in seconds.
    pub oldest_waiting: Option<(String, f64)>,
    /// The week's busiest hours by tickets created: `(weekday, hour, n)`,
    /// most first, at most three.
    pub busiest: Vec<(u32, u32, u64)>,
}

/// The Monday view of `scope` at `as_of`.
pub fn monday(
    facts: &Facts,
    scope: &Scope,
    week: Period,
    as_of: crate::model::Instant,
    tz: Tz,
) -> Monday {
    let open: Vec<_> = facts
        .open
        .iter()
        .filter(|o| scope.holds_any(&o.teams))
        .collect();
    let age = |o: &crate::digest::facts::Open| (as_of - o.created_at).num_seconds().max(0) as f64;
    let mut ages: Vec<f64> = open.iter().map(|o| age(o)).collect();
    let median_age = crate::engine::stats::Summary::of(&mut ages).p50;
    let oldest_waiting = open
        .iter()
        .filter(|o| matches!(o.status, Status::New | Status::Open | Status::OnHold))
        .min_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.ticket.cmp(&b.ticket))
        })
        .map(|o| (o.ticket.clone(), age(o)));
    let mut hours: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    for c in facts
        .created
        .iter()
        .filter(|c| week.contains(c.at) && scope.holds_created(c))
    {
        *hours
            .entry(crate::localtime::weekday_hour(c.at, tz))
            .or_default() += 1;
    }
    let mut busiest: Vec<(u32, u32, u64)> =
        hours.into_iter().map(|((d, h), n)| (d, h, n)).collect();
    // Most tickets first; the earlier hour of the week on a tie.
    busiest.sort_by(|a, b| b.2.cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1))));
    busiest.truncate(3);
    Monday {
        open: open.len() as u64,
        older_than_week: open
            .iter()
            .filter(|o| as_of - o.created_at > chrono::Duration::days(7))
            .count() as u64,
        median_age,
        oldest_waiting,
        busiest,
    }
}
