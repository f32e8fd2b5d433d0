//! Business calendars and business seconds.
//!
//! DESIGN.md §3: *Business seconds* are seconds inside the open hours of the
//! ticket's team calendar (IANA time zone, one or more open intervals per
//! weekday, `24:00` for midnight, holidays; DST-correct), falling back to the
//! default calendar. Without any calendar configured, business seconds equal
//! calendar seconds (never 0).
//!
//! Open hours are wall-clock times in the calendar's zone, so a day of
//! `00:00-24:00` lasts 23 hours on the spring DST change and 25 on the autumn
//! one. Wall-clock times become instants by [`crate::localtime`]: one that
//! does not exist (inside the spring gap) means
//! the first instant after the gap; an ambiguous one (autumn) its first
//! occurrence. Pure: no clock, no I/O.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use chrono_tz::Tz;

use crate::model::{Instant, Seconds};

/// An open interval of one weekday, in minutes since local midnight:
/// `start < end <= 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenInterval {
    pub start_minute: u32,
    pub end_minute: u32,
}

/// Weekly open hours in one time zone, with holidays (local dates).
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyHours {
    pub timezone: Tz,
    /// Indexed by `Weekday::num_days_from_monday()`; sorted, non-overlapping.
    pub days: [Vec<OpenInterval>; 7],
    pub holidays: BTreeSet<NaiveDate>,
}

/// A business calendar.
#[derive(Debug, Clone, PartialEq)]
pub enum Calendar {
    /// No calendar configured: every second is a business second.
    AlwaysOpen,
    Hours(WeeklyHours),
}

impl Calendar {
    /// Business seconds in `[from, to)`; zero when `to <= from`.
    pub fn business_seconds(&self, from: Instant, to: Instant) -> Seconds {
        if to <= from {
            return Seconds::ZERO;
        }
        match self {
            Calendar::AlwaysOpen => Seconds::between(from, to),
            Calendar::Hours(hours) => hours.business_seconds(from, to),
        }
    }

    /// Open at `at`: the minute that starts there holds business time.
    pub fn is_open(&self, at: Instant) -> bool {
        self.business_seconds(at, at + chrono::Duration::minutes(1))
            .0
            > 0.0
    }
}

impl WeeklyHours {
    fn business_seconds(&self, from: Instant, to: Instant) -> Seconds {
        // One day of margin on each side covers any UTC offset.
        let first = from.with_timezone(&self.timezone).date_naive().pred_opt();
        let last = to.with_timezone(&self.timezone).date_naive().succ_opt();
        let (Some(first), Some(last)) = (first, last) else {
            return Seconds::ZERO; // only at chrono's date limits
        };
        let mut total = 0.0;
        for day in first.iter_days().take_while(|d| *d <= last) {
            if self.holidays.contains(&day) {
                continue;
            }
            for iv in &self.days[day.weekday().num_days_from_monday() as usize] {
                let open = self.local_instant(day, iv.start_minute);
                let close = self.local_instant(day, iv.end_minute);
                let start = open.max(from);
                let end = close.min(to);
                if end > start {
                    total += Seconds::between(start, end).0;
                }
            }
        }
        Seconds(total)
    }

    /// The instant of wall-clock `minute` (0..=1440) on local `day`.
    fn local_instant(&self, day: NaiveDate, minute: u32) -> Instant {
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or(NaiveDateTime::MIN);
        let wall = midnight + Duration::minutes(i64::from(minute));
        crate::localtime::instant(self.timezone, wall)
    }
}

/// A team → calendar mapping with a default.
#[derive(Debug, Clone)]
pub struct Calendars {
    default: Calendar,
    by_team: HashMap<String, Calendar>,
}

impl Default for Calendars {
    fn default() -> Self {
        Calendars {
            default: Calendar::AlwaysOpen,
            by_team: HashMap::new(),
        }
    }
}

impl Calendars {
    pub fn new(default: Calendar, by_team: HashMap<String, Calendar>) -> Self {
        Calendars { default, by_team }
    }

