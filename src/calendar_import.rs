//! `import-calendars --preset zendesk_fivetran`: Zendesk's schedules (business
//! hours) and their holidays, as Fivetran lands them, turned into
//! `[calendars.*]` TOML, so business seconds here are Zendesk's.
//!
//! A Zendesk schedule is one `schedule` row per open interval, in minutes
//! from Sunday 00:00 in the schedule's zone (a Rails zone name such as
//! "Pacific Time (US & Canada)"); `schedule_holiday` holds whole days,
//! `start_date` to `end_date` inclusive. The `_utc` columns carry one fixed
//! offset and are wrong half the year: the local minutes and an IANA zone
//! are what keep DST right.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::NaiveDate;

use crate::db::Pool;
use crate::source::Source;

/// Zendesk zone names → IANA ids (Rails' `ActiveSupport::TimeZone::MAPPING`).
const TIME_ZONES: &str = include_str!("../config/sources/zendesk_fivetran/time_zones.tsv");

const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DAY: i64 = 1440;
const WEEK: i64 = 7 * DAY;

/// One Zendesk schedule as its rows hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    /// `[start, end)` in minutes from Sunday 00:00, local time.
    pub intervals: Vec<(i64, i64)>,
    /// `start_date..=end_date`.
    pub holidays: Vec<(NaiveDate, NaiveDate)>,
}

/// The IANA id of a Zendesk zone name; an IANA id is taken as it is.
fn iana(zone: &str) -> Option<String> {
    let known = TIME_ZONES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .find(|(name, _)| *name == zone)
        .map(|(_, id)| id.trim().to_string());
    known
        .or_else(|| zone.contains('/').then(|| zone.to_string()))
        .filter(|id| id.parse::<chrono_tz::Tz>().is_ok())
}

/// Longest holiday span taken as real (a typo'd end date is an error).
const MAX_HOLIDAY_DAYS: i64 = 366;

