//! Exact one-sided binomial tests, the digest's statistical yardstick.
//!
//! Every systemic issue is a count `k` out of `n` trials (tickets, answers,
//! measured SLOs) compared with the rate `p` that would be usual. The
//! p-value is the probability of a count at least that extreme if the usual
//! rate still held. Sums run in log space so weeks of thousands of tickets
//! neither underflow nor lose precision.

/// `P(Z ≥ z)` for a standard normal `Z`: the one-sided p-value of a
/// difference `z` standard errors above 0 (for the SERVQUAL gaps, means of
/// Likert answers). `erfc` by W. J. Cody's rational approximation as in
/// Numerical Recipes' `erfcc` (relative error below 1.2e-7).
pub fn normal_upper_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// `P(X ≥ k)` for `X ~ Binomial(n, p)`.
pub fn upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    tail(k..=n, n, p)
}

/// `P(X ≤ k)` for `X ~ Binomial(n, p)`.
pub fn lower_tail(k: u64, n: u64, p: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    tail(0..=k, n, p)
}

fn tail(range: std::ops::RangeInclusive<u64>, n: u64, p: f64) -> f64 {
    let p = p.clamp(0.0, 1.0);
    if p == 0.0 {
        return if *range.start() == 0 { 1.0 } else { 0.0 };
    }
    if p == 1.0 {
        return if *range.end() == n { 1.0 } else { 0.0 };
    }
    let logs: Vec<f64> = range.map(|i| log_pmf(i, n, p)).collect();
    let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = logs.iter().map(|l| (l - max).exp()).sum();
    (max + sum.ln()).exp().min(1.0)
}

fn log_pmf(i: u64, n: u64, p: f64) -> f64 {
    let (i, n) = (i as f64, n as f64);
    ln_choose(n, i) + i * p.ln() + (n - i) * (1.0 - p).ln()
}

fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// Lanczos approximation (g = 7, 9 terms): about 15 significant digits for
/// the positive arguments used here.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection; only reached for x in (0, 0.5), never here in practice.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + G + 0.5;
    let series = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tail_matches_the_tables() {
        // scipy.stats.norm.sf: 0 → 0.5, 1.959964 → 0.025, 2.326348 → 0.01,
        // 3.090232 → 0.001, −1.644854 → 0.95.
        for (z, p) in [
            (0.0, 0.5),
            (1.959_964, 0.025),
            (2.326_348, 0.01),
            (3.090_232, 0.001),
            (-1.644_854, 0.95),
        ] {
            let got = normal_upper_tail(z);
            // The table's z are rounded to 6 decimals: ±2e-8 in p.
            assert!(
                (got - p).abs() <= 2e-8 + 2e-7 * p,
                "z = {z}: {got}, want {p}"
            );
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1e-300)
    }

    #[test]
    fn hand_computed_tails() {
        // Three heads in three fair tosses: 1/8.
        assert!(close(upper_tail(3, 3, 0.5), 0.125));
        // At most one head in four: (1 + 4) / 16.
        assert!(close(lower_tail(1, 4, 0.5), 5.0 / 16.0));
        // P(X ≥ 5), n = 10, p = 0.2: 1 − Σ_{i≤4} C(10,i) 0.2^i 0.8^(10−i).
        let below: f64 = [
            0.107_374_182_4,
            0.268_435_456,
            0.301_989_888,
            0.201_326_592,
            0.088_080_384,
        ]
        .iter()
        .sum();
        assert!((upper_tail(5, 10, 0.2) - (1.0 - below)).abs() < 1e-9);
        assert_eq!(upper_tail(0, 10, 0.3), 1.0);
        assert_eq!(upper_tail(11, 10, 0.3), 0.0);
        assert_eq!(lower_tail(10, 10, 0.3), 1.0);
    }

    #[test]
    fn degenerate_rates() {
        assert_eq!(upper_tail(1, 10, 0.0), 0.0);
        assert_eq!(lower_tail(0, 10, 0.0), 1.0);
        assert_eq!(lower_tail(9, 10, 1.0), 0.0);
        assert_eq!(upper_tail(10, 10, 1.0), 1.0);
    }

    #[test]
    fn large_counts_do_not_underflow() {
        // Mean 1,000, sd ≈ 28: 1,200 is ~7 sd out, tiny but not zero or NaN.
        let p = upper_tail(1_200, 5_000, 0.2);
        assert!(p > 0.0 && p < 1e-10, "{p}");
        // The median is close to one half.
        let m = upper_tail(1_000, 5_000, 0.2);
        assert!((m - 0.5).abs() < 0.02, "{m}");
    }
}
