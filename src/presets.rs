//! Presets: SQL that maps an open-source helpdesk's own tables onto the
//! source contract (DESIGN.md §2), so `source.preset = "chatwoot"` reads a
//! Chatwoot database (or its read-only replica) with nothing created in
//! it. The SQL lives in `config/sources/<preset>/<relation>.sql` (and
//! `config/sources/none/` for a relation the helpdesk does not have), where
//! users can read it, copy it into `source.queries`, or wrap it in a view.

use crate::model::Relation;

/// A file of `config/sources/`: its path and its text.
type SqlFile = (&'static str, &'static str);

macro_rules! sql_file {
    ($path:literal) => {
        (
            concat!("config/sources/", $path),
            include_str!(concat!("../config/sources/", $path)),
        )
    };
}

/// One helpdesk's mapping: a SELECT per relation.
#[derive(Debug)]
pub struct Preset {
    pub name: &'static str,
    tickets: SqlFile,
    events: SqlFile,
    surveys: SqlFile,
    engagement: SqlFile,
}

impl Preset {
    fn sql_file(&self, r: Relation) -> SqlFile {
        match r {
            Relation::Tickets => self.tickets,
            Relation::Events => self.events,
            Relation::Surveys => self.surveys,
            Relation::Engagement => self.engagement,
        }
    }

    /// The SELECT that reads relation `r`.
    pub fn query(&self, r: Relation) -> &'static str {
        self.sql_file(r).1
    }

    /// Where that SELECT is shipped, for error messages.
    pub fn file(&self, r: Relation) -> &'static str {
        self.sql_file(r).0
    }
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "chatwoot",
        tickets: sql_file!("chatwoot/tickets.sql"),
        events: sql_file!("chatwoot/events.sql"),
        surveys: sql_file!("chatwoot/surveys.sql"),
        engagement: sql_file!("none/engagement.sql"),
    },
    Preset {
        name: "zammad",
        tickets: sql_file!("zammad/tickets.sql"),
        events: sql_file!("zammad/events.sql"),
        surveys: sql_file!("none/surveys.sql"),
        engagement: sql_file!("none/engagement.sql"),
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
                let body: String = p
                    .query(r)
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n");
                // Wrapped as `(query) AS src`: no statement separator.
                assert!(!body.contains(';'), "{} {r:?} has a ';'", p.name);
                assert!(body.trim_start().starts_with("SELECT"), "{} {r:?}", p.name);
                assert!(
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join(p.file(r))
                        .is_file(),
                    "{}",
                    p.file(r)
                );
            }
        }
        assert!(find("zammad").is_some() && find("osticket").is_none());
    }
}
