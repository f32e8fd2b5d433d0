//! Cumulative counters and histograms in memory, keyed by family and
//! labels, with the set changed since the last save.
//!
//! Values only grow: a collection adds to them and the state store saves the
//! changed series in the same transaction as the watermark.

use hashbrown::{Equivalent, HashMap};

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

/// A series looked up by borrowed labels: hashes like [`SeriesKey`]
/// (`Vec` and slices hash alike), so a count on an existing series builds
/// no key. A backfill makes tens of millions of these lookups.
#[derive(Hash)]
struct KeyRef<'a> {
    name: &'static str,
    labels: &'a [(&'static str, String)],
}

impl Equivalent<SeriesKey> for KeyRef<'_> {
    fn equivalent(&self, key: &SeriesKey) -> bool {
        self.name == key.name && self.labels == key.labels.as_slice()
    }
}

impl From<&KeyRef<'_>> for SeriesKey {
    fn from(k: &KeyRef<'_>) -> SeriesKey {
        SeriesKey {
            name: k.name,
            labels: k.labels.to_vec(),
        }
    }
}

/// A value and whether it changed since the last save.
#[derive(Debug, Clone)]
struct Slot<T> {
    value: T,
    dirty: bool,
}

/// Every cumulative series.
#[derive(Debug, Default, Clone)]
pub struct Cumulative {
    counters: HashMap<SeriesKey, Slot<f64>>,
    histograms: HashMap<SeriesKey, Slot<Histogram>>,
}

/// The slot of series `family{labels}`, created with `init` when new.
fn slot<'m, T>(
    map: &'m mut HashMap<SeriesKey, Slot<T>>,
    family: &Family,
    labels: &[(&'static str, String)],
    init: impl FnOnce() -> T,
) -> &'m mut Slot<T> {
    let probe = KeyRef {
        name: family.name,
        labels,
    };
    map.entry_ref(&probe).or_insert_with(|| Slot {
        value: init(),
        dirty: false,
    })
}

impl Cumulative {
    pub fn inc(&mut self, family: &Family, labels: &[(&'static str, String)], by: f64) {
        let s = slot(&mut self.counters, family, labels, || 0.0);
        s.value += by;
        s.dirty = true;
    }

    pub fn observe(
        &mut self,
        family: &Family,
        labels: &[(&'static str, String)],
        bounds: &[f64],
        v: f64,
    ) {
        let s = slot(&mut self.histograms, family, labels, || {
            Histogram::empty(bounds)
        });
        s.value.observe(bounds, v);
        s.dirty = true;
    }

    /// Puts back a saved series (loading the state store).
    pub fn restore_counter(&mut self, key: SeriesKey, value: f64) {
        self.counters.insert(
            key,
            Slot {
                value,
                dirty: false,
            },
        );
    }

    pub fn restore_histogram(&mut self, key: SeriesKey, h: Histogram) {
        self.histograms.insert(
            key,
            Slot {
                value: h,
                dirty: false,
            },
        );
    }

    /// The value of one counter.
    pub fn counter(&self, key: &SeriesKey) -> Option<f64> {
        self.counters.get(key).map(|s| s.value)
    }

    /// Every counter, in no particular order.
    pub fn counters(&self) -> impl Iterator<Item = (&SeriesKey, f64)> {
        self.counters.iter().map(|(k, s)| (k, s.value))
    }

    /// Every histogram, in no particular order.
    pub fn histograms(&self) -> impl Iterator<Item = (&SeriesKey, &Histogram)> {
        self.histograms.iter().map(|(k, s)| (k, &s.value))
    }

    /// How many series there are.
    pub fn len(&self) -> usize {
        self.counters.len() + self.histograms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The series changed since the last call, to be saved.
    pub fn changed(&self) -> Changed<'_> {
        let counters = self
            .counters
            .iter()
            .filter(|(_, s)| s.dirty)
            .map(|(k, s)| (k, s.value))
            .collect();
        let histograms = self
            .histograms
            .iter()
            .filter(|(_, s)| s.dirty)
            .map(|(k, s)| (k, &s.value))
            .collect();
        (counters, histograms)
    }

    /// Marks everything saved.
    pub fn mark_saved(&mut self) {
        for s in self.counters.values_mut() {
            s.dirty = false;
        }
        for s in self.histograms.values_mut() {
            s.dirty = false;
        }
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
        c.inc(&metrics::CREATED, &[("team", "a".into())], 1.0);
        c.mark_saved();
        c.inc(&metrics::SOLVED, &[("team", "a".into())], 2.0);
        let (counters, hists) = c.changed();
        assert_eq!(counters.len(), 1);
        assert_eq!(counters[0].0.name, metrics::SOLVED.name);
        assert_eq!(counters[0].1, 2.0);
        assert!(hists.is_empty());
    }
}
