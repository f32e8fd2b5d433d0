//! The digest's team-health section (DESIGN.md §3 "People"): the team's
//! engagement pulse against the one before, who left this month, and how
//! new agents' tickets went against the others' — after the
//! customer-facing issues, only with the data for it, and never one
//! person's numbers.

use std::collections::{BTreeMap, HashSet};

use chrono::Datelike as _;

use crate::engine::engagement::EngagementTally;
use crate::engine::people::{self, Directory};
use crate::engine::stats::Summary;
use crate::engine::surveys::CsatTally;
use crate::engine::timeline::{Measure, Timeline};
use crate::model::{
    Agent, EngagementAnswer, EngagementResponse, Instant, Period, SurveyResponse, SurveyScore,
};

/// Weeks of one engagement pulse: the digest compares the answers of the 4
/// weeks ending with its week with those of the 4 weeks before.
pub const PULSE_WEEKS: i64 = 4;

/// Fewest people behind a team-health number: a pulse answered by fewer,
/// or new agents fewer than this, would show someone's own scores.
pub const MIN_PEOPLE: usize = 3;

/// One pulse's eNPS and engagement index, each only when at least
/// [`MIN_PEOPLE`] people gave it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pulse {
    pub enps: Option<f64>,
    pub index: Option<f64>,
    /// People who answered.
    pub people: usize,
}

/// How one group of agents' tickets went in the week. Each number rests on
/// at least [`MIN_PEOPLE`] agents, or is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Agents with a measurement in the week.
    pub agents: usize,
    /// Median first response and reply time, business seconds.
    pub first_response: Option<f64>,
    pub reply: Option<f64>,
    pub csat: Option<f64>,
}

/// The section of one scope; each part `None` without its data.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamHealth {
    /// The latest pulse and the one before it.
    pub pulse: Option<(Pulse, Option<Pulse>)>,
    /// Who left lately, and the agents employed at the week's end (both of
    /// the scope's home team).
    pub leavers: Option<Leavers>,
    /// New agents (first 90 days) against the others, when at least
    /// [`MIN_PEOPLE`] new agents had tickets; `Err(n)`: only `n` did.
    pub newcomers: Option<Result<(Group, Group), usize>>,
}

/// Agents whose last day fell in the month so far or, when the week began
/// in the month before, in the week: each leaver is named by one weekly
/// digest (the last days of a month are in the next month's first week).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leavers {
    pub left: u64,
    pub employed: u64,
    /// The span counted is the week (it began in the month before).
    pub this_week: bool,
}

impl TeamHealth {
    pub fn is_empty(&self) -> bool {
        self.pulse.is_none() && self.leavers.is_none() && self.newcomers.is_none()
    }
}

/// A group's values of one measure and the agents behind them.
#[derive(Debug, Default, Clone)]
struct Values {
    agents: HashSet<String>,
    values: Vec<f64>,
}

impl Values {
    fn add(&mut self, agent: &str, v: f64) {
        self.agents.insert(agent.to_string());
        self.values.push(v);
    }

    fn merge(&mut self, other: &Values) {
        self.agents.extend(other.agents.iter().cloned());
        self.values.extend(&other.values);
    }

    /// Enough agents that the number is no one's own.
    fn shown(&self) -> bool {
        self.agents.len() >= MIN_PEOPLE
    }

    fn median(&self) -> Option<f64> {
        self.shown()
            .then(|| Summary::of(&mut self.values.clone()).p50)
            .flatten()
    }
}

#[derive(Debug, Default)]
struct Tally {
    first_response: Values,
    reply: Values,
    /// CSAT answers as 1 (satisfied) or 0.
    csat: Values,
}

impl Tally {
    fn agents(&self) -> usize {
        let mut all: HashSet<&String> = self.first_response.agents.iter().collect();
        all.extend(&self.reply.agents);
        all.extend(&self.csat.agents);
        all.len()
    }

    fn group(&self) -> Group {
        let csat = &self.csat;
        Group {
            agents: self.agents(),
            first_response: self.first_response.median(),
            reply: self.reply.median(),
            csat: csat
                .shown()
                .then(|| {
                    CsatTally {
                        responses: csat.values.len() as u64,
                        satisfied: csat.values.iter().filter(|v| **v > 0.5).count() as u64,
                    }
                    .ratio()
                })
                .flatten(),
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.first_response.merge(&other.first_response);
        self.reply.merge(&other.reply);
        self.csat.merge(&other.csat);
    }
}

/// Collects the week's measurements by the assignee's home team and
/// tenure (a digest [`crate::report::scan::Visitor`] feeds it).
#[derive(Debug)]
pub struct Newcomers<'a> {
    week: Period,
    directory: &'a Directory,
    /// (home team, new?) → the group's measurements.
    by: BTreeMap<(String, bool), Tally>,
}

