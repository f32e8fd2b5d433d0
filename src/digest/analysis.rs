//! The week's analysis: headline KPIs against the previous week and a
//! trailing four-week baseline, and the systemic issues behind them.
//!
//! Pure: facts and report metrics in, findings out.
//!
//! **The test.** Every finding is a count `k` out of `n` (tickets created,
//! solves re-routed, answers satisfied, SLOs breached) that is compared,
//! with an exact one-sided binomial test, with the rate that is usual:
//! - volume: this week's tickets of a category against the category's own
//!   four-week baseline, conditioned on the total (`k ~ Bin(k + b, 1/5)`:
//!   under no change, each of the five weeks is equally likely to hold a
//!   ticket — the exact test for two Poisson rates);
//! - CSAT, re-routes, reopens, repeat contacts (flagged once per scan by
//!   `Facts::mark_repeat_contacts`): the category's week against
//!   the scope's baseline rate over all categories, so a category that is
//!   *always* misrouted is still a routing rule to fix;
//! - SLO breach hours: a three-hour block of the week (by the hour tickets
//!   arrived, in the organisation's time zone) against the rest of the week.
//!
//! A test is only run when its count reaches `min_count` (`min_responses`
//! for CSAT), so small numbers raise nothing, and its p-value must beat
//! `alpha` divided by the number of tests run for the scope (Bonferroni),
//! so a quiet week with dozens of comparisons stays quiet. Baseline rates
//! are Laplace-smoothed ((x + 1) / (n + 2)) so a rate never seen before is
//! not a certainty. Issues are ranked by their **excess**: how many
//! tickets, customers or answers were affected beyond what the usual rate
//! predicts.

use std::collections::BTreeMap;

use chrono::{Datelike, Timelike};
use chrono_tz::Tz;
use serde::Serialize;

use crate::digest::facts::{Comment, Facts, Judgment, Solve};
use crate::digest::significance::{lower_tail, upper_tail};
use crate::report::{Metrics, Period};

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

    fn holds(&self, team: &str) -> bool {
        self.team().is_none_or(|t| t == team)
    }

    /// A ticket counts in the volume of every team it reached.
    fn holds_created(&self, c: &crate::digest::facts::Created) -> bool {
        self.team()
            .is_none_or(|t| c.team == t || c.teams.iter().any(|r| r == t))
    }

    /// A solve belongs to every team its ticket went through.
    fn holds_solve(&self, s: &Solve) -> bool {
        self.team()
            .is_none_or(|t| s.team == t || s.route.iter().any(|r| r == t))
    }

    /// The name used in file names and the digest log: the team, or `all`.
    pub fn key(&self) -> &str {
        self.team().unwrap_or(ALL)
    }
}

/// The key of the all-teams digest.
pub const ALL: &str = "all";

/// When a finding is worth a team lead's Monday.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Significance level for each scope, shared among its tests.
    pub alpha: f64,
    /// Fewest tickets (or breaches) behind a finding.
    pub min_count: u64,
    /// Fewest CSAT answers in a category before its CSAT is judged.
    pub min_responses: u64,
    /// A category's volume must reach this multiple of its weekly baseline.
    pub min_rise: f64,
    /// Verbatim comments quoted under each category finding.
    pub max_comments: usize,
    /// Findings listed in one digest (the rest are counted).
    pub max_issues: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            alpha: 0.01,
            min_count: 5,
            min_responses: 5,
            min_rise: 1.5,
            max_comments: 3,
            max_issues: 8,
        }
    }
}

/// The analysed week, its predecessor and the four weeks before it.
#[derive(Debug, Clone, Copy)]
pub struct Weeks {
    pub week: Period,
    pub previous: Period,
    /// The four weeks before `week` (so `previous` is its last).
    pub baseline: Period,
}

pub const BASELINE_WEEKS: u32 = 4;

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
    SloAttainment,
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
            KpiKey::Csat | KpiKey::Nps | KpiKey::SloAttainment => Better::Higher,
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
        KpiKey::SloAttainment,
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
        KpiKey::SloAttainment => {
            let measured: u64 = m.slo.iter().map(|s| s.measured).sum();
            let breached: u64 = m.slo.iter().map(|s| s.breached).sum();
            crate::engine::stats::ratio(measured - breached, measured)
        }
    }
}

// -------------------------------------------------------------- issues

/// What kind of systemic problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// A category's volume rose over its baseline.
    VolumeRise,
    /// A category's customers are unhappy.
    LowCsat,
    /// A category keeps landing in the wrong team.
    Reroutes,
    /// A category's tickets come back after being solved.
    Reopens,
    /// Customers write again about the same thing within a week.
    RepeatContacts,
    /// SLO breaches pile up at certain hours of the week.
    SloBreachHours,
}

/// What the finding is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    Category(String),
    /// `[from_hour, to_hour)` on `weekday`, in the organisation's time zone.
    Hours {
        weekday: u32,
        from_hour: u32,
        to_hour: u32,
    },
}

