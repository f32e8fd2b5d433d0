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
        // The exact sum, rounded once: the same whatever the values'
        // order (a week's samples taken into a union of weeks come in
        // another order than one aggregator's over the weeks).
        let mean = (count > 0).then(|| exact_sum(values) / count as f64);
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

/// The sum of `values` correctly rounded, so independent of their order:
/// Shewchuk's exact partial sums, rounded half-even at the end (as
/// Python's `math.fsum`). With an infinity or NaN among them, or a sum
/// beyond `f64::MAX`, the plain sum.
pub fn exact_sum(values: &[f64]) -> f64 {
    let mut partials: Vec<f64> = Vec::new();
    for &v in values {
        if !v.is_finite() {
            return values.iter().sum();
        }
        let mut x = v;
        let mut kept = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        if !x.is_finite() {
            return values.iter().sum();
        }
        partials.truncate(kept);
        partials.push(x);
    }
    let Some(mut n) = partials.len().checked_sub(1) else {
        return 0.0;
    };
    let mut hi = partials[n];
    let mut lo = 0.0;
    while n > 0 {
        let x = hi;
        n -= 1;
        let y = partials[n];
        hi = x + y;
        lo = y - (hi - x);
        if lo != 0.0 {
            break;
        }
    }
    // Half-way between two doubles: the partial below decides.
    if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
        let y = lo * 2.0;
        let x = hi + y;
        if y == x - hi {
            hi = x;
        }
    }
    hi
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
        /// Multiples of 2⁻²⁰ s (about a microsecond) summed exactly as
        /// integers, rounded once: what `exact_sum` must give, in any order.
        #[test]
        fn the_exact_sum_is_the_rounded_sum_in_any_order(
            units in prop::collection::vec(-(1i64 << 50)..(1i64 << 50), 0..200),
            seed in any::<u64>(),
        ) {
            let scale = (1u64 << 20) as f64;
            let values: Vec<f64> = units.iter().map(|&u| u as f64 / scale).collect();
            let exact: i128 = units.iter().map(|&u| i128::from(u)).sum();
            let expected = exact as f64 / scale;
            prop_assert_eq!(exact_sum(&values).to_bits(), expected.to_bits());
            let mut shuffled = values.clone();
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(exact_sum(&shuffled).to_bits(), expected.to_bits());
        }

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