impl<'a> Newcomers<'a> {
    pub fn new(week: Period, directory: &'a Directory) -> Newcomers<'a> {
        Newcomers {
            week,
            directory,
            by: BTreeMap::new(),
        }
    }

    fn tally(&mut self, agent: &str, at: Instant) -> Option<&mut Tally> {
        let team = self.directory.team_of(agent)?.to_string();
        let new = self.directory.tenure_group(agent, at) == people::NEW;
        Some(self.by.entry((team, new)).or_default())
    }

    pub fn ticket(&mut self, timeline: &Timeline, surveys: &[SurveyResponse]) {
        let week = self.week;
        for obs in timeline.observations.iter().filter(|o| week.contains(o.at)) {
            let value = match obs.measure {
                Measure::FirstResponse(e, _) => (true, e.business.0),
                Measure::Reply(e) => (false, e.business.0),
                _ => continue,
            };
            let Some(agent) = obs.agent.as_deref() else {
                continue;
            };
            if let Some(t) = self.tally(agent, obs.at) {
                match value {
                    (true, v) => t.first_response.add(agent, v),
                    (false, v) => t.reply.add(agent, v),
                }
            }
        }
        for s in surveys.iter().filter(|s| week.contains(s.responded_at)) {
            if let SurveyScore::Csat(v) = s.score
                && let Some(agent) = timeline.agent_at(s.responded_at)
                && let Some(t) = self.tally(agent, s.responded_at)
            {
                let satisfied = crate::engine::surveys::is_satisfied(v);
                t.csat.add(agent, f64::from(u8::from(satisfied)));
            }
        }
    }

    /// New against established agents of `team` (every team with `None`):
    /// only when both groups have at least [`MIN_PEOPLE`] agents with
    /// tickets, and each number of a group only from that many.
    fn groups(&self, team: Option<&str>) -> Option<Result<(Group, Group), usize>> {
        let mut new = Tally::default();
        let mut established = Tally::default();
        for ((t, is_new), tally) in &self.by {
            if team.is_some_and(|team| team != t) {
                continue;
            }
            if *is_new {
                new.merge(tally);
            } else {
                established.merge(tally);
            }
        }
        match (new.agents(), established.agents()) {
            (0, _) => None,
            (n, others) if n < MIN_PEOPLE || others < MIN_PEOPLE => Some(Err(n)),
            _ => Some(Ok((new.group(), established.group()))),
        }
    }
}

/// The same wall-clock time `n` weeks before `at`, in `tz` (a week across
/// a clock change is 167 or 169 hours).
pub fn weeks_before(at: Instant, n: i64, tz: chrono_tz::Tz) -> Instant {
    let local = at.with_timezone(&tz).naive_local();
    crate::localtime::instant(tz, local - chrono::Duration::weeks(n))
}

/// The team-health section of `team` (`None`: every team) for the week
/// `week`: `engagement` the answers since two pulses before its end,
/// `agents` the staff if the source lists them.
pub fn section(
    team: Option<&str>,
    week: Period,
    tz: chrono_tz::Tz,
    engagement: &[EngagementResponse],
    agents: Option<&[Agent]>,
    newcomers: Option<&Newcomers>,
) -> TeamHealth {
    let pulse_from = weeks_before(week.to, PULSE_WEEKS, tz);
    let before_from = weeks_before(week.to, 2 * PULSE_WEEKS, tz);
    let pulse = |from: Instant, to: Instant| {
        let mut tally = EngagementTally::default();
        // Who gave each number: the eNPS question, the other items.
        let (mut enps, mut items) = (HashSet::new(), HashSet::new());
        for e in engagement.iter().filter(|e| {
            e.responded_at >= from && e.responded_at < to && team.is_none_or(|t| e.team == t)
        }) {
            tally.add(&e.answer);
            match e.answer {
                EngagementAnswer::Enps(_) => enps.insert(e.employee_id.as_str()),
                EngagementAnswer::Likert { .. } => items.insert(e.employee_id.as_str()),
            };
        }
        let people = enps.union(&items).count();
        (people >= MIN_PEOPLE).then(|| Pulse {
            enps: tally.enps.score().filter(|_| enps.len() >= MIN_PEOPLE),
            index: tally.index().filter(|_| items.len() >= MIN_PEOPLE),
            people,
        })
    };
    // The month so far: from the 1st of the month of the week's last day,
    // or the week's first day when that is earlier.
    let leavers = agents.and_then(|agents| {
        let last = (week.to - chrono::Duration::microseconds(1))
            .with_timezone(&tz)
            .date_naive();
        let month_start = last.with_day0(0).unwrap_or(last);
        let from = crate::localtime::instant(tz, month_start.and_time(chrono::NaiveTime::MIN));
        let span = Period {
            from: from.min(week.from),
            to: week.to,
        };
        let of_team = agents.iter().filter(|a| team.is_none_or(|t| a.team == t));
        let p = people::people(of_team, &people::days(span, tz))?;
        Some(Leavers {
            left: p.leavers,
            employed: p.agents,
            this_week: week.from < from,
        })
    });
    TeamHealth {
        pulse: pulse(pulse_from, week.to).map(|now| (now, pulse(before_from, pulse_from))),
        // A team the staff list does not know has no line.
        leavers: leavers.filter(|l| l.left + l.employed > 0),
        newcomers: newcomers.and_then(|n| n.groups(team)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::calendar::tests::t;
    use crate::model::EngagementAnswer;

    fn answer(team: &str, who: &str, at: &str, answer: EngagementAnswer) -> EngagementResponse {
        EngagementResponse {
            id: format!("{who}-{at}"),
            employee_id: who.into(),
            team: team.into(),
            responded_at: t(at),
            answer,
        }
    }

    /// Week 2026-W48 (Nov 23–30). The pulse of the last 4 weeks: three
    /// billing people answer eNPS 10, 9 and 3 (2 promoters, 1 detractor of
    /// 3: +33.3) and one Likert 4 (b3's alone: not shown); the 4 weeks
    /// before: 10, 6, 6 (−33.3).
    /// Two tech people only: too few to show.
    #[test]
    fn the_pulse_against_the_one_before_from_three_people() {
        let week = Period {
            from: t("2026-11-23T00:00:00Z"),
            to: t("2026-11-30T00:00:00Z"),
        };
        let e = EngagementAnswer::Enps;
        let mut answers = vec![
            answer("billing", "b1", "2026-11-25T09:00:00Z", e(10)),
            answer("billing", "b2", "2026-11-25T09:00:00Z", e(9)),
            answer("billing", "b3", "2026-11-25T09:00:00Z", e(3)),
            answer(
                "billing",
                "b3",
                "2026-11-25T09:00:00Z",
                EngagementAnswer::Likert {
                    item: "tools".into(),
                    score: 4,
                },
            ),
            answer("billing", "b1", "2026-10-28T09:00:00Z", e(10)),
            answer("billing", "b2", "2026-10-28T09:00:00Z", e(6)),
            answer("billing", "b3", "2026-10-28T09:00:00Z", e(6)),
            answer("tech", "t1", "2026-11-25T09:00:00Z", e(10)),
            answer("tech", "t2", "2026-11-25T09:00:00Z", e(10)),
        ];
        let h = section(Some("billing"), week, chrono_tz::UTC, &answers, None, None);
        let (now, before) = h.pulse.expect("a pulse");
        assert!((now.enps.expect("eNPS") - 100.0 / 3.0).abs() < 1e-9);
        // The one Likert answer is b3's own: no index.
        assert_eq!((now.index, now.people), (None, 3));
        assert!((before.expect("the pulse before").enps.expect("eNPS") + 100.0 / 3.0).abs() < 1e-9);
        assert_eq!((h.leavers, &h.newcomers), (None, &None));
        assert!(section(Some("tech"), week, chrono_tz::UTC, &answers, None, None).is_empty());
        // Everyone, with only the first three answers: 3 people.
        answers.truncate(3);
        let all = section(None, week, chrono_tz::UTC, &answers, None, None);
        assert_eq!(
            all.pulse.map(|(p, before)| (p.people, before)),
            Some((3, None))
        );
    }

    /// Three new agents against two others: not compared (two people's
    /// numbers). With a third: compared, but the new agents' CSAT rests on
    /// one agent's answers and is not shown.
    #[test]
    fn no_number_rests_on_fewer_than_three_agents() {
        let week = Period {
            from: t("2026-11-23T00:00:00Z"),
            to: t("2026-11-30T00:00:00Z"),
        };
        let dir = Directory::new(&[], chrono_tz::UTC);
        let mut n = Newcomers::new(week, &dir);
        let mut new = Tally::default();
        for (a, v) in [("n1", 600.0), ("n2", 1200.0), ("n3", 60.0)] {
            new.first_response.add(a, v);
        }
        new.csat.add("n1", 1.0);
        new.csat.add("n1", 0.0);
        let mut others = Tally::default();
        for a in ["e1", "e2"] {
            others.first_response.add(a, 300.0);
            others.csat.add(a, 1.0);
        }
        n.by.insert(("t".into(), true), new);
        n.by.insert(("t".into(), false), others);
        assert_eq!(n.groups(Some("t")), Some(Err(3)));
        if let Some(t) = n.by.get_mut(&("t".to_string(), false)) {
            t.first_response.add("e3", 900.0);
            t.csat.add("e3", 0.0);
        }
        let Some(Ok((new, others))) = n.groups(Some("t")) else {
            panic!("compared: {:?}", n.groups(Some("t")));
        };
        assert_eq!(
            (new.agents, new.first_response, new.csat),
            (3, Some(600.0), None)
        );
        // 300, 300, 900: median 300; CSAT 2 of 3.
        assert_eq!(others.first_response, Some(300.0));
        assert!((others.csat.unwrap_or(0.0) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(n.groups(Some("elsewhere")), None);
    }

    /// A pulse's eNPS needs three people who answered it, its index three
    /// who answered the items.
    #[test]
    fn a_pulse_number_needs_three_people_behind_it() {
        let week = Period {
            from: t("2026-11-23T00:00:00Z"),
            to: t("2026-11-30T00:00:00Z"),
        };
        let likert = |score| EngagementAnswer::Likert {
            item: "tools".into(),
            score,
        };
        let answers = [
            answer(
                "b",
                "b1",
                "2026-11-25T09:00:00Z",
                EngagementAnswer::Enps(10),
            ),
            answer(
                "b",
                "b2",
                "2026-11-25T09:00:00Z",
                EngagementAnswer::Enps(10),
            ),
            answer("b", "b3", "2026-11-25T09:00:00Z", EngagementAnswer::Enps(0)),
            answer("b", "b1", "2026-11-25T09:00:00Z", likert(5)),
        ];
        let (p, _) = section(Some("b"), week, chrono_tz::UTC, &answers, None, None)
            .pulse
            .expect("three people answered");
        assert!(p.enps.is_some());
        assert_eq!(p.index, None, "one person's items");
    }

    #[test]
    fn leavers_this_month_of_the_team() {
        let week = Period {
            from: t("2026-11-23T00:00:00Z"),
            to: t("2026-11-30T00:00:00Z"),
        };
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let agent = |id: &str, team: &str, left: Option<&str>| Agent {
            id: id.into(),
            team: team.into(),
            started_on: d("2024-01-01").unwrap_or_default(),
            left_on: left.and_then(d),
        };
        // b2 left on Nov 8 (this month), b3 on Oct 31 (last month), b4 on
        // Dec 5 (still employed on the 29th).
        let agents = [
            agent("b1", "billing", None),
            agent("b2", "billing", Some("2026-11-08")),
            agent("b3", "billing", Some("2026-10-31")),
            agent("b4", "billing", Some("2026-12-05")),
            agent("t1", "tech", Some("2026-11-20")),
        ];
        // (left, employed at the end, the span is the week) of `team`.
        let counts = |team: Option<&str>, week: Period, agents: &[Agent]| {
            section(team, week, chrono_tz::UTC, &[], Some(agents), None)
                .leavers
                .map(|l| (l.left, l.employed, l.this_week))
        };
        assert_eq!(counts(Some("billing"), week, &agents), Some((1, 2, false)));
        assert_eq!(counts(None, week, &agents), Some((2, 2, false)));
        // The week of Nov 30 – Dec 6: its Monday is November's last day.
        // b5 left on it (named by no November digest), b4 on Dec 5; b2 is
        // no longer this span's.
        let week = Period {
            from: t("2026-11-30T00:00:00Z"),
            to: t("2026-12-07T00:00:00Z"),
        };
        let mut agents = agents.to_vec();
        agents.push(agent("b5", "billing", Some("2026-11-30")));
        // b1 alone is employed on Dec 6.
        assert_eq!(counts(Some("billing"), week, &agents), Some((2, 1, true)));
    }
}
