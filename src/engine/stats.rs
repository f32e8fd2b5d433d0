//! Exact summary statistics for reports.
//!
//! DESIGN.md §3: percentiles in reports are exact, linear interpolation
//! between closest ranks (NumPy's default, `method="linear"`): for sorted
//! values `x` of length `n` and quantile `q`, the rank is `h = (n - 1) q`
//! and the value `x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋ + 1] - x[⌊h⌋])`.

use serde::Serialize;

/// The quantile `q` (0..=1) of `sorted`, or `None` when empty.
/// `sorted` must be in ascending order.
///
/// ```
/// use support_metrics::engine::stats::quantile_sorted;
/// // numpy.percentile([1, 2, 3, 4], 90) == 3.7
/// let p90 = quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.9).unwrap();
/// assert!((p90 - 3.7).abs() < 1e-12);
/// assert_eq!(quantile_sorted(&[], 0.5), None);
/// ```
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = h - lo as f64;
    Some(sorted[lo] + frac * (sorted[hi] - sorted[lo]))
}

/// `{count, mean, p50, p90}` of a distribution; the statistics are `null`
/// when there is no value (absent data is never 0).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub count: u64,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

impl Summary {
    /// Summarises `values` (reordered).
    pub fn of(values: &mut [f64]) -> Summary {
        let count = values.len() as u64;
        // Summed as they came, before the selections reorder them.
        let mean = (count > 0).then(|| values.iter().sum::<f64>() / count as f64);
        Summary {
            count,
            mean,
            p50: quantile_of(values, 0.5),
            p90: quantile_of(values, 0.9),
        }
    }
}

/// What [`quantile_sorted`] gives of `values` sorted, without sorting
/// them: the order statistics it interpolates between are selected
/// (linear time; sorting a 12-week report's distributions was a tenth
/// of its time). `values` is reordered.
pub fn quantile_of(values: &mut [f64], q: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    let (_, &mut low, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    // The next order statistic is the least of those above.
    let high = above.iter().copied().min_by(f64::total_cmp).unwrap_or(low);
    Some(low + frac * (high - low))
}

/// `part / whole` as a ratio, `None` when `whole` is 0.
pub fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn matches_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4], [50, 90]) == [2.5, 3.7]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), Some(2.5));
        assert!((quantile_sorted(&v, 0.9).unwrap() - 3.7).abs() < 1e-12);
        // numpy.percentile([10, 20, 30, 40, 100], 90) == 76.0
        let v = [10.0, 20.0, 30.0, 40.0, 100.0];
        assert!((quantile_sorted(&v, 0.9).unwrap() - 76.0).abs() < 1e-12);
        assert_eq!(quantile_sorted(&[7.0], 0.9), Some(7.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    #[test]
    fn summary_of_nothing_is_null_not_zero() {
        let s = Summary::of(&mut []);
        assert_eq!(
            s,
            Summary {
                count: 0,
                mean: None,
                p50: None,
                p90: None
            }
        );
        assert_eq!(ratio(0, 0), None);
        assert_eq!(ratio(0, 4), Some(0.0));
    }

    #[test]
    fn summary_of_unsorted_values_is_that_of_the_sorted_ones() {
        let s = Summary::of(&mut [40.0, 10.0, 30.0, 20.0]);
        assert_eq!(s.count, 4);
        assert_eq!(s.mean, Some(25.0));
        assert_eq!(s.p50, Some(25.0));
        assert!((s.p90.unwrap() - 37.0).abs() < 1e-12);
    }

    /// Any bits at all: NaNs of both signs, zeros, infinities, subnormals.
    fn any_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<u64>().prop_map(f64::from_bits),
            prop::sample::select(vec![
                0.0,
                -0.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NAN,
                -f64::NAN
            ]),
            (0u32..100_000).prop_map(f64::from),
        ]
    }

    proptest! {
        #[test]
        fn selected_quantiles_are_the_sorted_ones(v in prop::collection::vec(any_f64(), 0..300), q in 0.0f64..=1.0) {
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let expected = quantile_sorted(&sorted, q);
            let mut values = v;
            let got = quantile_of(&mut values, q);
            prop_assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits));
        }

        #[test]
        fn quantiles_lie_within_min_and_max(mut v in prop::collection::vec(-1e9f64..1e9, 1..200), q in 0.0f64..=1.0) {
            v.sort_by(f64::total_cmp);
            let x = quantile_sorted(&v, q).unwrap();
            prop_assert!(x >= v[0] && x <= v[v.len() - 1]);
        }

        #[test]
        fn quantiles_are_monotonic(mut v in prop::collection::vec(-1e6f64..1e6, 1..100), q1 in 0.0f64..=1.0, q2 in 0.0f64..=1.0) {
            v.sort_by(f64::total_cmp);
            let (lo, hi) = if q1 <= q2 { (q1, q2) } else { (q2, q1) };
            prop_assert!(quantile_sorted(&v, lo).unwrap() <= quantile_sorted(&v, hi).unwrap() + 1e-9);
        }
    }
}