    /// A digest of every calendar and team assignment, the same for the
    /// same configuration on any build (FNV-1a over a canonical text):
    /// business seconds stored under one set of calendars are not those
    /// of another.
    pub fn fingerprint(&self) -> String {
        let mut teams: Vec<_> = self.by_team.iter().collect();
        teams.sort_by(|a, b| a.0.cmp(b.0));
        let text = format!("{:?};{teams:?}", self.default);
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in text.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{h:016x}")
    }

    /// The calendar of `team`, or the default one.
    pub fn for_team(&self, team: Option<&str>) -> &Calendar {
        team.and_then(|t| self.by_team.get(t))
            .unwrap_or(&self.default)
    }
}

/// Parses one weekday's open hours: `"09:00-12:30,13:30-18:00"`; `24:00` is
/// midnight at the end of the day; an empty string means closed.
pub fn parse_day_hours(spec: &str) -> Result<Vec<OpenInterval>, String> {
    let mut out: Vec<OpenInterval> = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part
            .split_once('-')
            .ok_or_else(|| format!("`{part}` is not an interval; expected HH:MM-HH:MM"))?;
        let start_minute = parse_clock(a.trim())?;
        let end_minute = parse_clock(b.trim())?;
        if end_minute <= start_minute {
            return Err(format!("`{part}` ends before it starts"));
        }
        out.push(OpenInterval {
            start_minute,
            end_minute,
        });
    }
    out.sort_by_key(|iv| iv.start_minute);
    for pair in out.windows(2) {
        if pair[1].start_minute < pair[0].end_minute {
            return Err(format!("intervals overlap in `{spec}`"));
        }
    }
    Ok(out)
}

