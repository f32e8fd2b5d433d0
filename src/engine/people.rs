//! The people behind the service: headcount, leavers, turnover and tenure
//! (DESIGN.md §3 "People"), from the optional `support_agents` relation.
//!
//! Dates are the organisation's calendar days (`schedule.timezone`):
//! - **headcount of a day**: agents with `started_on ≤ day` and no
//!   `left_on < day` (an agent's last working day still counts);
//! - **leavers of a period**: agents whose `left_on` is one of its days;
//! - **turnover**: leavers ÷ the mean headcount of the period's days;
//! - **tenure** at the period's end (its last day): days since `started_on`
//!   of the agents employed then;
//! - an agent is **new** during their first 90 days (the day they start is
//!   day 0) and **established** after.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::model::{Agent, Instant, Period};

/// The first days of an agent's tenure that count as new.
pub const NEW_AGENT_DAYS: i64 = 90;

/// The `--by tenure` groups.
pub const NEW: &str = "new";
pub const ESTABLISHED: &str = "established";
/// An agent id the relation does not list.
pub const UNKNOWN: &str = "unknown";

/// What `report` shows as `people`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct People {
    /// Headcount on the period's last day.
    pub agents: u64,
    pub leavers: u64,
    /// Leavers ÷ mean daily headcount; `null` without headcount.
    pub turnover: Option<f64>,
    /// Of the agents employed on the last day; `null` without any.
    pub median_tenure_days: Option<f64>,
}

/// Whether `a` is employed on `day`.
pub fn employed(a: &Agent, day: NaiveDate) -> bool {
    a.started_on <= day && a.left_on.is_none_or(|left| left >= day)
}

/// The calendar days of `period` in `tz`: those whose start lies in it.
pub fn days(period: Period, tz: chrono_tz::Tz) -> Vec<NaiveDate> {
    let (first, last) = (
        period.from.with_timezone(&tz).date_naive(),
        (period.to - chrono::Duration::microseconds(1))
            .with_timezone(&tz)
            .date_naive(),
    );
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| {
            period.contains(crate::localtime::instant(
                tz,
                d.and_time(chrono::NaiveTime::MIN),
            ))
        })
        .collect()
}

/// The people numbers of `agents` over `days` (in order); `None` without
/// a day.
pub fn people<'a>(
    agents: impl Iterator<Item = &'a Agent> + Clone,
    days: &[NaiveDate],
) -> Option<People> {
    let last = *days.last()?;
    let headcount: u64 = days
        .iter()
        .map(|d| agents.clone().filter(|a| employed(a, *d)).count() as u64)
        .sum();
    let mean_headcount = headcount as f64 / days.len() as f64;
    let leavers = agents
        .clone()
        .filter(|a| a.left_on.is_some_and(|l| days.binary_search(&l).is_ok()))
        .count() as u64;
    let mut tenures: Vec<f64> = agents
        .clone()
        .filter(|a| employed(a, last))
        .map(|a| (last - a.started_on).num_days() as f64)
        .collect();
    Some(People {
        agents: tenures.len() as u64,
        leavers,
        turnover: (mean_headcount > 0.0).then(|| leavers as f64 / mean_headcount),
        median_tenure_days: crate::engine::stats::Summary::of(&mut tenures).p50,
    })
}

/// The agents by id, for the tenure of whoever held a ticket.
#[derive(Debug, Clone)]
pub struct Directory {
    by_id: HashMap<String, Agent>,
    /// Where an instant's day is taken.
    tz: chrono_tz::Tz,
}

impl Directory {
    pub fn new(agents: &[Agent], tz: chrono_tz::Tz) -> Directory {
        Directory {
            by_id: agents.iter().map(|a| (a.id.clone(), a.clone())).collect(),
            tz,
        }
    }

    /// The home team of agent `id`, if listed.
    pub fn team_of(&self, id: &str) -> Option<&str> {
        self.by_id.get(id).map(|a| a.team.as_str())
    }

    pub fn agents(&self) -> impl Iterator<Item = &Agent> + Clone {
        self.by_id.values()
    }

