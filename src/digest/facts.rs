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

use std::collections::{HashMap, HashSet};
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

/// A team's or a category's name, shared by every record that carries it:
/// a million records name a handful of teams and categories, and a copy of
/// a record (into each team's facts) copies pointers, not text.
pub type Name = Arc<str>;

/// Teams in assignment order (a route) or the teams a ticket reached,
/// shared likewise: most tickets reach the same few.
pub type Names = Arc<[Name]>;

/// `["a", "b"]` as [`Names`], for records built by hand.
#[cfg(test)]
pub fn names(items: &[&str]) -> Names {
    items.iter().map(|s| Name::from(*s)).collect()
}

/// Hands out one shared copy of each name and of each list of names.
#[derive(Debug, Default, Clone)]
struct Interner {
    names: HashSet<Name>,
    lists: HashSet<Names>,
}

impl Interner {
    fn name(&mut self, s: &str) -> Name {
        if let Some(n) = self.names.get(s) {
            return Arc::clone(n);
        }
        let n = Name::from(s);
        self.names.insert(Arc::clone(&n));
        n
    }

    fn list<'s>(&mut self, items: impl IntoIterator<Item = &'s str>) -> Names {
        let items: Vec<Name> = items.into_iter().map(|s| self.name(s)).collect();
        if let Some(l) = self.lists.get(items.as_slice()) {
            return Arc::clone(l);
        }
        let l = Names::from(items);
        self.lists.insert(Arc::clone(&l));
        l
    }
}

/// A ticket opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub at: Instant,
    pub team: Name,
    pub category: Name,
    pub requester: String,
    /// Opened by the customer (not an agent's outbound ticket).
    pub by_customer: bool,
    /// Every team the ticket had been assigned to within a day of its
    /// creation ([`creation_horizon`]): a team's volume includes the
    /// tickets that reached it after a misroute.
    pub teams: Names,
    /// A repeat contact: set by [`Facts::mark_repeat_contacts`].
    pub repeat: bool,
}

/// A solve event, with the route the ticket took to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Solve {
    pub at: Instant,
    /// The team that solved it.
    pub team: Name,
    pub category: Name,
    /// Teams in assignment order up to the solve; more than one means re-routed.
    pub route: Names,
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
    pub teams: Names,
    pub category: Name,
    pub ticket: String,
}

/// A customer's confirmation of a solve (DESIGN.md §3), at the confirming
/// event.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    pub at: Instant,
    pub teams: Names,
    pub category: Name,
}

/// One exchange's reply time (DESIGN.md §3), at the reply, in the business
/// time of the team that replied.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub at: Instant,
    pub teams: Names,
    pub category: Name,
    pub business: Seconds,
}

/// A CSAT answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub at: Instant,
    pub teams: Names,
    pub category: Name,
    pub satisfied: bool,
}

/// A low-score survey answer with a comment: the customer's own words.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub at: Instant,
    pub teams: Names,
    pub category: Name,
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
    pub team: Name,
    pub teams: Names,
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
    pub teams: Names,
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
    interner: Interner,
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
            interner: Interner::default(),
        }
    }
}

/// Where one team's facts are among the organisation's: the positions
/// of the records that count for it, in each list.
#[derive(Debug, Default)]
pub struct TeamRows {
    created: Vec<usize>,
    solves: Vec<usize>,
    reopens: Vec<usize>,
    confirmations: Vec<usize>,
    replies: Vec<usize>,
    ratings: Vec<usize>,
    comments: Vec<usize>,
    judgments: Vec<usize>,
    open: Vec<usize>,
}

impl<'a> Facts<'a> {
    /// Where each team's facts are (a ticket or solve under every team it
    /// went through), in one pass: a team's digest then reads its own, not
    /// every team's — with thousands of teams, scanning all facts for each
    /// made the digests quadratic. Positions rather than copies, so that
    /// only the team being written holds its records twice
    /// ([`Facts::select`]).
    pub fn rows_by_team(&self) -> HashMap<&str, TeamRows> {
        let mut out: HashMap<&str, TeamRows> = HashMap::new();
        macro_rules! under {
            ($list:ident, $r:ident => $teams:expr) => {
                for (i, $r) in self.$list.iter().enumerate() {
                    for t in $teams {
                        out.entry(t).or_default().$list.push(i);
                    }
                }
            };
        }
        under!(created, c => teams_of(&c.team, &c.teams));
        under!(solves, s => teams_of(&s.team, &s.route));
        under!(reopens, r => team_names(&r.teams));
        under!(confirmations, c => team_names(&c.teams));
        under!(replies, r => team_names(&r.teams));
        under!(ratings, r => team_names(&r.teams));
        under!(comments, c => team_names(&c.teams));
        under!(judgments, j => team_names(&j.teams));
        under!(open, o => team_names(&o.teams));
        out
    }

