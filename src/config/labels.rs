//! `[labels]`: how many distinct values a label may take before the rest
//! fold into `other` (each value is a series in Prometheus).

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLabels {
    max_teams: Option<usize>,
    max_channels: Option<usize>,
    /// Accepted for old files; no series carries a category label.
    max_categories: Option<usize>,
    max_questions: Option<usize>,
    /// Opt in to an `agent` label on the ticket series.
    agent: Option<bool>,
    max_agents: Option<usize>,
}

/// Caps on distinct label values; the rest fold into `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelCaps {
    pub teams: usize,
    pub channels: usize,
    /// Engagement survey items (`question` label).
    pub questions: usize,
    /// An `agent` label on the ticket, CSAT and CES series (`labels.agent`,
    /// off by default: agent ids are unbounded), capped at `agents`.
    pub agent: bool,
    pub agents: usize,
}

impl Default for LabelCaps {
    fn default() -> Self {
        LabelCaps {
            teams: 50,
            channels: 20,
            questions: 50,
            agent: false,
            agents: 50,
        }
    }
}

/// `[labels]` validated.
pub(super) fn validate(raw: RawLabels, problems: &mut Vec<String>) -> LabelCaps {
    let mut caps = LabelCaps::default();
    if raw.max_categories.is_some() {
        tracing::warn!(
            "labels.max_categories has no effect: no series carries a category label \
             (categories are in `report --by category` and the digest); remove it"
        );
    }
    for (key, value, slot) in [
        ("max_teams", raw.max_teams, &mut caps.teams),
        ("max_channels", raw.max_channels, &mut caps.channels),
        ("max_questions", raw.max_questions, &mut caps.questions),
        ("max_agents", raw.max_agents, &mut caps.agents),
    ] {
        match value {
            Some(0) => problems.push(format!("labels.{key}: must be at least 1")),
            Some(v) => *slot = v,
            None => {}
        }
    }
    caps.agent = raw.agent.unwrap_or(false);
    if raw.max_agents.is_some() && !caps.agent {
        tracing::warn!(
            "labels.max_agents has no effect without labels.agent = true (no series carries an \
             agent label; agents are in `report --by agent` and the ticket facts)"
        );
    }
    caps
}
