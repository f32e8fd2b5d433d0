//! Presets: SQL that maps an open-source helpdesk's own tables onto the
//! source contract (DESIGN.md §2), so `source.preset = "chatwoot"` reads a
//! Chatwoot database (or its read-only replica) with nothing created in
//! it. The SQL lives in `config/sources/<preset>/<relation>.sql` (and
//! `config/sources/none/` for a relation the helpdesk does not have), where
//! users can read it, copy it into `source.queries`, or wrap it in a view.

use crate::db::Dialect;
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

/// One relation's SELECT: one text for every database the helpdesk runs
/// on, or one per dialect where SQL forces it (date arithmetic, casts).
#[derive(Debug, Clone, Copy)]
enum Sql {
    One(SqlFile),
    Each { postgres: SqlFile, mysql: SqlFile },
}

/// One helpdesk's mapping: a SELECT per relation.
#[derive(Debug)]
pub struct Preset {
    pub name: &'static str,
    /// The helpdesk's own name, for messages.
    pub helpdesk: &'static str,
    /// The databases the helpdesk itself runs on.
    pub dialects: &'static [Dialect],
    /// The table prefix the SQL is written with (osTicket's `ost_`), which
    /// `source.table_prefix` replaces; `None`: the helpdesk has no prefix.
    pub table_prefix: Option<&'static str>,
    tickets: Sql,
    events: Sql,
    surveys: Sql,
    engagement: Sql,
    /// The staff (the optional `support_agents`), where the helpdesk keeps
    /// enough of them.
    agents: Option<Sql>,
}

impl Preset {
    /// The file that reads relation `r` on `dialect` (for a per-dialect
    /// relation, any dialect but PostgreSQL gets the MySQL file; presets
    /// are only used on their own dialects).
    pub fn file(&self, r: Relation, dialect: Dialect) -> Option<SqlFile> {
        let sql = match r {
            Relation::Tickets => self.tickets,
            Relation::Events => self.events,
            Relation::Surveys => self.surveys,
            Relation::Engagement => self.engagement,
            Relation::Agents => self.agents?,
        };
        Some(match sql {
            Sql::One(f) => f,
            Sql::Each { postgres, .. } if dialect == Dialect::Postgres => postgres,
            Sql::Each { mysql, .. } => mysql,
        })
    }

    /// The SELECT that reads relation `r` on `dialect`, with the tables
    /// named with `prefix` (see [`Preset::table_prefix`]).
    pub fn query(&self, r: Relation, dialect: Dialect, prefix: Option<&str>) -> Option<String> {
        let text = self.file(r, dialect)?.1;
        Some(match (self.table_prefix, prefix) {
            (Some(ours), Some(theirs)) if ours != theirs => replace_prefix(text, ours, theirs),
            _ => text.to_string(),
        })
    }

