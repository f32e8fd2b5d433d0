//! The digest's raw material: what happened to every ticket in the weeks
//! analysed, as flat records tagged with their team and category.
//!
//! Filled from the same engine walk as `report` (it is a scan
//! [`Visitor`]), so a "solve", a "reopen" or an SLO breach means here exactly
//! what it means in a report and on `/metrics`. Each record carries the
//! teams the ticket had reached by then (the digest of a team counts the
//! tickets that reached it, first or after a transfer: exactly what its
//! headline counts, see `Aggregator::by_teams_reached`), the ticket's
//! category (`none` when it has none) and its time; `analysis` only counts
//! and compares.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::backlog;
use crate::engine::slo::Slo;
use crate::engine::surveys::{NpsClass, is_satisfied};
use crate::engine::timeline::{Measure, Timeline};
use crate::model::Period;
use crate::model::{
    Creator, EngagementResponse, Instant, Seconds, SurveyResponse, SurveyScore, Ticket,
};
use crate::model::{NONE, UNASSIGNED};
use crate::report::scan::Visitor;

/// A ticket opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub at: Instant,
    pub team: String,
    pub category: String,
    pub requester: String,
    /// Opened by the customer (not an agent's outbound ticket).
    pub by_customer: bool,
    /// Every team the ticket had been assigned to within a day of its
    /// creation ([`creation_horizon`]): a team's volume includes the
    /// tickets that reached it after a misroute.
    pub teams: Vec<String>,
    /// A repeat contact: set by [`Facts::mark_repeat_contacts`].
    pub repeat: bool,
}

/// A solve event, with the route the ticket took to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Solve {
    pub at: Instant,
    /// The team that solved it.
    pub team: String,
    pub category: String,
    /// Teams in assignment order up to the solve; more than one means re-routed.
    pub route: Vec<String>,
}

impl Solve {
    pub fn rerouted(&self) -> bool {
        self.route.len() > 1
    }
}

/// A reopen event.
#[derive(Debug, Clone, PartialEq)]
pub struct Reopen {
    pub at: Instant,
    pub teams: Vec<String>,
    pub category: String,
    pub ticket: String,
}

/// A customer's confirmation of a solve (DESIGN.md §3), at the confirming
/// event.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    pub at: Instant,
    pub teams: Vec<String>,
    pub category: String,
}

/// One exchange's reply time (DESIGN.md §3), at the reply, in the business
/// time of the team that replied. Replies are the most numerous facts (a
/// ticket has several), so the category and the teams are shared with the
/// ticket's other replies rather than copied into each, and
/// `Facts::by_team` copies pointers.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub at: Instant,
    pub teams: Arc<[String]>,
    pub category: Arc<str>,
    pub business: Seconds,
}

/// A CSAT answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub at: Instant,
    pub teams: Vec<String>,
    pub category: String,
    pub satisfied: bool,
}

/// A low-score survey answer with a comment: the customer's own words.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub at: Instant,
    pub teams: Vec<String>,
    pub category: String,
    pub score: SurveyScore,
    pub text: String,
}

/// An SLO measurement: met or breached.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgment {
    pub at: Instant,
    /// When the ticket arrived: breaches are placed at the hour the customer
    /// wrote, which is the hour that was short of staff.
    pub arrived: Instant,
    /// The team at the measurement (who missed it) and every team reached.
    pub team: String,
    pub teams: Vec<String>,
    /// Which SLO: an index into the configured SLOs.
    pub slo: usize,
    pub breached: bool,
}

/// A ticket still open at the end of the week.
#[derive(Debug, Clone, PartialEq)]
pub struct Open {
    pub ticket: String,
    pub created_at: Instant,
    /// The team holding it at the week's end (one, or `unassigned`).
    pub teams: Vec<String>,
    pub status: crate::model::Status,
    /// Opened by a customer and not answered yet.
    pub awaiting_first_response: bool,
}

/// Everything recorded inside `window`, and the backlog at `as_of`.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    window: Period,
    as_of: Instant,
    slos: &'a [Slo],
    pub created: Vec<Created>,
    pub solves: Vec<Solve>,
    pub reopens: Vec<Reopen>,
    pub confirmations: Vec<Confirmation>,
    pub replies: Vec<Reply>,
    pub ratings: Vec<Rating>,
    pub comments: Vec<Comment>,
    pub judgments: Vec<Judgment>,
    pub open: Vec<Open>,
}

impl<'a> Facts<'a> {
    /// `as_of`: when the backlog is taken (the week's end, or now).
    pub fn new(window: Period, as_of: Instant, slos: &'a [Slo]) -> Self {
        Facts {
            window,
            as_of,
            slos,
            created: Vec::new(),
            solves: Vec::new(),
            reopens: Vec::new(),
            confirmations: Vec::new(),
            replies: Vec::new(),
            ratings: Vec::new(),
            comments: Vec::new(),
            judgments: Vec::new(),
            open: Vec::new(),
        }
    }
}