    /// The facts at `rows` (one team's, from [`Facts::rows_by_team`]).
    pub fn select(&self, rows: &TeamRows) -> Facts<'a> {
        fn pick<T: Clone>(all: &[T], at: &[usize]) -> Vec<T> {
            at.iter().filter_map(|&i| all.get(i).cloned()).collect()
        }
        Facts {
            created: pick(&self.created, &rows.created),
            solves: pick(&self.solves, &rows.solves),
            reopens: pick(&self.reopens, &rows.reopens),
            confirmations: pick(&self.confirmations, &rows.confirmations),
            replies: pick(&self.replies, &rows.replies),
            ratings: pick(&self.ratings, &rows.ratings),
            comments: pick(&self.comments, &rows.comments),
            judgments: pick(&self.judgments, &rows.judgments),
            open: pick(&self.open, &rows.open),
            ..Facts::new(self.window, self.as_of, self.slos)
        }
    }
}

/// The names of a list, each as a `&str`.
fn team_names(list: &Names) -> impl Iterator<Item = &str> {
    list.iter().map(|n| &**n)
}

/// `team` and every team in `more`, each once.
fn teams_of<'t>(team: &'t str, more: &'t [Name]) -> Vec<&'t str> {
    let mut all: Vec<&str> = std::iter::once(team)
        .chain(more.iter().map(|n| &**n))
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
        let mut last: HashMap<(&str, &str), Instant> = HashMap::new();
        let mut repeats = Vec::new();
        for i in order {
            let c = &self.created[i];
            let key = (c.requester.as_str(), &*c.category);
            let at = c.at;
            let repeat = last
                .get(&key)
                .is_some_and(|prev| at - *prev <= chrono::Duration::days(7));
            last.insert(key, at);
            repeats.push((i, repeat));
        }
        for (i, repeat) in repeats {
            self.created[i].repeat = repeat;
        }
    }
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
        let i = &mut self.interner;
        let category = i.name(ticket.category.as_deref().unwrap_or(NONE));
        for obs in &timeline.observations {
            if !self.window.contains(obs.at) {
                continue;
            }
            let team = i.name(obs.team.as_deref().unwrap_or(UNASSIGNED));
            let category = Arc::clone(&category);
            match obs.measure {
                Measure::Created => self.created.push(Created {
                    at: obs.at,
                    team: Arc::clone(&team),
                    category,
                    requester: ticket.requester_id.clone(),
                    by_customer: ticket.created_by == Creator::Customer,
                    teams: i.list(reached(
                        timeline,
                        creation_horizon(ticket.created_at, self.window.to),
                    )),
                    repeat: false,
                }),
                Measure::Solve(_) => self.solves.push(Solve {
                    at: obs.at,
                    team: Arc::clone(&team),
                    category,
                    route: i.list(timeline.route_until(obs.at)),
                }),
                Measure::Reopen => self.reopens.push(Reopen {
                    at: obs.at,
                    teams: i.list(reached(timeline, obs.at)),
                    category,
                    ticket: ticket.id.clone(),
                }),
                Measure::CustomerConfirmed => self.confirmations.push(Confirmation {
                    at: obs.at,
                    teams: i.list(reached(timeline, obs.at)),
                    category,
                }),
                Measure::Reply(e) => self.replies.push(Reply {
                    at: obs.at,
                    teams: i.list(reached(timeline, obs.at)),
                    category,
                    business: e.business,
                }),
                _ => {}
            }
            let mut teams = None;
            for (n, slo) in self.slos.iter().enumerate() {
                if let Some(breached) = slo.judge(ticket, obs) {
                    self.judgments.push(Judgment {
                        at: obs.at,
                        arrived: ticket.created_at,
                        team: Arc::clone(&team),
                        teams: Arc::clone(
                            teams.get_or_insert_with(|| i.list(reached(timeline, obs.at))),
                        ),
                        slo: n,
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
                teams: i.list([timeline.state.team.as_deref().unwrap_or(UNASSIGNED)]),
                status: entry.status,
                awaiting_first_response: entry.awaiting_first_response.is_some(),
            });
        }
        for s in surveys {
            if !self.window.contains(s.responded_at) {
                continue;
            }
            let teams = i.list(reached(timeline, s.responded_at));
            if let SurveyScore::Csat(v) = s.score {
                self.ratings.push(Rating {
                    at: s.responded_at,
                    teams: Arc::clone(&teams),
                    category: Arc::clone(&category),
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
                    category: Arc::clone(&category),
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
