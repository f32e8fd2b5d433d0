//! Cumulative counters and histograms in memory, keyed by family and
//! labels, with the set changed since the last save.
//!
//! Values only grow: a collection adds to them and the state store saves the
//! changed series in the same transaction as the watermark.

use std::collections::{BTreeMap, BTreeSet};

use crate::metrics::Family;

/// Label pairs in the family's label order.
pub type Labels = Vec<(&'static str, String)>;

/// A series: family name and label values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesKey {
    pub name: &'static str,
    pub labels: Labels,
}

impl SeriesKey {
    pub fn new(family: &Family, labels: Labels) -> SeriesKey {
        SeriesKey {
            name: family.name,
            labels,
        }
    }
}

/// Counts per bucket (not cumulative; the last is +Inf), sum and count.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub counts: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Histogram {
    pub fn empty(bounds: &[f64]) -> Histogram {
        Histogram {
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }

    /// Adds `v` to the first bucket whose bound is ≥ `v` (Prometheus `le`).
    pub fn observe(&mut self, bounds: &[f64], v: f64) {
        let i = bounds.partition_point(|b| *b < v);
        if let Some(c) = self.counts.get_mut(i) {
            *c += 1;
        }
        self.sum += v;
        self.count += 1;
    }

    /// `(upper bound, cumulative count)` per finite bound.
    pub fn cumulative<'a>(&'a self, bounds: &'a [f64]) -> impl Iterator<Item = (f64, u64)> + 'a {
        bounds
            .iter()
            .zip(self.counts.iter().scan(0u64, |acc, c| {
                *acc += c;
                Some(*acc)
            }))
            .map(|(b, c)| (*b, c))
    }
}

/// Changed counters and histograms, to be saved.
pub type Changed<'a> = (
    Vec<(&'a SeriesKey, f64)>,
    Vec<(&'a SeriesKey, &'a Histogram)>,
);

/// Every cumulative series.
#[derive(Debug, Default, Clone)]
pub struct Cumulative {
    counters: BTreeMap<SeriesKey, f64>,
    histograms: BTreeMap<SeriesKey, Histogram>,
    dirty_counters: BTreeSet<SeriesKey>,
    dirty_histograms: BTreeSet<SeriesKey>,
}

impl Cumulative {
    pub fn inc(&mut self, family: &Family, labels: Labels, by: f64) {
        let key = SeriesKey::new(family, labels);
        *self.counters.entry(key.clone()).or_default() += by;
        self.dirty_counters.insert(key);
    }

    pub fn observe(&mut self, family: &Family, labels: Labels, bounds: &[f64], v: f64) {
        let key = SeriesKey::new(family, labels);
        self.histograms
            .entry(key.clone())
            .or_insert_with(|| Histogram::empty(bounds))
            .observe(bounds, v);
        self.dirty_histograms.insert(key);
    }

    /// Puts back a saved series (loading the state store).
    pub fn restore_counter(&mut self, key: SeriesKey, value: f64) {
        self.counters.insert(key, value);
    }

    pub fn restore_histogram(&mut self, key: SeriesKey, h: Histogram) {
        self.histograms.insert(key, h);
    }

    pub fn counters(&self) -> &BTreeMap<SeriesKey, f64> {
        &self.counters
    }

    pub fn histograms(&self) -> &BTreeMap<SeriesKey, Histogram> {
        &self.histograms
    }

    /// The series changed since the last call, to be saved.
    pub fn changed(&self) -> Changed<'_> {
        let counters = self
            .dirty_counters
            .iter()
            .filter_map(|k| self.counters.get(k).map(|v| (k, *v)))
            .collect();
        let histograms = self
            .dirty_histograms
            .iter()
            .filter_map(|k| self.histograms.get(k).map(|h| (k, h)))
            .collect();
        (counters, histograms)
    }

    /// Marks everything saved.
    pub fn mark_saved(&mut self) {
        self.dirty_counters.clear();
        self.dirty_histograms.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics;

    #[test]
    fn observations_land_in_the_first_bucket_at_or_above_them() {
        let bounds = [60.0, 300.0];
        let mut h = Histogram::empty(&bounds);
        for v in [10.0, 60.0, 61.0, 300.0, 1_000.0] {
            h.observe(&bounds, v);
        }
        // le=60: 10 and 60 (le is inclusive); le=300: + 61 and 300; +Inf: + 1000.
        assert_eq!(h.counts, vec![2, 2, 1]);
        assert_eq!(
            h.cumulative(&bounds).collect::<Vec<_>>(),
            vec![(60.0, 2), (300.0, 4)]
        );
        assert_eq!(h.count, 5);
        assert_eq!(h.sum, 1_431.0);
    }

    #[test]
    fn changed_lists_only_what_moved_since_saved() {
        let mut c = Cumulative::default();
        c.inc(&metrics::CREATED, vec![("team", "a".into())], 1.0);
        c.mark_saved();
        c.inc(&metrics::SOLVED, vec![("team", "a".into())], 2.0);
        let (counters, hists) = c.changed();
        assert_eq!(counters.len(), 1);
        assert_eq!(counters[0].0.name, metrics::SOLVED.name);
        assert_eq!(counters[0].1, 2.0);
        assert!(hists.is_empty());
    }
}
