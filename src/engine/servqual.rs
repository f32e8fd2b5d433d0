//! SERVQUAL (Parasuraman, Zeithaml & Berry): service quality as the gap
//! between what customers expect and what they perceive.
//!
//! DESIGN.md §3: answers of kind `servqual_expectation` (E) and
//! `servqual_perception` (P), 1–7, each about one of five dimensions
//! (tangibles, reliability, responsiveness, assurance, empathy). Per
//! dimension, over the period's answers, **gap = mean(P) − mean(E)**
//! (negative: the service falls short of what was expected); a dimension
//! without E or without P answers has no gap. The **unweighted score** is
//! the mean of the five gaps, the **weighted score** their mean weighted by
//! `servqual.weights` (percentages summing to 100, 20 each by default);
//! both need all five gaps.

use serde::Serialize;

use crate::model::{ServqualDimension, ServqualSide};

/// SERVQUAL surveys come in quarterly waves: the windowed gauges (the kpi
/// job) read the last 13 weeks, so that a wave stays on the dashboards
/// until the next one, and the state store keeps that long of answers.
pub const WINDOW: chrono::TimeDelta = chrono::TimeDelta::weeks(13);

/// How much each dimension counts in the weighted score, in percent, in
/// [`ServqualDimension::ALL`] order. Validated by the config to sum to 100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServqualWeights(pub [f64; 5]);

impl Default for ServqualWeights {
    fn default() -> Self {
        ServqualWeights([20.0; 5])
    }
}

impl ServqualWeights {
    pub fn of(&self, d: ServqualDimension) -> f64 {
        self.0[d.index()]
    }
}

/// The answers of one side of one dimension: enough for the mean and, in
/// the digest, its variance.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Answers {
    pub responses: u64,
    pub sum: u64,
    pub sum_of_squares: u64,
}

impl Answers {
    /// Adds the answers `other` counted (another period's).
    pub fn merge(&mut self, other: &Answers) {
        let Answers {
            responses,
            sum,
            sum_of_squares,
        } = other;
        self.responses += responses;
        self.sum += sum;
        self.sum_of_squares += sum_of_squares;
    }

    pub fn add(&mut self, score: u8) {
        let s = u64::from(score);
        self.responses += 1;
        self.sum += s;
        self.sum_of_squares += s * s;
    }

    pub fn mean(&self) -> Option<f64> {
        (self.responses > 0).then(|| self.sum as f64 / self.responses as f64)
    }

    /// The variance of the mean (sample variance ÷ n); `None` under two
    /// answers.
    pub fn variance_of_mean(&self) -> Option<f64> {
        if self.responses < 2 {
            return None;
        }
        let n = self.responses as f64;
        let mean = self.sum as f64 / n;
        let var = (self.sum_of_squares as f64 - n * mean * mean) / (n - 1.0);
        Some(var.max(0.0) / n)
    }
}

/// E and P answers of one dimension.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DimensionTally {
    pub expectation: Answers,
    pub perception: Answers,
}

impl DimensionTally {
    /// Answers of both sides.
    pub fn responses(&self) -> u64 {
        self.expectation.responses + self.perception.responses
    }

    pub fn gap(&self) -> Option<f64> {
        Some(self.perception.mean()? - self.expectation.mean()?)
    }

    /// The variance of the gap's estimate (the two means are independent
    /// samples); `None` when a side has under two answers.
    pub fn gap_variance(&self) -> Option<f64> {
        Some(self.perception.variance_of_mean()? + self.expectation.variance_of_mean()?)
    }
}

/// The SERVQUAL answers of a period (or a group of it).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ServqualTally {
    pub dimensions: [DimensionTally; 5],
}

impl ServqualTally {
    /// Adds the answers `other` counted (another period's).
    pub fn merge(&mut self, other: &ServqualTally) {
        for (d, o) in self.dimensions.iter_mut().zip(&other.dimensions) {
            d.expectation.merge(&o.expectation);
            d.perception.merge(&o.perception);
        }
    }

    pub fn add(&mut self, side: ServqualSide, dimension: ServqualDimension, score: u8) {
        let d = &mut self.dimensions[dimension.index()];
        match side {
            ServqualSide::Expectation => d.expectation.add(score),
            ServqualSide::Perception => d.perception.add(score),
        }
    }

    pub fn of(&self, d: ServqualDimension) -> &DimensionTally {
        &self.dimensions[d.index()]
    }

    pub fn responses(&self) -> u64 {
        self.dimensions.iter().map(DimensionTally::responses).sum()
    }

    /// The period's SERVQUAL; `None` without a single answer.
    pub fn result(&self, weights: &ServqualWeights) -> Option<Servqual> {
        if self.responses() == 0 {
            return None;
        }
        let dimension = |d: ServqualDimension| {
            let t = self.of(d);
            DimensionResult {
                expectation: t.expectation.mean(),
                perception: t.perception.mean(),
                gap: t.gap(),
                responses: t.responses(),
            }
        };
        let gaps: Option<Vec<(ServqualDimension, f64)>> = ServqualDimension::ALL
            .into_iter()
            .map(|d| self.of(d).gap().map(|g| (d, g)))
            .collect();
        let score = gaps
            .as_ref()
            .map(|g| g.iter().map(|(_, gap)| gap).sum::<f64>() / g.len() as f64);
        let weighted_score = gaps
            .as_ref()
            .map(|g| g.iter().map(|(d, gap)| gap * weights.of(*d)).sum::<f64>() / 100.0);
        Some(Servqual {
            dimensions: Dimensions {
                tangibles: dimension(ServqualDimension::Tangibles),
                reliability: dimension(ServqualDimension::Reliability),
                responsiveness: dimension(ServqualDimension::Responsiveness),
                assurance: dimension(ServqualDimension::Assurance),
                empathy: dimension(ServqualDimension::Empathy),
            },
            score,
            weighted_score,
        })
    }
}