/// Each weekday's open pieces (minutes from that day's midnight): an
/// interval across midnight is split over the two days, one past Saturday
/// night wraps to Sunday; overlapping or touching pieces are merged (the
/// calendar parser refuses overlaps). Intervals must lie within
/// `0..=2 weeks` (checked by [`to_toml`]).
fn hours(intervals: &[(i64, i64)]) -> BTreeMap<usize, Vec<(i64, i64)>> {
    let mut days: BTreeMap<usize, Vec<(i64, i64)>> = BTreeMap::new();
    for &(start, end) in intervals {
        let mut day = start.div_euclid(DAY);
        while day * DAY < end {
            let (from, to) = (
                start.max(day * DAY) - day * DAY,
                end.min((day + 1) * DAY) - day * DAY,
            );
            if from < to {
                let weekday = (day * DAY).rem_euclid(WEEK) / DAY;
                days.entry(weekday as usize).or_default().push((from, to));
            }
            day += 1;
        }
    }
    for pieces in days.values_mut() {
        pieces.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(pieces.len());
        for &(a, b) in pieces.iter() {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *pieces = merged;
    }
    days
}

fn clock(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A TOML bare key from a schedule's name: `Paris Support` → `paris_support`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() {
        "schedule".into()
    } else {
        out
    }
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The calendars TOML of `schedules`, and for each team the calendar of
/// most of its tickets (`teams`: group name → schedule id). An unknown
/// zone is an error naming the schedule: never UTC by default.
pub fn to_toml(schedules: &[Schedule], teams: &[(String, i64)]) -> Result<String, String> {
    let mut out = String::new();
    let mut names: BTreeMap<i64, String> = BTreeMap::new();
    let mut taken = BTreeSet::new();
    let mut problems = Vec::new();
    for s in schedules {
        if let Some((a, b)) = s
            .intervals
            .iter()
            .find(|(a, b)| !(0 <= *a && a < b && *b <= 2 * WEEK))
        {
            problems.push(format!(
                "schedule {} \"{}\": interval {a}–{b} is not within a week (minutes from Sunday 00:00)",
                s.id, s.name
            ));
            continue;
        }
        if let Some((from, to)) = s
            .holidays
            .iter()
            .find(|(from, to)| to < from || (*to - *from).num_days() >= MAX_HOLIDAY_DAYS)
        {
            problems.push(format!(
                "schedule {} \"{}\": holiday {from} to {to} is not a span of 1 to {MAX_HOLIDAY_DAYS} days",
                s.id, s.name
            ));
            continue;
        }
        let Some(zone) = iana(&s.time_zone) else {
            problems.push(format!(
                "schedule {} \"{}\": time zone `{}` is neither a Zendesk zone name nor an IANA id",
                s.id, s.name, s.time_zone
            ));
            continue;
        };
        let mut name = slug(&s.name);
        if !taken.insert(name.clone()) {
            name = format!("{name}_{}", s.id);
            taken.insert(name.clone());
        }
        let days: Vec<String> = hours(&s.intervals)
            .iter()
            .map(|(d, pieces)| {
                let spans: Vec<String> = pieces
                    .iter()
                    .map(|(a, b)| format!("{}-{}", clock(*a), clock(*b)))
                    .collect();
                format!("{} = \"{}\"", WEEKDAYS[*d], spans.join(","))
            })
            .collect();
        let mut holidays = BTreeSet::new();
        for &(from, to) in &s.holidays {
            holidays.extend(from.iter_days().take_while(|d| *d <= to));
        }
        let holidays: Vec<String> = holidays.iter().map(|d| format!("\"{d}\"")).collect();
        let _ = writeln!(
            out,
            "# Zendesk schedule {} {} ({})\n[calendars.{name}]\ntimezone = {}\nhours = {{ {} }}\nholidays = [{}]\n",
            s.id,
            quoted(&s.name),
            s.time_zone,
            quoted(&zone),
            days.join(", "),
            holidays.join(", ")
        );
        names.insert(s.id, name);
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let teams: Vec<String> = teams
        .iter()
        .filter_map(|(team, id)| Some(format!("{} = {}", quoted(team), quoted(names.get(id)?))))
        .collect();
    if !teams.is_empty() {
        let _ = writeln!(
            out,
            "# Each group's calendar: the schedule most of its tickets had (ticket_schedule).\n\
             # Teams not listed use [calendars.default] when there is one.\n[team_calendars]\n{}",
            teams.join("\n")
        );
    }
    Ok(out)
}

/// `id, name, time_zone, start_time, end_time` of one `schedule` row.
type IntervalRow = (i64, Option<String>, Option<String>, i64, i64);

/// Reads the schedules, holidays and each group's most used schedule from
/// a Fivetran Zendesk schema through `source`.
pub async fn read_zendesk(source: &Source) -> anyhow::Result<(Vec<Schedule>, Vec<(String, i64)>)> {
    let Pool::Postgres(pool) = source.pool() else {
        anyhow::bail!(
            "Zendesk's tables synced by Fivetran are read from PostgreSQL; source.url is another database"
        );
    };
    let rows: Vec<IntervalRow> = sqlx::query_as(
        "SELECT CAST(id AS bigint), name, time_zone, CAST(start_time AS bigint), CAST(end_time AS bigint) \
           FROM schedule WHERE NOT COALESCE(_fivetran_deleted, false) ORDER BY id, start_time",
    )
    .fetch_all(pool)
    .await
    .map_err(|e| anyhow::anyhow!("cannot read Zendesk's schedule table: {e}"))?;
    let holidays: Vec<(i64, NaiveDate, NaiveDate)> = sqlx::query_as(
        "SELECT CAST(schedule_id AS bigint), CAST(start_date AS date), CAST(end_date AS date) \
           FROM schedule_holiday \
          WHERE NOT COALESCE(_fivetran_deleted, false) AND start_date IS NOT NULL AND end_date IS NOT NULL",
    )
    .fetch_all(pool)
    .await
    .map_err(|e| anyhow::anyhow!("cannot read Zendesk's schedule_holiday table: {e}"))?;
    let teams: Vec<(String, i64)> = sqlx::query_as(
        "SELECT DISTINCT ON (g.name) g.name, CAST(ts.schedule_id AS bigint) \
           FROM ticket_schedule ts \
           JOIN ticket t ON t.id = ts.ticket_id \
           JOIN \"group\" g ON g.id = t.group_id \
          WHERE ts.schedule_id IS NOT NULL \
          GROUP BY g.name, ts.schedule_id \
          ORDER BY g.name, count(*) DESC, ts.schedule_id",
    )
    .fetch_all(pool)
    .await
    .map_err(|e| anyhow::anyhow!("cannot read Zendesk's ticket_schedule table: {e}"))?;
    let mut schedules: Vec<Schedule> = Vec::new();
    for (id, name, zone, start, end) in rows {
        if schedules.last().is_none_or(|s| s.id != id) {
            schedules.push(Schedule {
                id,
                name: name.unwrap_or_else(|| format!("schedule {id}")),
                time_zone: zone.unwrap_or_default(),
                intervals: Vec::new(),
                holidays: Vec::new(),
            });
        }
        if let Some(s) = schedules.last_mut() {
            s.intervals.push((start, end));
        }
    }
    for (id, from, to) in holidays {
        if let Some(s) = schedules.iter_mut().find(|s| s.id == id) {
            s.holidays.push((from, to));
        }
    }
    Ok((schedules, teams))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn intervals_become_weekday_hours_split_at_midnight_and_the_week_wraps() {
        // Mon 18:00–24:00; Tue 22:00 → Wed 06:00; Sat 22:00 → Sun 02:00.
        let night = hours(&[(2520, 2880), (4200, 4680), (9960, 10200)]);
        let want: BTreeMap<usize, Vec<(i64, i64)>> = [
            (0, vec![(0, 120)]),
            (1, vec![(1080, 1440)]),
            (2, vec![(1320, 1440)]),
            (3, vec![(0, 360)]),
            (6, vec![(1320, 1440)]),
        ]
        .into_iter()
        .collect();
        assert_eq!(night, want);
    }

    #[test]
    fn zendesk_schedules_print_as_calendars() {
        let paris = Schedule {
            id: 7001,
            name: "Paris Support".into(),
            time_zone: "Paris".into(),
            intervals: vec![
                (1980, 2520),
                (3420, 3960),
                (4860, 5070),
                (5130, 5400),
                (6300, 6840),
                (7740, 8280),
            ],
            holidays: vec![
                (date("2026-01-01"), date("2026-01-01")),
                (date("2026-12-24"), date("2026-12-26")),
            ],
        };
        let night = Schedule {
            id: 7002,
            name: "Night desk".into(),
            time_zone: "Eastern Time (US & Canada)".into(),
            intervals: vec![(2520, 2880), (4200, 4680), (9960, 10200)],
            holidays: vec![(date("2026-11-26"), date("2026-11-27"))],
        };
        let toml = to_toml(
            &[paris, night],
            &[("Billing".into(), 7001), ("Ghost".into(), 9)],
        )
        .expect("toml");
        assert!(toml.contains(
            "[calendars.paris_support]\ntimezone = \"Europe/Paris\"\n\
             hours = { mon = \"09:00-18:00\", tue = \"09:00-18:00\", wed = \"09:00-12:30,13:30-18:00\", \
             thu = \"09:00-18:00\", fri = \"09:00-18:00\" }\n\
             holidays = [\"2026-01-01\", \"2026-12-24\", \"2026-12-25\", \"2026-12-26\"]\n"
        ), "{toml}");
        assert!(toml.contains(
            "[calendars.night_desk]\ntimezone = \"America/New_York\"\n\
             hours = { sun = \"00:00-02:00\", mon = \"18:00-24:00\", tue = \"22:00-24:00\", \
             wed = \"00:00-06:00\", sat = \"22:00-24:00\" }\nholidays = [\"2026-11-26\", \"2026-11-27\"]\n"
        ), "{toml}");
        // A group whose schedule is not printed gets no entry.
        assert!(
            toml.contains("[team_calendars]\n\"Billing\" = \"paris_support\"")
                && !toml.contains("Ghost")
        );
    }

    #[test]
    fn an_unknown_zone_is_an_error_naming_the_schedule() {
        let odd = Schedule {
            id: 5,
            name: "Mars".into(),
            time_zone: "Olympus Mons".into(),
            intervals: vec![(1980, 2520)],
            holidays: Vec::new(),
        };
        let e = to_toml(&[odd], &[]).expect_err("unknown zone");
        assert!(
            e.contains("schedule 5 \"Mars\": time zone `Olympus Mons`"),
            "{e}"
        );
        assert_eq!(iana("Europe/Berlin").as_deref(), Some("Europe/Berlin"));
        assert_eq!(
            iana("Pacific Time (US & Canada)").as_deref(),
            Some("America/Los_Angeles")
        );
        assert_eq!(slug("  Tier 1 / EMEA "), "tier_1_emea");
        let broken = Schedule {
            id: 6,
            name: "Typo".into(),
            time_zone: "Paris".into(),
            intervals: vec![(1980, i64::MAX)],
            holidays: Vec::new(),
        };
        let e = to_toml(&[broken], &[]).expect_err("bad interval");
        assert!(e.contains("schedule 6 \"Typo\": interval 1980–"), "{e}");
        let long = Schedule {
            id: 7,
            name: "Forever".into(),
            time_zone: "Paris".into(),
            intervals: vec![(1980, 2520)],
            holidays: vec![(date("2026-01-01"), date("9999-12-31"))],
        };
        let e = to_toml(&[long], &[]).expect_err("endless holiday");
        assert!(e.contains("holiday 2026-01-01 to 9999-12-31"), "{e}");
        // Overlapping intervals (Mon 09–12 and 11–18) print as one.
        assert_eq!(hours(&[(1980, 2160), (2100, 2520)])[&1], vec![(540, 1080)]);
    }
}
