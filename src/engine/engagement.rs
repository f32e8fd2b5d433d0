//! Employee engagement: eNPS and the engagement index.
//!
//! DESIGN.md §3: **eNPS** is NPS arithmetic (`surveys::NpsTally`) on `enps`
//! engagement answers (0–10). The **engagement index** is the mean of Likert
//! items (1–5), each rescaled to 0–100 (1 → 0, 3 → 50, 5 → 100). Attributed
//! to the answer's own `team` and response time.

use crate::engine::surveys::NpsTally;
use crate::model::EngagementAnswer;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EngagementTally {
    pub enps: NpsTally,
    /// Likert answers.
    pub responses: u64,
    /// Sum of rescaled (0–100) Likert answers.
    rescaled_sum: f64,
}

impl EngagementTally {
    /// Adds the answers `other` counted (another period's). The rescaled
    /// sums are added as they stand, which can differ in the last bit
    /// from summing the answers in one pass.
    pub fn merge(&mut self, other: &EngagementTally) {
        let EngagementTally {
            enps,
            responses,
            rescaled_sum,
        } = other;
        self.enps.merge(enps);
        self.responses += responses;
        self.rescaled_sum += rescaled_sum;
    }

    pub fn add(&mut self, answer: &EngagementAnswer) {
        match answer {
            EngagementAnswer::Enps(score) => self.enps.add(*score),
            EngagementAnswer::Likert { score, .. } => {
                self.responses += 1;
                self.rescaled_sum += rescale_likert(*score);
            }
        }
    }

    /// 0–100, `None` without Likert answers.
    pub fn index(&self) -> Option<f64> {
        (self.responses > 0).then(|| self.rescaled_sum / self.responses as f64)
    }
}

/// A 1–5 Likert score on a 0–100 scale.
pub fn rescale_likert(score: u8) -> f64 {
    (f64::from(score.clamp(1, 5)) - 1.0) * 25.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn likert(score: u8) -> EngagementAnswer {
        EngagementAnswer::Likert {
            item: "growth".into(),
            score,
        }
    }

    #[test]
    fn index_rescales_likert_to_0_100() {
        // 1, 3, 5 → 0, 50, 100 → mean 50. 4, 4 → 75.
        let mut t = EngagementTally::default();
        for s in [1, 3, 5] {
            t.add(&likert(s));
        }
        assert_eq!(t.index(), Some(50.0));
        let mut t = EngagementTally::default();
        t.add(&likert(4));
        t.add(&likert(4));
        assert_eq!(t.index(), Some(75.0));
    }

    #[test]
    fn enps_and_likert_are_tallied_apart() {
        // eNPS 10, 6, 8 → (1 − 1) / 3 = 0; no Likert answer → index null.
        let mut t = EngagementTally::default();
        for s in [10, 6, 8] {
            t.add(&EngagementAnswer::Enps(s));
        }
        assert_eq!(t.enps.score(), Some(0.0));
        assert_eq!(t.enps.responses(), 3);
        assert_eq!(t.index(), None);
    }
}