impl<'a> Facts<'a> {
    /// The facts of each team, in one pass: a team's digest then reads its
    /// own (a ticket or solve under every team it went through), not every
    /// team's — with thousands of teams, scanning all facts for each made
    /// the digests quadratic.
    pub fn by_team(&self) -> HashMap<&str, Facts<'a>> {
        let mut out: HashMap<&str, Facts<'a>> = HashMap::new();
        let (window, as_of, slos) = (self.window, self.as_of, self.slos);
        macro_rules! of {
            ($team:expr) => {
                out.entry($team)
                    .or_insert_with(|| Facts::new(window, as_of, slos))
            };
        }
        for c in &self.created {
            for t in teams_of(&c.team, &c.teams) {
                of!(t).created.push(c.clone());
            }
        }
        for s in &self.solves {
            for t in teams_of(&s.team, &s.route) {
                of!(t).solves.push(s.clone());
            }
        }
        for r in &self.reopens {
            for t in &r.teams {
                of!(t.as_str()).reopens.push(r.clone());
            }
        }
        for c in &self.confirmations {
            for t in &c.teams {
                of!(t.as_str()).confirmations.push(c.clone());
            }
        }
        for r in &self.replies {
            for t in r.teams.iter() {
                of!(t.as_str()).replies.push(r.clone());
            }
        }
        for r in &self.ratings {
            for t in &r.teams {
                of!(t.as_str()).ratings.push(r.clone());
            }
        }
        for c in &self.comments {
            for t in &c.teams {
                of!(t.as_str()).comments.push(c.clone());
            }
        }
        for j in &self.judgments {
            for t in &j.teams {
                of!(t.as_str()).judgments.push(j.clone());
            }
        }
        for o in &self.open {
            for t in &o.teams {
                of!(t.as_str()).open.push(o.clone());
            }
        }
        out
    }
}

/// `team` and every team in `more`, each once.
fn teams_of<'t>(team: &'t str, more: &'t [String]) -> Vec<&'t str> {
    let mut all: Vec<&str> = std::iter::once(team)
        .chain(more.iter().map(String::as_str))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

impl Facts<'_> {
    /// Marks each customer ticket opened by a requester who opened one of
    /// the same category (in any team) in the 7 days before. Done once after
    /// the scan, for every scope's digest to filter.
    pub fn mark_repeat_contacts(&mut self) {
        let mut order: Vec<usize> = (0..self.created.len())
            .filter(|&i| self.created[i].by_customer)
            .collect();
        order.sort_by_key(|&i| self.created[i].at);
        let mut last: HashMap<(String, String), Instant> = HashMap::new();
        for i in order {
            let c = &self.created[i];
            let key = (c.requester.clone(), c.category.clone());
            let at = c.at;
            let repeat = last
                .get(&key)
                .is_some_and(|prev| at - *prev <= chrono::Duration::days(7));
            last.insert(key, at);
            self.created[i].repeat = repeat;
        }
    }
}

fn team_name(team: Option<&str>) -> String {
    team.unwrap_or(UNASSIGNED).to_string()
}

/// Every team the ticket had been assigned to by `at`, each once, sorted;
/// `unassigned` when none. The headline's aggregator groups by the same.
pub fn reached(timeline: &Timeline, at: Instant) -> Vec<&str> {
    let mut teams = timeline.route_until(at);
    teams.sort_unstable();
    teams.dedup();
    if teams.is_empty() {
        teams.push(UNASSIGNED);
    }
    teams
}