/// A systemic issue and its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub kind: IssueKind,
    pub subject: Subject,
    /// The count found this week: tickets, re-routed or reopened solves,
    /// satisfied answers (for CSAT), repeat contacts, breaches.
    pub count: u64,
    /// What the count is out of: solves, answers, customer tickets, measured
    /// SLOs; for volume, the baseline's total over four weeks.
    pub out_of: u64,
    /// This week's rate (`count / out_of`); `None` for volume.
    pub rate: Option<f64>,
    /// The usual rate; for volume, the usual tickets a week.
    pub usual: f64,
    /// Tickets, customers or answers affected beyond the usual: the rank.
    pub excess: f64,
    pub p_value: f64,
    /// For re-routes: the commonest route and how many took it.
    pub route: Option<(Vec<String>, u64)>,
    /// Up to `max_comments` low-score comments about the category this week.
    pub comments: Vec<Comment>,
}

/// A scope's findings, ranked, and how many tests were run to find them.
#[derive(Debug, Clone, PartialEq)]
pub struct Findings {
    pub issues: Vec<Issue>,
    /// Findings beyond `max_issues`, not listed.
    pub more: usize,
    pub tests: usize,
    /// The significance level the tests shared.
    pub alpha: f64,
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

/// Finds the systemic issues of `scope` in `weeks.week`.
pub fn issues(facts: &Facts, scope: &Scope, weeks: &Weeks, tz: Tz, th: &Thresholds) -> Findings {
    let (week, base) = (weeks.week, weeks.baseline);
    let mut candidates: Vec<Issue> = Vec::new();
    let mut tests = 0usize;

    // Volume: the category's week against its own baseline.
    let created_in = |p: Period| {
        tally(
            facts
                .created
                .iter()
                .filter(|c| p.contains(c.at) && scope.holds_created(c)),
            |c| &c.category,
            |_| true,
        )
    };
    let (now, before) = (created_in(week), created_in(base));
    for (category, &(_, k)) in &now {
        if k < th.min_count {
            continue;
        }
        tests += 1;
        let b = before.get(category).map_or(0, |v| v.1);
        let usual = b as f64 / f64::from(BASELINE_WEEKS);
        if (k as f64) < th.min_rise * usual {
            continue;
        }
        let share = 1.0 / f64::from(BASELINE_WEEKS + 1);
        candidates.push(Issue {
            kind: IssueKind::VolumeRise,
            subject: Subject::Category(category.clone()),
            count: k,
            out_of: b,
            rate: None,
            usual,
            excess: k as f64 - usual,
            p_value: upper_tail(k, k + b, share),
            route: None,
            comments: Vec::new(),
        });
    }

    // CSAT: fewer satisfied answers than the scope's baseline rate predicts.
    let ratings_in = |p: Period| {
        tally(
            facts
                .ratings
                .iter()
                .filter(|r| p.contains(r.at) && scope.holds(&r.team)),
            |r| &r.category,
            |r| r.satisfied,
        )
    };
    let (base_sat, base_n) = total(&ratings_in(base));
    if base_n >= th.min_responses {
        let p0 = smoothed(base_sat, base_n);
        for (category, &(s, n)) in &ratings_in(week) {
            if n < th.min_responses {
                continue;
            }
            tests += 1;
            candidates.push(Issue {
                kind: IssueKind::LowCsat,
                subject: Subject::Category(category.clone()),
                count: s,
                out_of: n,
                rate: Some(s as f64 / n as f64),
                usual: base_sat as f64 / base_n as f64,
                excess: n as f64 * p0 - s as f64,
                p_value: lower_tail(s, n, p0),
                route: None,
                comments: Vec::new(),
            });
        }
    }

    // Re-routes and reopens: per solve, against the scope's baseline rate.
    let solves_in = |p: Period| facts.solves.iter().filter(move |s| p.contains(s.at));
    let rerouted = |p: Period| {
        tally(
            solves_in(p).filter(|s| scope.holds_solve(s)),
            |s| &s.category,
            |s| s.rerouted(),
        )
    };
    rate_tests(
        IssueKind::Reroutes,
        &rerouted(week),
        total(&rerouted(base)),
        th,
        &mut tests,
        &mut candidates,
    );
    let reopened = |p: Period| {
        let mut t = tally(
            solves_in(p).filter(|s| scope.holds(&s.team)),
            |s| &s.category,
            |_| false,
        );
        // Distinct tickets reopened in the period, per category.
        let mut seen = std::collections::HashSet::new();
        for r in facts
            .reopens
            .iter()
            .filter(|r| p.contains(r.at) && scope.holds(&r.team))
        {
            if seen.insert(&r.ticket) {
                t.entry(r.category.clone()).or_default().0 += 1;
            }
        }
        t
    };
    rate_tests(
        IssueKind::Reopens,
        &reopened(week),
        total(&reopened(base)),
        th,
        &mut tests,
        &mut candidates,
    );

    // Repeat contacts: the same customer, the same category, within 7 days.
    let repeat_in = |p: Period| {
        tally(
            facts
                .created
                .iter()
                .filter(|c| c.by_customer && p.contains(c.at) && scope.holds(&c.team)),
            |c| &c.category,
            |c| c.repeat,
        )
    };
    rate_tests(
        IssueKind::RepeatContacts,
        &repeat_in(week),
        total(&repeat_in(base)),
        th,
        &mut tests,
        &mut candidates,
    );

    // SLO breaches by the hour tickets arrived.
    let judged: Vec<&Judgment> = facts
        .judgments
        .iter()
        .filter(|j| week.contains(j.at) && scope.holds(&j.team))
        .collect();
    breach_hours(&judged, tz, th, &mut tests, &mut candidates);

    // Keep what survives the corrected level, most affected first.
    let level = th.alpha / tests.max(1) as f64;
    let mut issues: Vec<Issue> = candidates
        .into_iter()
        .filter(|i| i.p_value < level && i.excess > 0.0)
        .collect();
    issues.sort_by(|a, b| {
        b.excess
            .total_cmp(&a.excess)
            .then(a.p_value.total_cmp(&b.p_value))
    });
    let more = issues.len().saturating_sub(th.max_issues);
    issues.truncate(th.max_issues);
    // Customers' words go under the first finding about their category.
    let mut quoted = std::collections::HashSet::new();
    for issue in &mut issues {
        if let Subject::Category(c) = &issue.subject {
            if quoted.insert(c.clone()) {
                issue.comments = comments(facts, scope, week, c, th.max_comments);
            }
            if issue.kind == IssueKind::Reroutes {
                issue.route = commonest_route(facts, scope, week, c);
            }
        }
    }
    Findings {
        issues,
        more,
        tests,
        alpha: th.alpha,
    }
}

/// Tests each category's `(hits, trials)` this week against the scope's
/// baseline `(hits, trials)` over all categories.
fn rate_tests(
    kind: IssueKind,
    week: &Tally,
    (base_hits, base_n): (u64, u64),
    th: &Thresholds,
    tests: &mut usize,
    out: &mut Vec<Issue>,
) {
    let p0 = smoothed(base_hits, base_n);
    let usual = if base_n > 0 {
        base_hits as f64 / base_n as f64
    } else {
        0.0
    };
    for (category, &(k, n)) in week {
        if k < th.min_count {
            continue;
        }
        *tests += 1;
        out.push(Issue {
            kind,
            subject: Subject::Category(category.clone()),
            count: k,
            out_of: n,
            rate: Some(k as f64 / n.max(1) as f64),
            usual,
            excess: k as f64 - n as f64 * p0,
            p_value: upper_tail(k, n.max(k), p0),
            route: None,
            comments: Vec::new(),
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
    out: &mut Vec<Issue>,
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
    let mut flagged: Vec<Issue> = Vec::new();
    for (&(day, block), &(b, m)) in &blocks {
        if b < th.min_count {
            continue;
        }
        *tests += 1;
        let (rest_b, rest_m) = (all_b - b, all_m - m);
        let p0 = smoothed(rest_b, rest_m);
        let hours = (block * BLOCK, (block + 1) * BLOCK);
        let issue = Issue {
            kind: IssueKind::SloBreachHours,
            subject: Subject::Hours {
                weekday: day,
                from_hour: hours.0,
                to_hour: hours.1,
            },
            count: b,
            out_of: m,
            rate: Some(b as f64 / m as f64),
            usual: if rest_m > 0 {
                rest_b as f64 / rest_m as f64
            } else {
                0.0
            },
            excess: b as f64 - m as f64 * p0,
            p_value: upper_tail(b, m, p0),
            route: None,
            comments: Vec::new(),
        };
        // Merge with the block just before on the same day.
        match flagged.last_mut() {
            Some(Issue {
                subject: Subject::Hours {
                    weekday, to_hour, ..
                },
                count,
                out_of,
                rate,
                excess,
                p_value,
                ..
            }) if *weekday == day && *to_hour == hours.0 => {
                *to_hour = hours.1;
                *count += b;
                *out_of += m;
                *rate = Some(*count as f64 / *out_of as f64);
                *excess += issue.excess;
                *p_value = p_value.min(issue.p_value);
            }
            _ => flagged.push(issue),
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
        .filter(|c| week.contains(c.at) && c.category == category && scope.holds(&c.team))
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
    }
}

/// The route most re-routed solves of `category` took this week.
fn commonest_route(
    facts: &Facts,
    scope: &Scope,
    week: Period,
    category: &str,
) -> Option<(Vec<String>, u64)> {
    let mut routes: BTreeMap<&[String], u64> = BTreeMap::new();
    for s in facts.solves.iter().filter(|s| {
        week.contains(s.at) && s.category == category && s.rerouted() && scope.holds_solve(s)
    }) {
        *routes.entry(s.route.as_slice()).or_default() += 1;
    }
    routes
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(r, n)| (r.to_vec(), n))
}
