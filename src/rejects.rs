//! Rows that break the source contract: skipped, counted once, logged once.
//!
//! DESIGN.md §2: such rows are skipped, counted in
//! `support_rows_rejected_total{relation,reason}` and logged once per reason
//! per run — never a crash, never silently used. A row is counted once: each
//! rejection carries what names its row ([`RowKey`]), the same row read
//! twice in one run counts once, and the exporter remembers the keys it
//! counted (the state store's `rejected_row`) so that a row read again by a
//! later collection (the late-arrival margin, a ticket walked again) is not
//! counted again.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::model::Relation;

/// Counts of rejected rows by relation and reason, for one run.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Rejects {
    counts: BTreeMap<(Relation, &'static str), u64>,
    /// Every row rejected in this run.
    rows: HashMap<RowKey, (Relation, &'static str)>,
    /// The first few rows of each reason, with their detail, for the log.
    details: BTreeMap<(Relation, &'static str), Vec<(RowKey, String)>>,
}

/// A rejected row's name: relation, reason and the row's identity, hashed
/// (64-bit FNV-1a: stable across runs and builds, unlike `std`'s hasher).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey(pub i64);

impl RowKey {
    pub fn of(relation: Relation, reason: &str, row: &str) -> RowKey {
        RowKey(fnv1a64(&[relation.canonical_name(), reason, row]) as i64)
    }
}

/// 64-bit FNV-1a of `parts`, each ended by a 0xff byte (which no UTF-8
/// text holds, so `["ab", "c"]` and `["a", "bc"]` differ). Stable across
/// runs, builds and platforms.
pub fn fnv1a64(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// One line of the rejection summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectCount {
    pub relation: Relation,
    pub reason: &'static str,
    pub count: u64,
}

/// Details kept per reason: enough to log one that was not counted before.
const DETAILS_PER_REASON: usize = 8;

impl Rejects {
    /// Counts the rejected row `row` (what names it: see
    /// `source::decode::identity`) unless this run counted it already.
    pub fn add(&mut self, relation: Relation, reason: &'static str, row: &str, detail: &str) {
        let key = RowKey::of(relation, reason, row);
        if self.rows.insert(key, (relation, reason)).is_some() {
            return;
        }
        *self.counts.entry((relation, reason)).or_insert(0) += 1;
        let details = self.details.entry((relation, reason)).or_default();
        if details.len() < DETAILS_PER_REASON {
            details.push((key, detail.to_string()));
        }
    }

    /// Adds the rejections of `other` (a read made with its own `Rejects`)
    /// that this run has not counted.
    pub fn absorb(&mut self, other: Rejects) {
        let mut details: HashMap<RowKey, String> = other.details.into_values().flatten().collect();
        for (key, (relation, reason)) in other.rows {
            if self.rows.insert(key, (relation, reason)).is_some() {
                continue;
            }
            *self.counts.entry((relation, reason)).or_insert(0) += 1;
            let kept = self.details.entry((relation, reason)).or_default();
            if kept.len() < DETAILS_PER_REASON
                && let Some(d) = details.remove(&key)
            {
                kept.push((key, d));
            }
        }
    }

    /// The rows rejected in this run.
    pub fn keys(&self) -> Vec<RowKey> {
        let mut keys: Vec<RowKey> = self.rows.keys().copied().collect();
        keys.sort();
        keys
    }

    /// Stops counting the rows an earlier run counted.
    pub fn forget(&mut self, counted: &HashSet<RowKey>) {
        for key in counted {
            if let Some(which) = self.rows.remove(key)
                && let Some(n) = self.counts.get_mut(&which)
            {
                *n = n.saturating_sub(1);
            }
        }
        self.counts.retain(|_, n| *n > 0);
        for d in self.details.values_mut() {
            d.retain(|(k, _)| !counted.contains(k));
        }
    }

    /// Logs one row of each reason counted (the rest are counted, not
    /// logged).
    pub fn log(&self) {
        for ((relation, reason), details) in &self.details {
            if let Some((_, detail)) = details.first() {
                // The detail quotes the row: its text is the data's.
                let detail = crate::printable::printable(detail);
                tracing::warn!(%relation, reason, "skipping row that breaks the source contract: {detail} (further rows with this reason are counted, not logged)");
            }
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    pub fn summary(&self) -> Vec<RejectCount> {
        self.counts
            .iter()
            .map(|(&(relation, reason), &count)| RejectCount {
                relation,
                reason,
                count,
            })
            .collect()
    }
}

/// "Skipped 3 row(s) that break the source contract: agents/bad_date 1;
/// …", for a command's output; `None` when nothing was skipped.
pub fn skipped(rejected: &[RejectCount]) -> Option<String> {
    let total: u64 = rejected.iter().map(|r| r.count).sum();
    (total > 0).then(|| {
        let each: Vec<String> = rejected
            .iter()
            .map(|r| format!("{}/{} {}", r.relation, r.reason, r.count))
            .collect();
        format!(
            "Skipped {total} row(s) that break the source contract: {}",
            each.join("; ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_counted_once_per_run_and_not_again_once_counted() {
        let mut r = Rejects::default();
        r.add(Relation::Tickets, "bad_timestamp", "id=7", "ticket 7");
        r.add(Relation::Tickets, "bad_timestamp", "id=7", "ticket 7 again");
        r.add(Relation::Tickets, "bad_timestamp", "id=8", "ticket 8");
        // Another reason or relation for the same id is another rejection.
        r.add(Relation::Tickets, "unknown_status", "id=7", "ticket 7");
        r.add(Relation::Surveys, "bad_timestamp", "id=7", "survey 7");
        assert_eq!(r.total(), 4);
        let before = HashSet::from([RowKey::of(Relation::Tickets, "bad_timestamp", "id=7")]);
        r.forget(&before);
        assert_eq!(
            r.summary(),
            vec![
                RejectCount {
                    relation: Relation::Tickets,
                    reason: "bad_timestamp",
                    count: 1
                },
                RejectCount {
                    relation: Relation::Tickets,
                    reason: "unknown_status",
                    count: 1
                },
                RejectCount {
                    relation: Relation::Surveys,
                    reason: "bad_timestamp",
                    count: 1
                },
            ]
        );
        assert_eq!(r.keys().len(), 3);
    }

    #[test]
    fn keys_are_stable_across_builds() {
        // FNV-1a of the parts, each ended by 0xff, by a second writing of
        // the algorithm: a change of hash (which would count every
        // remembered row again after an upgrade) fails here.
        assert_eq!(
            RowKey::of(Relation::Tickets, "null_id", "id=1"),
            RowKey(fnv_reference(b"support_tickets\xffnull_id\xffid=1\xff"))
        );
    }

    /// FNV-1a 64 written out from its definition.
    fn fnv_reference(bytes: &[u8]) -> i64 {
        let mut h: u64 = 14_695_981_039_346_656_037;
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(1_099_511_628_211);
        }
        h as i64
    }
}