/// `HH:MM` → minutes since midnight; `24:00` allowed.
fn parse_clock(s: &str) -> Result<u32, String> {
    let bad = || format!("`{s}` is not a time of day; expected HH:MM between 00:00 and 24:00");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Weekday keys accepted in the `hours` table.
pub fn parse_weekday(key: &str) -> Option<Weekday> {
    match key.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Some(Weekday::Mon),
        "tue" | "tuesday" => Some(Weekday::Tue),
        "wed" | "wednesday" => Some(Weekday::Wed),
        "thu" | "thursday" => Some(Weekday::Thu),
        "fri" | "friday" => Some(Weekday::Fri),
        "sat" | "saturday" => Some(Weekday::Sat),
        "sun" | "sunday" => Some(Weekday::Sun),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    pub fn t(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("bad test timestamp {s}: {e}"))
    }

    /// A calendar with the same `spec` on the given weekdays (0 = Monday).
    pub fn hours(tz: Tz, weekdays: &[usize], spec: &str, holidays: &[&str]) -> Calendar {
        let mut days: [Vec<OpenInterval>; 7] = Default::default();
        for &d in weekdays {
            days[d] = parse_day_hours(spec).expect("valid spec");
        }
        Calendar::Hours(WeeklyHours {
            timezone: tz,
            days,
            holidays: holidays
                .iter()
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date"))
                .collect(),
        })
    }

    const WEEKDAYS: &[usize] = &[0, 1, 2, 3, 4];
    const EVERY_DAY: &[usize] = &[0, 1, 2, 3, 4, 5, 6];

    #[test]
    fn no_calendar_counts_every_second() {
        let s = Calendar::AlwaysOpen
            .business_seconds(t("2026-01-01T00:00:00Z"), t("2026-01-02T01:00:00Z"));
        assert_eq!(s, Seconds(90_000.0));
    }

    #[test]
    fn reversed_or_empty_range_is_zero() {
        let cal = hours(chrono_tz::Europe::Paris, WEEKDAYS, "09:00-18:00", &[]);
        assert_eq!(
            cal.business_seconds(t("2026-01-06T12:00:00Z"), t("2026-01-06T10:00:00Z")),
            Seconds::ZERO
        );
        assert_eq!(
            cal.business_seconds(t("2026-01-06T12:00:00Z"), t("2026-01-06T12:00:00Z")),
            Seconds::ZERO
        );
    }

    #[test]
    fn friday_evening_before_a_monday_holiday() {
        // Paris, CEST (UTC+2). Friday 2026-05-22 16:30 local, Whit Monday
        // 2026-05-25 a holiday, answered Tuesday 10:00 local.
        // Friday 16:30-17:00 = 1800 s; weekend and holiday 0; Tuesday 09:00-10:00 = 3600 s.
        let mut days: [Vec<OpenInterval>; 7] = Default::default();
        for day in days.iter_mut().take(4) {
            *day = parse_day_hours("09:00-18:00").unwrap();
        }
        days[4] = parse_day_hours("09:00-17:00").unwrap();
        let cal = Calendar::Hours(WeeklyHours {
            timezone: chrono_tz::Europe::Paris,
            days,
            holidays: [NaiveDate::from_ymd_opt(2026, 5, 25).unwrap()].into(),
        });
        let s = cal.business_seconds(t("2026-05-22T14:30:00Z"), t("2026-05-26T08:00:00Z"));
        assert_eq!(s, Seconds(5400.0));
    }

    #[test]
    fn split_day_with_lunch_break() {
        // Wednesday 2026-01-07, Paris winter (UTC+1): 09:00-12:30,13:30-18:00.
        // From 11:00 to 15:00 local: 1.5 h + 1.5 h = 10800 s.
        let cal = hours(
            chrono_tz::Europe::Paris,
            WEEKDAYS,
            "09:00-12:30,13:30-18:00",
            &[],
        );
        let s = cal.business_seconds(t("2026-01-07T10:00:00Z"), t("2026-01-07T14:00:00Z"));
        assert_eq!(s, Seconds(10_800.0));
    }

    #[test]
    fn spring_forward_sunday_lasts_23_hours_in_paris() {
        // 2026-03-29: 02:00 CET → 03:00 CEST. Only Sundays open, all day.
        // Saturday noon to Monday noon covers exactly that Sunday: 23 h.
        let cal = hours(chrono_tz::Europe::Paris, &[6], "00:00-24:00", &[]);
        let s = cal.business_seconds(t("2026-03-28T11:00:00Z"), t("2026-03-30T10:00:00Z"));
        assert_eq!(s, Seconds(23.0 * 3600.0));
    }

    #[test]
    fn fall_back_sunday_lasts_25_hours_in_paris() {
        // 2026-10-25: 03:00 CEST → 02:00 CET.
        let cal = hours(chrono_tz::Europe::Paris, &[6], "00:00-24:00", &[]);
        let s = cal.business_seconds(t("2026-10-24T10:00:00Z"), t("2026-10-26T11:00:00Z"));
        assert_eq!(s, Seconds(25.0 * 3600.0));
    }

    #[test]
    fn open_hours_follow_the_clock_across_spring_dst_in_new_york() {
        // 2026-03-08 is the spring change in New York. Friday 17:00 EST
        // (22:00Z) to Monday 10:00 EDT (14:00Z) with 09:00-17:00 hours is one
        // business hour; with the winter offset it would be zero.
        let cal = hours(chrono_tz::America::New_York, WEEKDAYS, "09:00-17:00", &[]);
        let s = cal.business_seconds(t("2026-03-06T22:00:00Z"), t("2026-03-09T14:00:00Z"));
        assert_eq!(s, Seconds(3600.0));
    }

    #[test]
    fn ticket_spanning_spring_dst_counts_eight_hours_a_weekday() {
        // Paris Mon-Fri 09:00-17:00, Monday 2026-03-23 09:00 CET to Friday
        // 2026-04-03 17:00 CEST: ten full weekdays = 10 × 8 h.
        let cal = hours(chrono_tz::Europe::Paris, WEEKDAYS, "09:00-17:00", &[]);
        let s = cal.business_seconds(t("2026-03-23T08:00:00Z"), t("2026-04-03T15:00:00Z"));
        assert_eq!(s, Seconds(10.0 * 8.0 * 3600.0));
    }

    #[test]
    fn ticket_spanning_autumn_dst_in_new_york_with_a_holiday() {
        // New York 24h weekdays. Friday 2026-10-30 00:00 EDT (04:00Z) to
        // Wednesday 2026-11-04 00:00 EST (05:00Z), Tuesday 11-03 a holiday:
        // Friday 24 h + Monday 24 h = 48 h (the 25 h Sunday is closed).
        let cal = hours(
            chrono_tz::America::New_York,
            WEEKDAYS,
            "00:00-24:00",
            &["2026-11-03"],
        );
        let s = cal.business_seconds(t("2026-10-30T04:00:00Z"), t("2026-11-04T05:00:00Z"));
        assert_eq!(s, Seconds(48.0 * 3600.0));
    }

    #[test]
    fn gap_start_means_the_transition_instant() {
        // Open 02:30-04:00 every day in Paris: on 2026-03-29 02:30 does not
        // exist, so the day opens at the transition (03:00 CEST = 01:00Z) and
        // lasts one hour.
        let cal = hours(chrono_tz::Europe::Paris, EVERY_DAY, "02:30-04:00", &[]);
        let s = cal.business_seconds(t("2026-03-28T22:00:00Z"), t("2026-03-29T22:00:00Z"));
        assert_eq!(s, Seconds(3600.0));
    }

    #[test]
    fn hours_spec_errors_name_the_bad_part() {
        assert!(parse_day_hours("9-17").unwrap_err().contains("`9`"));
        assert!(
            parse_day_hours("09:00-08:00")
                .unwrap_err()
                .contains("ends before")
        );
        assert!(
            parse_day_hours("09:00-12:00,11:00-13:00")
                .unwrap_err()
                .contains("overlap")
        );
        assert!(parse_day_hours("09:00-24:30").is_err());
        assert_eq!(parse_day_hours("").unwrap(), vec![]);
        assert_eq!(
            parse_day_hours("13:30-24:00, 00:00-01:00").unwrap(),
            vec![
                OpenInterval {
                    start_minute: 0,
                    end_minute: 60
                },
                OpenInterval {
                    start_minute: 810,
                    end_minute: 1440
                }
            ]
        );
    }

    fn any_calendar() -> impl Strategy<Value = Calendar> {
        let zones = prop::sample::select(vec![
            chrono_tz::Europe::Paris,
            chrono_tz::America::New_York,
            chrono_tz::Australia::Lord_Howe, // 30-minute DST shift
            chrono_tz::Asia::Kolkata,
            chrono_tz::UTC,
        ]);
        let specs = prop::sample::select(vec![
            "09:00-18:00",
            "00:00-24:00",
            "02:00-03:30,08:00-12:00",
            "",
            "22:00-24:00",
        ]);
        (zones, prop::collection::vec(specs, 7)).prop_map(|(tz, specs)| {
            let mut days: [Vec<OpenInterval>; 7] = Default::default();
            for (d, s) in specs.iter().enumerate() {
                days[d] = parse_day_hours(s).expect("valid");
            }
            Calendar::Hours(WeeklyHours {
                timezone: tz,
                days,
                holidays: [NaiveDate::from_ymd_opt(2026, 3, 30).expect("date")].into(),
            })
        })
    }

    fn any_instant() -> impl Strategy<Value = Instant> {
        // 2025-12-01 .. 2027-01-31, covering both DST changes everywhere.
        (1_764_547_200i64..1_801_353_600)
            .prop_map(|s| DateTime::from_timestamp(s, 0).expect("in range"))
    }

    proptest! {
        #[test]
        fn business_never_exceeds_calendar(cal in any_calendar(), a in any_instant(), b in any_instant()) {
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            let business = cal.business_seconds(a, b);
            prop_assert!(business.0 >= 0.0);
            prop_assert!(business.0 <= Seconds::between(a, b).0);
        }

        #[test]
        fn business_is_additive(cal in any_calendar(), mut xs in prop::collection::vec(any_instant(), 3)) {
            xs.sort();
            let (a, b, c) = (xs[0], xs[1], xs[2]);
            let whole = cal.business_seconds(a, c).0;
            let parts = cal.business_seconds(a, b).0 + cal.business_seconds(b, c).0;
            prop_assert!((whole - parts).abs() < 1e-6, "{whole} != {parts}");
        }
    }
}