    /// `new` or `established` for agent `id` at instant `at`, `unknown`
    /// when the relation does not list them.
    pub fn tenure_group(&self, id: &str, at: Instant) -> &'static str {
        let Some(a) = self.by_id.get(id) else {
            return UNKNOWN;
        };
        let day = at.with_timezone(&self.tz).date_naive();
        if (day - a.started_on).num_days() < NEW_AGENT_DAYS {
            NEW
        } else {
            ESTABLISHED
        }
    }

    /// The people numbers per home team.
    pub fn by_team(&self, days: &[NaiveDate]) -> BTreeMap<String, People> {
        let mut teams: BTreeMap<String, Vec<&Agent>> = BTreeMap::new();
        for a in self.by_id.values() {
            teams.entry(a.team.clone()).or_default().push(a);
        }
        teams
            .into_iter()
            .filter_map(|(t, agents)| Some((t, people(agents.into_iter(), days)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::calendar::tests::t;

    fn agent(id: &str, team: &str, started: &str, left: Option<&str>) -> Agent {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        Agent {
            id: id.into(),
            team: team.into(),
            started_on: d(started),
            left_on: left.map(d),
        }
    }

    /// November 2026 (30 days), billing: a1 all month; a2 leaves on the
    /// 10th (employed the 1st–10th: 10 days); a3 joins on the 21st (10
    /// days); a4 left in October, a5 starts in December. Headcount-days
    /// 30 + 10 + 10 = 50, mean 50 / 30 = 1.667; 1 leaver: turnover 0.6.
    /// On the 30th: a1 (started 2025-11-30, 365 days) and a3 (9 days):
    /// median tenure 187 days.
    #[test]
    fn turnover_across_a_month_with_joiners_and_leavers_by_hand() {
        let agents = [
            agent("a1", "billing", "2025-11-30", None),
            agent("a2", "billing", "2024-01-01", Some("2026-11-10")),
            agent("a3", "billing", "2026-11-21", None),
            agent("a4", "billing", "2024-01-01", Some("2026-10-31")),
            agent("a5", "billing", "2026-12-01", None),
        ];
        let november = Period {
            from: t("2026-11-01T00:00:00Z"),
            to: t("2026-12-01T00:00:00Z"),
        };
        let days = days(november, chrono_tz::UTC);
        assert_eq!(days.len(), 30);
        let p = people(agents.iter(), &days).expect("days");
        assert_eq!((p.agents, p.leavers), (2, 1));
        assert!((p.turnover.expect("headcount") - 0.6).abs() < 1e-12);
        assert_eq!(p.median_tenure_days, Some(187.0));
        // A period with nobody employed: no turnover, no tenure.
        let p = people(agents[4..].iter(), &days).expect("days");
        assert_eq!(
            (p.agents, p.leavers, p.turnover, p.median_tenure_days),
            (0, 0, None, None)
        );
    }

    /// Paris days: the week of 2026-03-23 holds the spring change (a 23-hour
    /// Sunday), still seven days; an agent leaving on that Sunday leaves in
    /// the week.
    #[test]
    fn days_are_the_organisation_s_across_dst() {
        let tz = chrono_tz::Europe::Paris;
        let week = Period {
            from: t("2026-03-22T23:00:00Z"),
            to: t("2026-03-29T22:00:00Z"),
        };
        let d = days(week, tz);
        assert_eq!(d.len(), 7);
        assert_eq!(d[0].to_string(), "2026-03-23");
        assert_eq!(d[6].to_string(), "2026-03-29");
        let a = [agent("a", "t", "2020-01-01", Some("2026-03-29"))];
        let p = people(a.iter(), &d).expect("days");
        assert_eq!((p.agents, p.leavers), (1, 1), "employed on their last day");
    }

    #[test]
    fn new_agents_are_in_their_first_90_days() {
        let dir = Directory::new(&[agent("a", "t", "2026-09-01", None)], chrono_tz::UTC);
        // Day 89 (2026-11-29) is new; day 90 (2026-11-30) established.
        assert_eq!(dir.tenure_group("a", t("2026-11-29T23:00:00Z")), NEW);
        assert_eq!(
            dir.tenure_group("a", t("2026-11-30T00:00:00Z")),
            ESTABLISHED
        );
        assert_eq!(dir.tenure_group("b", t("2026-11-30T00:00:00Z")), UNKNOWN);
    }
}
