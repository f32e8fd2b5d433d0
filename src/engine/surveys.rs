//! Customer survey scores: CSAT, NPS, CES.
//!
//! DESIGN.md §3, attributed to the response time:
//! - **CSAT**: share of `csat` responses scoring 4 or 5 ("satisfied" or
//!   "very satisfied"), a ratio 0–1.
//! - **NPS**: % promoters (9–10) − % detractors (0–6), −100…100; 7–8 are
//!   passives. The same arithmetic serves eNPS (`engagement`).
//! - **CES**: mean of `ces` scores (1 = very low effort … 7 = very high
//!   effort, after the configured direction is applied at the edge) and the
//!   share of low-effort answers (≤ 3).

use crate::engine::stats::ratio;

/// A CSAT score of 4 or 5.
pub fn is_satisfied(csat: u8) -> bool {
    csat >= 4
}

/// A CES score of 3 or less (on the normalised 1 = lowest effort scale).
pub fn is_low_effort(ces: u8) -> bool {
    ces <= 3
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NpsClass {
    Promoter,
    Passive,
    Detractor,
}

impl NpsClass {
    pub fn of(score: u8) -> NpsClass {
        match score {
            9.. => NpsClass::Promoter,
            7..=8 => NpsClass::Passive,
            _ => NpsClass::Detractor,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NpsClass::Promoter => "promoter",
            NpsClass::Passive => "passive",
            NpsClass::Detractor => "detractor",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CsatTally {
    pub responses: u64,
    pub satisfied: u64,
}

impl CsatTally {
    /// Adds the answers `other` counted (another period's).
    pub fn merge(&mut self, other: &CsatTally) {
        let CsatTally {
            responses,
            satisfied,
        } = other;
        self.responses += responses;
        self.satisfied += satisfied;
    }

    pub fn add(&mut self, score: u8) {
        self.responses += 1;
        self.satisfied += u64::from(is_satisfied(score));
    }

    pub fn ratio(&self) -> Option<f64> {
        ratio(self.satisfied, self.responses)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NpsTally {
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
}

impl NpsTally {
    /// Adds the answers `other` counted (another period's).
    pub fn merge(&mut self, other: &NpsTally) {
        let NpsTally {
            promoters,
            passives,
            detractors,
        } = other;
        self.promoters += promoters;
        self.passives += passives;
        self.detractors += detractors;
    }

    pub fn add(&mut self, score: u8) {
        match NpsClass::of(score) {
            NpsClass::Promoter => self.promoters += 1,
            NpsClass::Passive => self.passives += 1,
            NpsClass::Detractor => self.detractors += 1,
        }
    }

    pub fn responses(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }

    /// −100…100, `None` without responses.
    pub fn score(&self) -> Option<f64> {
        let n = self.responses();
        (n > 0).then(|| 100.0 * (self.promoters as f64 - self.detractors as f64) / n as f64)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CesTally {
    pub responses: u64,
    pub sum: u64,
    pub low_effort: u64,
}

impl CesTally {
    /// Adds the answers `other` counted (another period's).
    pub fn merge(&mut self, other: &CesTally) {
        let CesTally {
            responses,
            sum,
            low_effort,
        } = other;
        self.responses += responses;
        self.sum += sum;
        self.low_effort += low_effort;
    }

    pub fn add(&mut self, score: u8) {
        self.responses += 1;
        self.sum += u64::from(score);
        self.low_effort += u64::from(is_low_effort(score));
    }

    pub fn mean(&self) -> Option<f64> {
        (self.responses > 0).then(|| self.sum as f64 / self.responses as f64)
    }

    pub fn low_effort_ratio(&self) -> Option<f64> {
        ratio(self.low_effort, self.responses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csat_boundary_is_between_3_and_4() {
        let mut t = CsatTally::default();
        for s in [1, 2, 3, 4, 5] {
            t.add(s);
        }
        assert_eq!((t.responses, t.satisfied), (5, 2));
        assert_eq!(t.ratio(), Some(0.4));
        assert_eq!(CsatTally::default().ratio(), None);
    }

    #[test]
    fn nps_classes_at_every_boundary() {
        assert_eq!(NpsClass::of(0), NpsClass::Detractor);
        assert_eq!(NpsClass::of(6), NpsClass::Detractor);
        assert_eq!(NpsClass::of(7), NpsClass::Passive);
        assert_eq!(NpsClass::of(8), NpsClass::Passive);
        assert_eq!(NpsClass::of(9), NpsClass::Promoter);
        assert_eq!(NpsClass::of(10), NpsClass::Promoter);
    }

    #[test]
    fn nps_score_by_hand() {
        // 6, 7, 8, 9, 10: 2 promoters, 2 passives, 1 detractor → (2 − 1) / 5 = +20.
        let mut t = NpsTally::default();
        for s in [6, 7, 8, 9, 10] {
            t.add(s);
        }
        assert_eq!(t.score(), Some(20.0));
        let mut all_detractors = NpsTally::default();
        all_detractors.add(0);
        assert_eq!(all_detractors.score(), Some(-100.0));
        assert_eq!(NpsTally::default().score(), None);
    }

    #[test]
    fn ces_mean_and_low_effort_share() {
        // 1, 3, 4, 7: mean 3.75, low effort (≤ 3) 2 of 4.
        let mut t = CesTally::default();
        for s in [1, 3, 4, 7] {
            t.add(s);
        }
        assert_eq!(t.mean(), Some(3.75));
        assert_eq!(t.low_effort_ratio(), Some(0.5));
    }
}
