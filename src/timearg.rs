//! Instants given on the command line (`--from`, `--to`).
//!
//! Accepted: RFC 3339 (`2026-11-16T09:00:00Z`), a local date-time
//! (`2026-11-16 09:00` or `2026-11-16T09:00:00`) or a date (`2026-11-16`,
//! midnight), both in the configured time zone; a time inside a
//! daylight-saving gap means the transition ([`crate::localtime`]).

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use crate::model::Instant;

pub fn parse_instant(s: &str, tz: Tz) -> Result<Instant, String> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.to_utc());
    }
    let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
        .ok_or_else(|| {
            format!("`{s}` is not a time; expected YYYY-MM-DD, YYYY-MM-DD HH:MM or RFC 3339 (2026-11-16T09:00:00Z)")
        })?;
    Ok(crate::localtime::instant(tz, naive))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let paris = chrono_tz::Europe::Paris;
        let want = chrono::DateTime::parse_from_rfc3339("2026-11-15T23:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(parse_instant("2026-11-16", paris), Ok(want));
        assert_eq!(parse_instant("2026-11-16 00:00", paris), Ok(want));
        assert_eq!(parse_instant("2026-11-15T23:00:00Z", Tz::UTC), Ok(want));
        assert!(
            parse_instant("16/11/2026", paris)
                .unwrap_err()
                .contains("16/11/2026")
        );
        // Inside the spring gap: the transition, as everywhere.
        let transition = chrono::DateTime::parse_from_rfc3339("2026-03-29T01:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(parse_instant("2026-03-29 02:30", paris), Ok(transition));
    }
}
