//! Re-routes and reassignments.
//!
//! DESIGN.md §3: **Re-routes** are team changes after the first team
//! assignment (Zendesk's group stations − 1). **Reassignments** are agent
//! changes after the first assignee. Both are counted as events when they
//! happen, and as a per-solve total in the ticket's shape.
//!
//! Only `assign` events move a ticket; on them a null `team` (or `agent_id`)
//! means "unchanged", because many helpdesks log only what changed.

use crate::engine::timeline::Measure;
use crate::model::{Event, EventKind};

/// The ticket's current team and assignee, and how often they changed.
#[derive(Debug, Default)]
pub struct Routing {
    team: Option<String>,
    agent: Option<String>,
    reroutes: u32,
    reassignments: u32,
}

impl Routing {
    pub fn on_event(&mut self, ev: &Event, out: &mut Vec<Measure>) {
        if ev.kind != EventKind::Assign {
            return;
        }
        if let Some(team) = ev.team.as_deref()
            && change(&mut self.team, team)
        {
            self.reroutes += 1;
            out.push(Measure::Reroute);
        }
        if let Some(agent) = ev.agent_id.as_deref()
            && change(&mut self.agent, agent)
        {
            self.reassignments += 1;
            out.push(Measure::Reassignment);
        }
    }

    pub fn team(&self) -> Option<&str> {
        self.team.as_deref()
    }

    pub fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }

    pub fn reroutes(&self) -> u32 {
        self.reroutes
    }

    pub fn reassignments(&self) -> u32 {
        self.reassignments
    }
}

/// Sets `slot` to `new`; true when that replaced a different earlier value
/// (the first assignment is not a change).
fn change(slot: &mut Option<String>, new: &str) -> bool {
    match slot {
        Some(old) if old == new => false,
        Some(old) => {
            *old = new.to_string();
            true
        }
        None => {
            *slot = Some(new.to_string());
            false
        }
    }
}