/// One dimension in a report: mean E, mean P, the gap, answers of both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DimensionResult {
    pub expectation: Option<f64>,
    pub perception: Option<f64>,
    pub gap: Option<f64>,
    pub responses: u64,
}

/// The five dimensions, in the order of the SERVQUAL form.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Dimensions {
    pub tangibles: DimensionResult,
    pub reliability: DimensionResult,
    pub responsiveness: DimensionResult,
    pub assurance: DimensionResult,
    pub empathy: DimensionResult,
}

impl Dimensions {
    pub fn get(&self, d: ServqualDimension) -> &DimensionResult {
        match d {
            ServqualDimension::Tangibles => &self.tangibles,
            ServqualDimension::Reliability => &self.reliability,
            ServqualDimension::Responsiveness => &self.responsiveness,
            ServqualDimension::Assurance => &self.assurance,
            ServqualDimension::Empathy => &self.empathy,
        }
    }
}

/// What `report` shows as `servqual`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Servqual {
    pub dimensions: Dimensions,
    /// The mean of the five gaps; `null` unless all five have one.
    pub score: Option<f64>,
    /// The gaps weighted by `servqual.weights`; `null` like `score`.
    pub weighted_score: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ServqualDimension::*;
    use ServqualSide::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    /// Hand-computed: every dimension E = 6 (two answers 6, 6) except
    /// reliability E = (7 + 6) / 2 = 6.5; P: tangibles 5, reliability
    /// (4 + 5) / 2 = 4.5, responsiveness 6, assurance 7, empathy 3.
    fn full() -> ServqualTally {
        let mut t = ServqualTally::default();
        for d in ServqualDimension::ALL {
            if d == Reliability {
                t.add(Expectation, d, 7);
            } else {
                t.add(Expectation, d, 6);
            }
            t.add(Expectation, d, 6);
        }
        for (d, p) in [(Tangibles, 5), (Reliability, 4), (Reliability, 5)] {
            t.add(Perception, d, p);
        }
        for (d, p) in [(Responsiveness, 6), (Assurance, 7), (Empathy, 3)] {
            t.add(Perception, d, p);
        }
        t
    }

    #[test]
    fn gaps_score_and_weighted_score_by_hand() {
        let s = full().result(&ServqualWeights::default()).expect("answers");
        // Gaps: −1, −2, 0, +1, −3.
        assert!(close(s.dimensions.tangibles.gap, -1.0));
        assert!(close(s.dimensions.reliability.expectation, 6.5));
        assert!(close(s.dimensions.reliability.perception, 4.5));
        assert!(close(s.dimensions.reliability.gap, -2.0));
        assert!(close(s.dimensions.responsiveness.gap, 0.0));
        assert!(close(s.dimensions.assurance.gap, 1.0));
        assert!(close(s.dimensions.empathy.gap, -3.0));
        assert_eq!(s.dimensions.reliability.responses, 4);
        assert_eq!(s.dimensions.empathy.responses, 3);
        // (−1 − 2 + 0 + 1 − 3) / 5 = −1; equal weights give the same.
        assert!(close(s.score, -1.0));
        assert!(close(s.weighted_score, -1.0));
        // Reliability counting 40 %, the others 15 %:
        // 0.15·(−1) + 0.40·(−2) + 0.15·0 + 0.15·1 + 0.15·(−3) = −1.25.
        let w = ServqualWeights([15.0, 40.0, 15.0, 15.0, 15.0]);
        let s = full().result(&w).expect("answers");
        assert!(close(s.weighted_score, -1.25));
        assert!(close(s.score, -1.0));
    }

    #[test]
    fn a_dimension_without_expectations_has_no_gap_and_no_score() {
        let mut t = full();
        t.dimensions[Empathy.index()].expectation = Answers::default();
        let s = t.result(&ServqualWeights::default()).expect("answers");
        assert_eq!(s.dimensions.empathy.expectation, None);
        assert!(close(s.dimensions.empathy.perception, 3.0));
        assert_eq!(s.dimensions.empathy.gap, None);
        assert!(close(s.dimensions.tangibles.gap, -1.0));
        assert_eq!((s.score, s.weighted_score), (None, None));
        assert_eq!(
            ServqualTally::default().result(&ServqualWeights::default()),
            None
        );
    }

    #[test]
    fn variance_of_a_gap() {
        // P = 4, 6 (mean 5, sample variance 2, of the mean 1); E = 6, 6, 6
        // (variance 0): the gap −1 with variance 1.
        let mut t = DimensionTally::default();
        t.perception.add(4);
        t.perception.add(6);
        for _ in 0..3 {
            t.expectation.add(6);
        }
        assert!(close(t.gap(), -1.0));
        assert!(close(t.gap_variance(), 1.0));
        t.expectation = Answers::default();
        t.expectation.add(6);
        assert_eq!(t.gap_variance(), None);
    }
}
