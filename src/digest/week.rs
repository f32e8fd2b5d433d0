//! ISO weeks (`2026-W47`): Monday 00:00 to the next Monday 00:00 in the
//! organisation's time zone, so a week is 167, 168 or 169 hours long around
//! DST changes.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use chrono_tz::Tz;

use crate::model::Instant;
use crate::model::Period;

/// One ISO-8601 week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    monday: NaiveDate,
}

impl IsoWeek {
    /// The week holding `date`.
    pub fn of(date: NaiveDate) -> IsoWeek {
        let back = date.weekday().num_days_from_monday();
        IsoWeek {
            monday: date - Days::new(u64::from(back)),
        }
    }

    /// The last week that ended at or before `now` in `tz`: the week before
    /// the one `now` falls in.
    pub fn last_full(now: Instant, tz: Tz) -> IsoWeek {
        IsoWeek::of(now.with_timezone(&tz).date_naive()).minus(1)
    }

    pub fn monday(&self) -> NaiveDate {
        self.monday
    }

    pub fn sunday(&self) -> NaiveDate {
        self.monday + Days::new(6)
    }

    /// Whether a digest of this week can be made at `now` in `tz`: an
    /// error for a week not begun, a notice (`Ok(Some)`) for the week in
    /// progress — its numbers stop at `now`, so a Monday reads as a
    /// collapse — and `Ok(None)` for a week that is over.
    pub fn readiness(&self, now: Instant, tz: Tz) -> Result<Option<String>, String> {
        let p = self.period(tz);
        let last = IsoWeek::last_full(now, tz);
        if p.from > now {
            Err(format!(
                "{self} has not begun (it starts on {}); the last full week is {last}",
                self.monday
            ))
        } else if p.to > now {
            Ok(Some(format!(
                "{self} is not over (it ends on {}): its numbers stop now and compare a part of \
                 a week with whole ones; the last full week is {last}",
                self.sunday()
            )))
        } else {
            Ok(None)
        }
    }

    /// The week `n` weeks before this one.
    pub fn minus(&self, n: u32) -> IsoWeek {
        IsoWeek {
            monday: self.monday - Days::new(7 * u64::from(n)),
        }
    }

    /// `[Monday 00:00, next Monday 00:00)` in `tz`.
    pub fn period(&self, tz: Tz) -> Period {
        Period {
            from: local_midnight(self.monday, tz),
            to: local_midnight(self.monday + Days::new(7), tz),
        }
    }

    /// The `n` weeks ending with this one, as one period.
    pub fn span(&self, n: u32, tz: Tz) -> Period {
        Period {
            from: self.minus(n.saturating_sub(1)).period(tz).from,
            to: self.period(tz).to,
        }
    }
}

/// The first instant of `date` in `tz` (where midnight does not exist, the
/// first after it: [`crate::localtime`]).
fn local_midnight(date: NaiveDate, tz: Tz) -> Instant {
    crate::localtime::instant(tz, date.and_time(chrono::NaiveTime::MIN))
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.monday.iso_week();
        write!(f, "{}-W{:02}", w.year(), w.week())
    }
}

impl FromStr for IsoWeek {
    type Err = String;

    /// `YYYY-Www`, as in `2026-W47`.
    fn from_str(s: &str) -> Result<IsoWeek, String> {
        let bad = || format!("`{s}` is not an ISO week; expected YYYY-Www, as in 2026-W47");
        let (year, week) = s.trim().split_once(['-']).ok_or_else(bad)?;
        let week = week
            .strip_prefix(['W', 'w'])
            .ok_or_else(bad)?
            .parse::<u32>()
            .map_err(|_| bad())?;
        let year = year.parse::<i32>().map_err(|_| bad())?;
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .ok_or_else(|| format!("`{s}`: {year} has no ISO week {week}"))?;
        Ok(IsoWeek { monday })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_not_over_is_noted_and_one_not_begun_refused() {
        // Tuesday 1 December 2026, 10:00 in Paris: week 49 is in progress.
        let now = "2026-12-01T09:00:00Z".parse().expect("instant");
        let tz = chrono_tz::Europe::Paris;
        let w = |s: &str| s.parse::<IsoWeek>().expect("week");
        assert_eq!(w("2026-W48").readiness(now, tz), Ok(None));
        let notice = w("2026-W49").readiness(now, tz).expect("allowed");
        assert_eq!(
            notice.as_deref(),
            Some(
                "2026-W49 is not over (it ends on 2026-12-06): its numbers stop now and compare \
                 a part of a week with whole ones; the last full week is 2026-W48"
            )
        );
        assert_eq!(
            w("2026-W50").readiness(now, tz),
            Err(
                "2026-W50 has not begun (it starts on 2026-12-07); the last full week is 2026-W48"
                    .to_string()
            )
        );
    }

    #[test]
    fn parses_formats_and_rejects() {
        let w: IsoWeek = "2026-W47".parse().unwrap();
        assert_eq!(w.monday(), NaiveDate::from_ymd_opt(2026, 11, 16).unwrap());
        assert_eq!(w.sunday(), NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        assert_eq!(w.to_string(), "2026-W47");
        // 2026 has 53 ISO weeks; 2027 has 52.
        assert!("2026-W53".parse::<IsoWeek>().is_ok());
        let e = "2027-W53".parse::<IsoWeek>().unwrap_err();
        assert!(e.contains("no ISO week 53"), "{e}");
        let e = "2026-47".parse::<IsoWeek>().unwrap_err();
        assert!(e.contains("expected YYYY-Www"), "{e}");
        // Week 1 of 2026 starts in 2025.
        let w1: IsoWeek = "2026-W01".parse().unwrap();
        assert_eq!(w1.monday(), NaiveDate::from_ymd_opt(2025, 12, 29).unwrap());
        assert_eq!(w1.minus(1).to_string(), "2025-W52");
    }

    #[test]
    fn a_week_across_the_dst_change_is_167_hours() {
        // Europe/Paris springs forward on Sunday 2026-03-29.
        let w: IsoWeek = "2026-W13".parse().unwrap();
        let p = w.period(chrono_tz::Europe::Paris);
        assert_eq!(p.from.to_rfc3339(), "2026-03-22T23:00:00+00:00");
        assert_eq!(p.to.to_rfc3339(), "2026-03-29T22:00:00+00:00");
        assert_eq!((p.to - p.from).num_hours(), 167);
    }

    #[test]
    fn last_full_week_is_the_one_before_now() {
        let now = "2026-11-23T03:30:00Z".parse::<Instant>().unwrap();
        // Monday 04:30 in Paris: the week of 16–22 November has ended.
        assert_eq!(
            IsoWeek::last_full(now, chrono_tz::Europe::Paris).to_string(),
            "2026-W47"
        );
        // Still Sunday 22 November in New York: that week has not ended.
        assert_eq!(
            IsoWeek::last_full(now, chrono_tz::America::New_York).to_string(),
            "2026-W46"
        );
    }
}
