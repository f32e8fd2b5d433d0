//! Label cardinality caps (DESIGN.md §3, §6): the first `max_teams` teams,
//! `max_channels` channels and `max_questions` engagement items seen keep
//! their name; later ones fold into `other`. Admitted values are persisted,
//! so a value never moves between itself and `other` across restarts.

use std::collections::{BTreeSet, HashMap};

use crate::config::LabelCaps;

/// The label value that absorbs everything beyond a cap.
pub const OTHER: &str = "other";

/// A label whose distinct values are capped (`[labels]`): each value is a
/// series. (Not `report::Dimension`, the axes a report can group by.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CappedLabel {
    Team,
    Channel,
    /// An engagement survey item (`support_engagement_responses_total`).
    Question,
    /// The assignee, only with `labels.agent = true`.
    Agent,
}

impl CappedLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            CappedLabel::Team => "team",
            CappedLabel::Channel => "channel",
            CappedLabel::Question => "question",
            CappedLabel::Agent => "agent",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LabelFolder {
    caps: LabelCaps,
    admitted: HashMap<CappedLabel, BTreeSet<String>>,
    /// Admitted since the last save.
    fresh: Vec<(String, String)>,
}

impl LabelFolder {
    /// `saved`: admitted values per dimension name, from the state store.
    pub fn new(caps: LabelCaps, saved: &HashMap<String, BTreeSet<String>>) -> LabelFolder {
        let mut admitted = HashMap::new();
        for dim in [
            CappedLabel::Team,
            CappedLabel::Channel,
            CappedLabel::Question,
            CappedLabel::Agent,
        ] {
            admitted.insert(dim, saved.get(dim.as_str()).cloned().unwrap_or_default());
        }
        LabelFolder {
            caps,
            admitted,
            fresh: Vec::new(),
        }
    }

    fn cap(&self, dim: CappedLabel) -> usize {
        match dim {
            CappedLabel::Team => self.caps.teams,
            CappedLabel::Channel => self.caps.channels,
            CappedLabel::Question => self.caps.questions,
            CappedLabel::Agent => self.caps.agents,
        }
    }

    /// `value` as already folded: itself when admitted, else `other`
    /// (admits nothing: for readers of the collections' labels, like the
    /// kpi job).
    pub fn folded(&self, dim: CappedLabel, value: &str) -> String {
        match self.admitted.get(&dim) {
            Some(set) if set.contains(value) => value.to_string(),
            _ => OTHER.to_string(),
        }
    }

    /// The label value to expose for `value`.
    pub fn fold(&mut self, dim: CappedLabel, value: &str) -> String {
        let cap = self.cap(dim);
        let set = self.admitted.entry(dim).or_default();
        if set.contains(value) {
            return value.to_string();
        }
        if set.len() < cap {
            set.insert(value.to_string());
            self.fresh
                .push((dim.as_str().to_string(), value.to_string()));
            return value.to_string();
        }
        OTHER.to_string()
    }

    /// Values admitted since the last call to `mark_saved`.
    pub fn fresh(&self) -> &[(String, String)] {
        &self.fresh
    }

    pub fn mark_saved(&mut self) {
        self.fresh.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_beyond_the_cap_fold_into_other_and_admitted_ones_stay() {
        let caps = LabelCaps {
            teams: 2,
            channels: 1,
            questions: 1,
            ..LabelCaps::default()
        };
        let mut saved = HashMap::new();
        saved.insert("team".to_string(), BTreeSet::from(["billing".to_string()]));
        let mut f = LabelFolder::new(caps, &saved);
        assert_eq!(f.fold(CappedLabel::Team, "frontline"), "frontline");
        assert_eq!(f.fold(CappedLabel::Team, "tech"), OTHER);
        assert_eq!(f.fold(CappedLabel::Team, "billing"), "billing");
        assert_eq!(f.fold(CappedLabel::Team, "frontline"), "frontline");
        assert_eq!(f.fold(CappedLabel::Channel, "email"), "email");
        assert_eq!(f.fold(CappedLabel::Channel, "chat"), OTHER);
        // Engagement items are capped too: a survey with free-form codes
        // cannot grow the series without bound.
        assert_eq!(f.fold(CappedLabel::Question, "enps"), "enps");
        assert_eq!(f.fold(CappedLabel::Question, "q-7f3a"), OTHER);
        assert_eq!(
            f.fresh(),
            &[
                ("team".to_string(), "frontline".to_string()),
                ("channel".to_string(), "email".to_string()),
                ("question".to_string(), "enps".to_string())
            ]
        );
    }
}
