//! Presets: SQL that maps an open-source helpdesk's own tables onto the
//! source contract (DESIGN.md §2), so `source.preset = "chatwoot"` reads a
//! Chatwoot database (or its read-only replica) with nothing created in
//! it. The SQL lives in `config/sources/<preset>/<relation>.sql`, where
//! users can read it, copy it into `source.queries`, or wrap it in a view.

use crate::model::Relation;

/// One helpdesk's mapping: a SELECT per relation.
#[derive(Debug)]
pub struct Preset {
    pub name: &'static str,
    tickets: &'static str,
    events: &'static str,
    surveys: &'static str,
    engagement: &'static str,
}

impl Preset {
    pub fn query(&self, r: Relation) -> &'static str {
        match r {
            Relation::Tickets => self.tickets,
            Relation::Events => self.events,
            Relation::Surveys => self.surveys,
            Relation::Engagement => self.engagement,
        }
    }
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "chatwoot",
        tickets: include_str!("../../config/sources/chatwoot/tickets.sql"),
        events: include_str!("../../config/sources/chatwoot/events.sql"),
        surveys: include_str!("../../config/sources/chatwoot/surveys.sql"),
        engagement: include_str!("../../config/sources/chatwoot/engagement.sql"),
    },
    Preset {
        name: "zammad",
        tickets: include_str!("../../config/sources/zammad/tickets.sql"),
        events: include_str!("../../config/sources/zammad/events.sql"),
        surveys: include_str!("../../config/sources/zammad/surveys.sql"),
        engagement: include_str!("../../config/sources/zammad/engagement.sql"),
    },
];

pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The preset names, for error messages and `--help`.
pub fn names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_query_is_one_select_that_can_be_wrapped() {
        for p in PRESETS {
            for r in Relation::ALL {
                let q = p.query(r).trim();
                // Wrapped as `(query) AS src`: no statement separator.
                assert!(!q.contains(';'), "{} {r:?} has a ';'", p.name);
                let body: String = q
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n");
                assert!(body.trim_start().starts_with("SELECT"), "{} {r:?}", p.name);
            }
        }
        assert!(find("zammad").is_some() && find("osticket").is_none());
    }
}
