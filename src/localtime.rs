//! The one rule for turning a wall-clock time into an instant, used by
//! business calendars, digest weeks and command-line times alike.
//!
//! An ambiguous time (the autumn hour that happens twice) is its first
//! occurrence; a time that does not exist (inside the spring gap) is the
//! first instant after the gap — the transition itself, as clocks read it.

use chrono::{Duration, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::model::Instant;

/// The instant wall-clock `wall` names in `tz` (see the module).
pub fn instant(tz: Tz, wall: NaiveDateTime) -> Instant {
    // Transitions fall on whole minutes, and no gap lasts a day.
    for step in 0..24 * 60 {
        let probe = wall + Duration::minutes(step);
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.to_utc();
        }
    }
    wall.and_utc()
}

/// The weekday (0 = Monday) and hour of instant `at` on the clocks of `tz`:
/// the cell of an hour-of-week grid (arrivals, peak hours).
pub fn weekday_hour(at: Instant, tz: Tz) -> (u32, u32) {
    use chrono::{Datelike, Timelike};
    let local = at.with_timezone(&tz);
    (local.weekday().num_days_from_monday(), local.hour())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hour_of_week_is_read_on_the_zone_s_clocks() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .expect("instant")
                .to_utc()
        };
        // Sunday 23:30 UTC is Monday 00:30 in Paris (winter, UTC+1).
        assert_eq!(
            weekday_hour(at("2026-01-04T23:30:00Z"), chrono_tz::Europe::Paris),
            (0, 0)
        );
        assert_eq!(
            weekday_hour(at("2026-01-04T23:30:00Z"), chrono_tz::UTC),
            (6, 23)
        );
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("wall time")
    }

    fn utc(s: &str) -> Instant {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("instant")
            .to_utc()
    }

    #[test]
    fn gaps_mean_the_transition_and_repeats_their_first_time() {
        let paris = chrono_tz::Europe::Paris;
        // 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC).
        assert_eq!(
            instant(paris, at("2026-03-29 02:30")),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            instant(paris, at("2026-03-29 01:59")),
            utc("2026-03-29T00:59:00Z")
        );
        // 25 October 2026: 02:30 happens at 00:30 UTC (CEST), then 01:30.
        assert_eq!(
            instant(paris, at("2026-10-25 02:30")),
            utc("2026-10-25T00:30:00Z")
        );
        // A zone whose midnight does not exist: Santiago moves 00:00 to
        // 01:00 on 6 September 2026.
        assert_eq!(
            instant(chrono_tz::America::Santiago, at("2026-09-06 00:00")),
            utc("2026-09-06T04:00:00Z")
        );
    }
}