    /// "PostgreSQL or MySQL/MariaDB", for messages.
    pub fn runs_on(&self) -> String {
        self.dialects
            .iter()
            .map(|d| d.name())
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// `text` with every identifier that starts with `ours` starting with
/// `theirs` instead: only at the start of a word (`ost_ticket`, not
/// `host_name`), and never inside a string literal or a comment (whose
/// apostrophes are no quotes).
fn replace_prefix(text: &str, ours: &str, theirs: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut prev: Option<char> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if !in_string && rest.starts_with("--") {
            let line = rest.find('\n').map_or(rest.len(), |n| n + 1);
            out.push_str(&rest[..line]);
            rest = &rest[line..];
            prev = Some('\n');
            continue;
        }
        let word_start = !prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == '_' || p == '.');
        if !in_string && word_start && rest.starts_with(ours) {
            out.push_str(theirs);
            rest = &rest[ours.len()..];
            prev = ours.chars().last();
            continue;
        }
        if c == '\'' {
            in_string = !in_string;
        }
        out.push(c);
        prev = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

const BOTH: &[Dialect] = &[Dialect::Postgres, Dialect::MySql];
const POSTGRES: &[Dialect] = &[Dialect::Postgres];
const MYSQL: &[Dialect] = &[Dialect::MySql];
const NO_SURVEYS: Sql = Sql::Each {
    postgres: sql_file!("none/surveys.sql"),
    mysql: sql_file!("none/surveys_mysql.sql"),
};
const NO_ENGAGEMENT: Sql = Sql::Each {
    postgres: sql_file!("none/engagement.sql"),
    mysql: sql_file!("none/engagement_mysql.sql"),
};

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "chatwoot",
        helpdesk: "Chatwoot",
        dialects: POSTGRES,
        table_prefix: None,
        tickets: Sql::One(sql_file!("chatwoot/tickets.sql")),
        events: Sql::One(sql_file!("chatwoot/events.sql")),
        surveys: Sql::One(sql_file!("chatwoot/surveys.sql")),
        engagement: NO_ENGAGEMENT,
        agents: None,
    },
    Preset {
        name: "zammad",
        helpdesk: "Zammad",
        dialects: POSTGRES,
        table_prefix: None,
        tickets: Sql::One(sql_file!("zammad/tickets.sql")),
        events: Sql::One(sql_file!("zammad/events.sql")),
        surveys: NO_SURVEYS,
        engagement: NO_ENGAGEMENT,
        agents: Some(Sql::One(sql_file!("zammad/agents.sql"))),
    },
    // Zendesk's tables as Fivetran's connector lands them in PostgreSQL.
    Preset {
        name: "zendesk_fivetran",
        helpdesk: "Zendesk (synced by Fivetran)",
        dialects: POSTGRES,
        table_prefix: None,
        tickets: Sql::One(sql_file!("zendesk_fivetran/tickets.sql")),
        events: Sql::One(sql_file!("zendesk_fivetran/events.sql")),
        surveys: Sql::One(sql_file!("zendesk_fivetran/surveys.sql")),
        engagement: NO_ENGAGEMENT,
        agents: Some(Sql::One(sql_file!("zendesk_fivetran/agents.sql"))),
    },
    // Core Znuny stores no survey answers: the Survey add-on's are read by
    // `znuny/surveys_survey_addon.sql`, set in source.queries.surveys.
    Preset {
        name: "znuny",
        helpdesk: "Znuny (OTRS 6 and later)",
        dialects: BOTH,
        table_prefix: None,
        tickets: Sql::One(sql_file!("znuny/tickets.sql")),
        events: Sql::One(sql_file!("znuny/events.sql")),
        surveys: NO_SURVEYS,
        engagement: NO_ENGAGEMENT,
        agents: Some(Sql::One(sql_file!("znuny/agents.sql"))),
    },
    Preset {
        name: "osticket",
        helpdesk: "osTicket",
        dialects: MYSQL,
        table_prefix: Some("ost_"),
        tickets: Sql::One(sql_file!("osticket/tickets.sql")),
        events: Sql::One(sql_file!("osticket/events.sql")),
        surveys: NO_SURVEYS,
        engagement: NO_ENGAGEMENT,
        agents: Some(Sql::One(sql_file!("osticket/agents.sql"))),
    },
    Preset {
        name: "glpi",
        helpdesk: "GLPI",
        dialects: MYSQL,
        table_prefix: None,
        tickets: Sql::One(sql_file!("glpi/tickets.sql")),
        events: Sql::One(sql_file!("glpi/events.sql")),
        surveys: Sql::One(sql_file!("glpi/surveys.sql")),
        engagement: NO_ENGAGEMENT,
        agents: Some(Sql::One(sql_file!("glpi/agents.sql"))),
    },
    // Core FreeScout stores no ratings: the Satisfaction Ratings module's
    // are read by `freescout/surveys_ratings_module.sql`.
    Preset {
        name: "freescout",
        helpdesk: "FreeScout",
        dialects: BOTH,
        table_prefix: None,
        tickets: Sql::One(sql_file!("freescout/tickets.sql")),
        events: Sql::Each {
            postgres: sql_file!("freescout/events_postgres.sql"),
            mysql: sql_file!("freescout/events_mysql.sql"),
        },
        surveys: NO_SURVEYS,
        engagement: NO_ENGAGEMENT,
        agents: Some(Sql::One(sql_file!("freescout/agents.sql"))),
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
            for (r, d) in Relation::ANY
                .into_iter()
                .flat_map(|r| p.dialects.iter().map(move |d| (r, *d)))
            {
                let Some((file, text)) = p.file(r, d) else {
                    assert_eq!(r, Relation::Agents, "{} has no {r:?}", p.name);
                    continue;
                };
                let body: String = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n");
                // Wrapped as `(query) AS src`: no statement separator.
                assert!(!body.contains(';'), "{} {r:?} has a ';'", p.name);
                assert!(body.trim_start().starts_with("SELECT"), "{} {r:?}", p.name);
                assert!(
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join(file)
                        .is_file(),
                    "{file}"
                );
            }
        }
        assert!(find("zammad").is_some() && find("freshdesk").is_none());
    }

    #[test]
    fn a_table_prefix_replaces_whole_identifiers_only() {
        let sql = "-- osTicket's tables, ost_ticket first\n\
                   SELECT t.ticket_id, 'ost_x' AS host_name FROM ost_ticket t \
                   JOIN ost_thread th ON th.object_id = t.ticket_id JOIN db.ost_ticket_status s";
        assert_eq!(
            replace_prefix(sql, "ost_", "helpdesk_"),
            "-- osTicket's tables, ost_ticket first\n\
             SELECT t.ticket_id, 'ost_x' AS host_name FROM helpdesk_ticket t \
             JOIN helpdesk_thread th ON th.object_id = t.ticket_id JOIN db.ost_ticket_status s"
        );
    }
}
