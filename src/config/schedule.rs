//! `[schedule]`, `[calendars.*]` and `[team_calendars]`: when the jobs
//! run, and the business hours durations are measured in.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Deserialize;

use super::parse_cron;
use crate::engine::calendar::{
    Calendar, Calendars, OpenInterval, WeeklyHours, parse_day_hours, parse_weekday,
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    timezone: Option<String>,
    collect: Option<String>,
    kpi: Option<String>,
    digest: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCalendar {
    timezone: String,
    #[serde(default)]
    hours: BTreeMap<String, String>,
    #[serde(default)]
    holidays: Vec<String>,
}

/// When each job runs: cron expressions (with a seconds field) in `timezone`.
#[derive(Debug, Clone)]
pub struct ScheduleSettings {
    pub collect: cron::Schedule,
    pub kpi: cron::Schedule,
    pub digest: cron::Schedule,
}

/// `sec min hour day-of-month month day-of-week`: every minute, at :00.
pub const DEFAULT_COLLECT_CRON: &str = "0 * * * * *";
/// Every 15 minutes.
pub const DEFAULT_KPI_CRON: &str = "0 */15 * * * *";
/// Mondays at 08:00.
pub const DEFAULT_DIGEST_CRON: &str = "0 0 8 * * Mon";

impl Default for ScheduleSettings {
    fn default() -> Self {
        // Constants, not input: a unit test parses both.
        ScheduleSettings {
            collect: parse_cron(DEFAULT_COLLECT_CRON).expect("DEFAULT_COLLECT_CRON is valid"),
            kpi: parse_cron(DEFAULT_KPI_CRON).expect("DEFAULT_KPI_CRON is valid"),
            digest: parse_cron(DEFAULT_DIGEST_CRON).expect("DEFAULT_DIGEST_CRON is valid"),
        }
    }
}

/// `[schedule]` validated: the jobs' cron expressions and the
/// organisation's time zone (UTC unless set).
pub(super) fn validate_schedule(
    raw: RawSchedule,
    problems: &mut Vec<String>,
) -> (ScheduleSettings, Tz) {
    let mut settings = ScheduleSettings::default();
    let mut timezone = Tz::UTC;
    for (key, value, slot) in [
        ("collect", raw.collect, &mut settings.collect),
        ("kpi", raw.kpi, &mut settings.kpi),
        ("digest", raw.digest, &mut settings.digest),
    ] {
        if let Some(expr) = value {
            match parse_cron(&expr) {
                Ok(s) => *slot = s,
                Err(e) => problems.push(format!("schedule.{key}: {e}")),
            }
        }
    }
    if let Some(tz) = raw.timezone {
        match tz.parse::<Tz>() {
            Ok(tz) => timezone = tz,
            Err(_) => problems.push(format!(
                "schedule.timezone: `{tz}` is not an IANA time zone (e.g. Europe/Paris)"
            )),
        }
    }
    (settings, timezone)
}

/// `[calendars.*]` and `[team_calendars]` validated: the calendar named
/// `default` for every team without one of its own (always open without it).
pub(super) fn validate_calendars(
    raw: &BTreeMap<String, RawCalendar>,
    team_calendars: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> Calendars {
    let mut calendars: HashMap<String, Calendar> = HashMap::new();
    for (name, cal) in raw {
        if let Some(c) = validate_calendar(&format!("calendars.{name}"), cal, problems) {
            calendars.insert(name.clone(), c);
        }
    }
    let mut by_team = HashMap::new();
    for (team, cal_name) in team_calendars {
        match calendars.get(cal_name) {
            Some(c) => {
                by_team.insert(team.clone(), c.clone());
            }
            // An invalid calendar was reported already.
            None if raw.contains_key(cal_name) => {}
            None => problems.push(format!(
                "team_calendars.{team}: no calendar named `{cal_name}` under [calendars]"
            )),
        }
    }
    let default = calendars
        .get("default")
        .cloned()
        .unwrap_or(Calendar::AlwaysOpen);
    Calendars::new(default, by_team)
}

fn validate_calendar(at: &str, raw: &RawCalendar, problems: &mut Vec<String>) -> Option<Calendar> {
    let before = problems.len();
    let timezone = raw.timezone.parse::<Tz>().map_err(|_| {
        problems.push(format!(
            "{at}.timezone: `{}` is not an IANA time zone (e.g. Europe/Paris)",
            raw.timezone
        ));
    });
    let mut days: [Vec<OpenInterval>; 7] = Default::default();
    for (key, spec) in &raw.hours {
        let Some(day) = parse_weekday(key) else {
            problems.push(format!(
                "{at}.hours.{key}: not a weekday; expected mon, tue, wed, thu, fri, sat or sun"
            ));
            continue;
        };
        match parse_day_hours(spec) {
            Ok(ivs) => days[day.num_days_from_monday() as usize] = ivs,
            Err(e) => problems.push(format!("{at}.hours.{key}: {e}")),
        }
    }
    let mut holidays = std::collections::BTreeSet::new();
    for (i, h) in raw.holidays.iter().enumerate() {
        match NaiveDate::parse_from_str(h, "%Y-%m-%d") {
            Ok(d) => {
                holidays.insert(d);
            }
            Err(_) => problems.push(format!(
                "{at}.holidays[{i}]: `{h}` is not a date; expected YYYY-MM-DD"
            )),
        }
    }
    if raw.hours.is_empty() {
        problems.push(format!(
            "{at}.hours: no open hours; a calendar needs at least one weekday"
        ));
    }
    match timezone {
        Ok(timezone) if problems.len() == before => Some(Calendar::Hours(WeeklyHours {
            timezone,
            days,
            holidays,
        })),
        _ => None,
    }
}
