//! Interactions and replies.
//!
//! DESIGN.md §3: **Interactions** are public `message` events from `customer`
//! or `agent` up to the solve. **Replies** are agent public messages up to the
//! solve. **One-touch**: solved with exactly one agent reply. Internal notes,
//! bot and system messages are neither.

use crate::model::{Actor, Event, EventKind};

/// Running message counts of one ticket.
#[derive(Debug, Default)]
pub struct Interactions {
    interactions: u32,
    replies: u32,
}

impl Interactions {
    pub fn on_event(&mut self, ev: &Event) {
        if ev.kind != EventKind::Message {
            return;
        }
        match ev.actor {
            Actor::Customer => self.interactions += 1,
            Actor::Agent => {
                self.interactions += 1;
                self.replies += 1;
            }
            Actor::Bot | Actor::System => {}
        }
    }

    pub fn interactions(&self) -> u32 {
        self.interactions
    }

    pub fn replies(&self) -> u32 {
        self.replies
    }
}
