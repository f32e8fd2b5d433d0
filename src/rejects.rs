//! Rows that break the source contract: skipped, counted, logged once.
//!
//! DESIGN.md §2: such rows are skipped, counted in
//! `support_rows_rejected_total{relation,reason}` and logged once per reason
//! per run — never a crash, never silently used.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Relation;

/// Counts of rejected rows by relation and reason, for one run.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Rejects {
    counts: BTreeMap<(Relation, &'static str), u64>,
}

/// One line of the rejection summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectCount {
    pub relation: Relation,
    pub reason: &'static str,
    pub count: u64,
}

impl Rejects {
    /// Counts a rejected row; the first of each reason is logged with `detail`.
    pub fn add(&mut self, relation: Relation, reason: &'static str, detail: &str) {
        let n = self.counts.entry((relation, reason)).or_insert(0);
        if *n == 0 {
            tracing::warn!(%relation, reason, "skipping row that breaks the source contract: {detail} (further rows with this reason are counted, not logged)");
        }
        *n += 1;
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
