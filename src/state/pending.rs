//! Event ids not seen yet below the watermark: exactly-once counting
//! despite commit order.
//!
//! PostgreSQL sequences and InnoDB auto-increment hand out an id at
//! INSERT, not at COMMIT: a transaction that took id 3 may commit after id
//! 4 was read. Reading `after < id <= max` would then skip event 3 for
//! ever. Instead, every id the reads skipped below the new watermark (a
//! hole in what they saw) is remembered, with when it was first missed,
//! and read again by the following collections, until it arrives — it is
//! then counted like any new event, once — or until `source.late_arrival`
//! has passed, when it is taken for a rolled-back insert (which leaves such
//! holes for good) and forgotten.
//!
//! Holes are kept as ranges, at most [`MAX_RANGES`] of them (the newest),
//! so a source whose ids are sparse (step > 1) costs bounded memory.

use crate::model::Instant;

/// Ranges remembered at most; beyond it the oldest (lowest) are dropped.
pub const MAX_RANGES: usize = 10_000;

/// Ids `lo..=hi` missing since `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub lo: i64,
    pub hi: i64,
    pub since: Instant,
}

/// The ids still awaited, sorted, disjoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pending(Vec<Range>);

impl Pending {
    pub fn ranges(&self) -> &[Range] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ids awaited in all.
    pub fn ids(&self) -> u64 {
        self.0
            .iter()
            .map(|r| r.hi.abs_diff(r.lo).saturating_add(1))
            .fold(0u64, u64::saturating_add)
    }

    pub fn contains(&self, id: i64) -> bool {
        let i = self.0.partition_point(|r| r.hi < id);
        self.0.get(i).is_some_and(|r| r.lo <= id)
    }

    /// Drops the ranges missing since before `before`; returns how many ids
    /// were given up.
    pub fn expire(&mut self, before: Instant) -> u64 {
        let (gone, kept): (Vec<Range>, Vec<Range>) = self.0.iter().partition(|r| r.since < before);
        self.0 = kept;
        Pending(gone).ids()
    }

    /// The awaited ids after the reads of one collection: those still
    /// missing of `self`, and the holes of `(after, upto]`, both judged
    /// against `seen` (every id the reads returned, decoded or rejected,
    /// sorted or not). New holes are dated `now`.
    pub fn after_reads(
        &self,
        seen: &mut [i64],
        after: Option<i64>,
        upto: Option<i64>,
        now: Instant,
    ) -> Pending {
        seen.sort_unstable();
        let mut out: Vec<Range> = Vec::new();
        let mut push = |lo: i64, hi: i64, since: Instant, seen: &[i64]| {
            // `lo..=hi` minus the seen ids in it.
            let from = seen.partition_point(|s| *s < lo);
            let mut next = Some(lo);
            for s in seen[from..].iter().take_while(|s| **s <= hi) {
                let Some(n) = next else { break };
                if *s > n {
                    out.push(Range {
                        lo: n,
                        hi: s - 1,
                        since,
                    });
                }
                next = s.checked_add(1);
            }
            if let Some(n) = next.filter(|n| *n <= hi) {
                out.push(Range { lo: n, hi, since });
            }
        };
        for r in &self.0 {
            push(r.lo, r.hi, r.since, seen);
        }
        if let Some(upto) = upto {
            // Below the lowest id ever seen nothing is awaited: the ids a
            // source starts from are its own business.
            let lo = match after {
                Some(a) => a.saturating_add(1),
                None => seen.first().copied().unwrap_or(upto),
            };
            if lo <= upto {
                push(lo, upto, now, seen);
            }
        }
        out.sort_by_key(|r| r.lo);
        if out.len() > MAX_RANGES {
            let drop = out.len() - MAX_RANGES;
            tracing::warn!(
                ranges = drop,
                "more than {MAX_RANGES} ranges of event ids awaited; the oldest are given up"
            );
            out.drain(..drop);
        }
        Pending(out)
    }