/// [`reached`], owned.
pub fn teams_until(timeline: &Timeline, at: Instant) -> Vec<String> {
    reached(timeline, at)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// How long after its creation a ticket's transfers still count toward the
/// teams it "reached" for the volume: a fixed day, so that a ticket of
/// four weeks ago (which had weeks to be transferred) and one of last
/// Sunday are counted alike.
pub const CREATION_REACH: chrono::Duration = chrono::Duration::days(1);

/// When a creation's teams are taken: a day after it, at most `until`.
pub fn creation_horizon(created_at: Instant, until: Instant) -> Instant {
    (created_at + CREATION_REACH).min(until)
}

/// Low enough that the comment explains a problem: CSAT 1–2, an NPS
/// detractor, or CES 5–7 (high effort); never a SERVQUAL answer.
fn is_low(score: SurveyScore) -> bool {
    match score {
        SurveyScore::Csat(v) => v <= 2,
        SurveyScore::Nps(v) => NpsClass::of(v) == NpsClass::Detractor,
        SurveyScore::Ces(v) => v >= 5,
        // A form about the service as a whole, not about one ticket.
        SurveyScore::Servqual { .. } => false,
    }
}

impl Visitor for Facts<'_> {
    fn ticket(&mut self, ticket: &Ticket, timeline: &Timeline, surveys: &[SurveyResponse]) {
        let category = ticket.category.as_deref().unwrap_or(NONE).to_string();
        let mut reply_teams: Option<Arc<[String]>> = None;
        let mut reply_category: Option<Arc<str>> = None;
        for obs in &timeline.observations {
            if !self.window.contains(obs.at) {
                continue;
            }
            let team = team_name(obs.team.as_deref());
            match obs.measure {
                Measure::Created => self.created.push(Created {
                    at: obs.at,
                    team: team.clone(),
                    category: category.clone(),
                    requester: ticket.requester_id.clone(),
                    by_customer: ticket.created_by == Creator::Customer,
                    teams: teams_until(
                        timeline,
                        creation_horizon(ticket.created_at, self.window.to),
                    ),
                    repeat: false,
                }),
                Measure::Solve(_) => self.solves.push(Solve {
                    at: obs.at,
                    team: team.clone(),
                    category: category.clone(),
                    route: timeline
                        .route_until(obs.at)
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                }),
                Measure::Reopen => self.reopens.push(Reopen {
                    at: obs.at,
                    teams: teams_until(timeline, obs.at),
                    category: category.clone(),
                    ticket: ticket.id.clone(),
                }),
                Measure::CustomerConfirmed => self.confirmations.push(Confirmation {
                    at: obs.at,
                    teams: teams_until(timeline, obs.at),
                    category: category.clone(),
                }),
                Measure::Reply(e) => {
                    let teams = teams_until(timeline, obs.at);
                    // The same teams as the ticket's previous reply: shared.
                    let teams = match &reply_teams {
                        Some(t) if **t == *teams => Arc::clone(t),
                        _ => Arc::from(teams),
                    };
                    reply_teams = Some(Arc::clone(&teams));
                    self.replies.push(Reply {
                        at: obs.at,
                        teams,
                        category: Arc::clone(
                            reply_category.get_or_insert_with(|| Arc::from(category.as_str())),
                        ),
                        business: e.business,
                    });
                }
                _ => {}
            }
            let mut teams = None;
            for (i, slo) in self.slos.iter().enumerate() {
                if let Some(breached) = slo.judge(ticket, obs) {
                    self.judgments.push(Judgment {
                        at: obs.at,
                        arrived: ticket.created_at,
                        team: team.clone(),
                        teams: teams
                            .get_or_insert_with(|| teams_until(timeline, obs.at))
                            .clone(),
                        slo: i,
                        breached,
                    });
                }
            }
        }
        if ticket.created_at < self.as_of
            && let Some(entry) = backlog::entry(ticket, &timeline.state, self.as_of)
        {
            self.open.push(Open {
                ticket: ticket.id.clone(),
                created_at: ticket.created_at,
                // The team holding it now is the one to act on it.
                teams: vec![team_name(timeline.state.team.as_deref())],
                status: entry.status,
                awaiting_first_response: entry.awaiting_first_response.is_some(),
            });
        }
        for s in surveys {
            if !self.window.contains(s.responded_at) {
                continue;
            }
            let teams = teams_until(timeline, s.responded_at);
            if let SurveyScore::Csat(v) = s.score {
                self.ratings.push(Rating {
                    at: s.responded_at,
                    teams: teams.clone(),
                    category: category.clone(),
                    satisfied: is_satisfied(v),
                });
            }
            if let Some(text) = s.comment.as_deref().map(str::trim)
                && !text.is_empty()
                && is_low(s.score)
            {
                self.comments.push(Comment {
                    at: s.responded_at,
                    teams,
                    category: category.clone(),
                    score: s.score,
                    text: excerpt(text, VERBATIM_CHARS),
                });
            }
        }
    }

    /// Relationship surveys have no ticket, hence no category to blame.
    fn ticketless_survey(&mut self, _survey: &SurveyResponse) {}

    fn engagement(&mut self, _answer: &EngagementResponse) {}
}

/// How much of a survey comment the digest quotes: a verbatim is a voice,
/// not a document (a 10 MB comment once made a 20 MB message that the mail
/// server refused).
pub const VERBATIM_CHARS: usize = 300;

/// `text` cut to at most `max` characters, at a word boundary when one is
/// near, with `…` where it was cut.
pub fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => {
            let cut = &text[..end];
            // Back to the last space in the final fifth, if there is one.
            let at = cut
                .rfind(char::is_whitespace)
                .filter(|i| cut[..*i].chars().count() >= max * 4 / 5)
                .unwrap_or(cut.len());
            format!("{}…", cut[..at].trim_end())
        }
    }
}

#[cfg(test)]
mod excerpt_tests {
    use super::*;

    #[test]
    fn long_comments_are_cut_at_a_word_and_marked() {
        assert_eq!(excerpt("short", 300), "short");
        let long = "word ".repeat(100);
        let e = excerpt(&long, 22);
        assert_eq!(e, "word word word word…");
        // One unbroken run of characters (any script) is cut mid-run.
        let e = excerpt(&"é".repeat(1000), 300);
        assert_eq!(e.chars().count(), 301);
        assert!(e.ends_with('…'));
    }
}
