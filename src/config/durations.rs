//! Durations and cron expressions as the configuration writes them.

use std::time::Duration;

/// A cron expression: 6 or 7 fields starting with seconds (the `cron`
/// crate's form), or a classic 5-field crontab line, run at second 0.
pub fn parse_cron(expr: &str) -> Result<cron::Schedule, String> {
    use std::str::FromStr;
    let fields = expr.split_whitespace().count();
    let full = if fields == 5 {
        format!("0 {expr}")
    } else {
        expr.to_string()
    };
    cron::Schedule::from_str(&full).map_err(|e| {
        format!("`{expr}` is not a cron expression ({e}); expected e.g. \"0 */5 * * * *\" (sec min hour day month weekday) or \"*/5 * * * *\"")
    })
}

/// The longest time between two consecutive runs of `schedule` in `tz`,
/// over the 15 days after `from` (at most 10,000 runs: an every-second
/// schedule's gap is known long before). `None` for a schedule with fewer
/// than two runs in that span.
pub fn longest_gap(
    schedule: &cron::Schedule,
    tz: chrono_tz::Tz,
    from: crate::model::Instant,
) -> Option<chrono::Duration> {
    let end = from + chrono::Duration::days(15);
    let times: Vec<crate::model::Instant> = schedule
        .after(&from.with_timezone(&tz))
        .take(10_000)
        .map(|t| t.with_timezone(&chrono::Utc))
        .take_while(|t| *t <= end)
        .collect();
    times.windows(2).map(|w| w[1] - w[0]).max()
}

/// `90s`, `15m`, `1h30m`, `2d`, `500ms` → `Duration`.
///
/// ```
/// use std::time::Duration;
/// use support_metrics::config::parse_duration;
/// assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
/// assert!(parse_duration("soon").unwrap_err().contains("`soon`"));
/// ```
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not a duration; expected e.g. 30s, 15m, 1h30m, 2d");
    let s_trim = s.trim();
    if s_trim.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = s_trim;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            "w" => Duration::from_secs(7 * 86_400),
            _ => return Err(bad()),
        };
        total = unit
            .checked_mul(u32::try_from(n).map_err(|_| bad())?)
            .and_then(|d| total.checked_add(d))
            .ok_or_else(bad)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    fn t(s: &str) -> crate::model::Instant {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("test instant")
            .with_timezone(&chrono::Utc)
    }

    #[test]
    fn longest_gap_spans_nights_and_weekends() {
        let from = t("2026-03-02T10:00:30Z");
        let every_minute = parse_cron("0 * * * * *").unwrap();
        assert_eq!(
            longest_gap(&every_minute, Tz::UTC, from),
            Some(chrono::Duration::minutes(1))
        );
        // Hourly 09:00-18:00 on weekdays: Friday 18:00 → Monday 09:00 = 63 h.
        let office = parse_cron("0 0 9-18 * * Mon-Fri").unwrap();
        assert_eq!(
            longest_gap(&office, Tz::UTC, from),
            Some(chrono::Duration::hours(63))
        );
        let every_second = parse_cron("* * * * * *").unwrap();
        assert_eq!(
            longest_gap(&every_second, Tz::UTC, from),
            Some(chrono::Duration::seconds(1))
        );
        let once = parse_cron("0 0 0 1 1 * 2020").unwrap();
        assert_eq!(longest_gap(&once, Tz::UTC, from), None);
    }
}