    /// Text for the state store: `lo:hi@since_micros`, comma-separated.
    pub fn encode(&self) -> String {
        self.0
            .iter()
            .map(|r| format!("{}:{}@{}", r.lo, r.hi, r.since.timestamp_micros()))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads [`Pending::encode`]'s text; `None` when it is not that.
    pub fn decode(text: &str) -> Option<Pending> {
        if text.trim().is_empty() {
            return Some(Pending::default());
        }
        let mut out = Vec::new();
        for part in text.split(',') {
            let (ids, since) = part.split_once('@')?;
            let (lo, hi) = ids.split_once(':')?;
            let range = Range {
                lo: lo.parse().ok()?,
                hi: hi.parse().ok()?,
                since: chrono::DateTime::from_timestamp_micros(since.parse().ok()?)?,
            };
            if range.lo > range.hi {
                return None;
            }
            out.push(range);
        }
        out.sort_by_key(|r| r.lo);
        Some(Pending(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::calendar::tests::t;

    fn range(lo: i64, hi: i64, since: Instant) -> Range {
        Range { lo, hi, since }
    }

    #[test]
    fn holes_of_a_read_are_awaited_and_filled_once() {
        let t0 = t("2026-12-01T10:00:00Z");
        // Ids 1..=10 read except 3 and 7..=8 (transactions still open).
        let mut seen = vec![10, 1, 2, 4, 5, 6, 9];
        let p = Pending::default().after_reads(&mut seen, None, Some(10), t0);
        assert_eq!(p.ranges(), &[range(3, 3, t0), range(7, 8, t0)]);
        assert!(p.contains(3) && p.contains(7) && p.contains(8));
        assert!(!p.contains(2) && !p.contains(9) && !p.contains(11));
        assert_eq!(p.ids(), 3);
        // Next run: 8 arrived, and 11..=14 except 12.
        let t1 = t("2026-12-01T10:01:00Z");
        let mut seen = vec![8, 11, 13, 14];
        let q = p.after_reads(&mut seen, Some(10), Some(14), t1);
        assert_eq!(
            q.ranges(),
            &[range(3, 3, t0), range(7, 7, t0), range(12, 12, t1)]
        );
        // Expiry gives up what was missed before the cut-off only.
        let mut r = q.clone();
        assert_eq!(r.expire(t("2026-12-01T10:00:30Z")), 2);
        assert_eq!(r.ranges(), &[range(12, 12, t1)]);
    }

    #[test]
    fn a_read_above_an_unchanged_watermark_awaits_nothing() {
        let t0 = t("2026-12-01T10:00:00Z");
        let mut seen = vec![];
        let p = Pending::default().after_reads(&mut seen, Some(5), Some(5), t0);
        assert!(p.is_empty());
        let p = Pending::default().after_reads(&mut seen, Some(5), None, t0);
        assert!(p.is_empty());
        // Nothing read at all on a first run: nothing awaited.
        let p = Pending::default().after_reads(&mut seen, None, None, t0);
        assert!(p.is_empty());
    }

    #[test]
    fn text_round_trips_and_foreign_text_is_refused() {
        let t0 = t("2026-12-01T10:00:00Z");
        let mut seen = vec![1, 5, i64::MAX];
        let p = Pending::default().after_reads(&mut seen, None, Some(i64::MAX), t0);
        assert_eq!(Pending::decode(&p.encode()), Some(p.clone()));
        assert_eq!(Pending::decode(""), Some(Pending::default()));
        assert_eq!(Pending::decode("3:1@0"), None);
        assert_eq!(Pending::decode("x"), None);
    }

    #[test]
    fn ranges_are_capped_keeping_the_newest() {
        let t0 = t("2026-12-01T10:00:00Z");
        // Every other id: one hole per id read.
        let mut seen: Vec<i64> = (0..(MAX_RANGES as i64 + 50)).map(|i| i * 2 + 1).collect();
        let upto = *seen.last().unwrap();
        let p = Pending::default().after_reads(&mut seen, None, Some(upto), t0);
        assert_eq!(p.ranges().len(), MAX_RANGES);
        assert!(p.contains(upto - 1));
        assert!(!p.contains(2));
    }
}
