//! "Support tickets": the drill-down Prometheus cannot hold (DESIGN.md §5
//! "Ticket facts"), read by Grafana's PostgreSQL or MySQL data source (as
//! the state store's `state.url` is) from its `support_ticket_facts` view: which tickets breached each SLO,
//! which wait longest, which bounced between teams, each agent's numbers,
//! and arrivals by hour of week.
//!
//! Its variables are named so that the overview dashboards' links (which
//! carry their variables) fill `team` and the time range, and the digest's
//! links fill `category` and `slo` too; its data source variable is
//! `facts`, not `datasource`, so a Prometheus data source passed along by
//! a link is not taken for the PostgreSQL one.

use serde_json::{Value, json};

use super::{Dashboard, TAG};
use crate::config::Settings;
use crate::db::Dialect;

pub const UID: &str = crate::model::TICKETS_DASHBOARD;

/// Grafana's SQL data source plugins: PostgreSQL (Grafana ≥ 10.3;
/// `postgres` before) and MySQL (MariaDB too).
const POSTGRES_PLUGIN: &str = "grafana-postgresql-datasource";
const MYSQL_PLUGIN: &str = "mysql";

/// Which SQL the panels speak: the state store's, MySQL's for `mysql://`,
/// else PostgreSQL's (an SQLite store has no Grafana data source to match:
/// its facts are for the SQLite plugin or a copy).
pub fn dialect_of(state_url: &str) -> Dialect {
    match Dialect::of(state_url) {
        Some(Dialect::MySql) => Dialect::MySql,
        _ => Dialect::Postgres,
    }
}

fn plugin(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => MYSQL_PLUGIN,
        _ => POSTGRES_PLUGIN,
    }
}

/// One table or bar chart over the facts.
pub struct SqlPanel {
    pub title: &'static str,
    pub description: &'static str,
    pub kind: &'static str,
    pub sql: String,
    pub width: u32,
    /// Per column: (name, unit) for the table's field overrides.
    pub units: Vec<(&'static str, &'static str)>,
}

/// The filters every panel applies: the teams chosen (tickets without a
/// team are `unassigned`, as on the other dashboards) and, when given, one
/// category (`none` for tickets without one, as the digest names them).
pub const FILTERS: &str = "COALESCE(team, 'unassigned') IN ($team) \
     AND (${category:sqlstring} = '' OR COALESCE(category, 'none') = ${category:sqlstring})";

/// What differs between the dialects' SQL: everything else is shared.
struct PanelSql {
    /// The breached-SLO count per SLO, FROM and the SLO column.
    per_slo_from: String,
    /// A ticket breached one of the chosen SLOs.
    slo_match: String,
    /// A unix-seconds column as a timestamp.
    instant: fn(&str) -> String,
    /// Seconds since `created_at`, now.
    waiting: &'static str,
    /// The agents table, from FROM on: needs the median per agent.
    agents: String,
    /// Arrivals by hour of week.
    arrivals: String,
}

fn postgres(tz: &str) -> PanelSql {
    PanelSql {
        per_slo_from:
            "FROM support_ticket_facts f, unnest(string_to_array(f.slo_breached, ',')) AS s(slo)"
                .into(),
        slo_match: "string_to_array(slo_breached, ',') && ARRAY[$slo]::text[]".into(),
        instant: |c| format!("to_timestamp({c})"),
        waiting: "extract(epoch FROM now())::bigint - created_at",
        agents: format!(
            "SELECT COALESCE(agent_id, 'unassigned') AS agent, count(*) AS solved,\n\
             percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_seconds) AS first_response_p50,\n\
             sum(reply_seconds_total) / NULLIF(sum(reply_count), 0) AS reply_mean,\n\
             avg(CASE WHEN csat_score >= 4 THEN 1.0 WHEN csat_score IS NOT NULL THEN 0.0 END)::float8 AS csat,\n\
             count(csat_score) AS csat_answers\n\
             FROM support_ticket_facts\n\
             WHERE $__unixEpochFilter(solved_at) AND {FILTERS}\n\
             GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        arrivals: format!(
            "SELECT to_char(t, 'Dy HH24') AS hour, count(*) AS tickets\n\
             FROM (SELECT to_timestamp(created_at) AT TIME ZONE '{tz}' AS t FROM support_ticket_facts\n\
             WHERE $__unixEpochFilter(created_at) AND {FILTERS}) AS arrivals\n\
             GROUP BY 1, extract(isodow FROM t), extract(hour FROM t)\n\
             ORDER BY extract(isodow FROM t), extract(hour FROM t)"
        ),
    }
}

/// MySQL 8 / MariaDB 10.3 and later: no arrays (the SLO names, known
/// here, are a derived table matched with FIND_IN_SET), no
/// percentile_cont (the median is the middle row or two by ROW_NUMBER),
/// and named time zones only with the server's time zone tables loaded
/// (`mysql_tzinfo_to_sql`): UTC needs none.
fn mysql(tz: &str, slos: &[&str]) -> PanelSql {
    // A derived table of the SLO names ('none' without SLOs: never breached).
    let names: Vec<String> = if slos.is_empty() {
        vec!["none".to_string()]
    } else {
        slos.iter().map(|s| s.replace('\'', "''")).collect()
    };
    let names: Vec<String> = names
        .iter()
        .map(|n| format!("SELECT '{n}' AS slo"))
        .collect();
    let names = names.join(" UNION ALL ");
    let local = if tz == "UTC" {
        "FROM_UNIXTIME(created_at)".to_string()
    } else {
        format!("CONVERT_TZ(FROM_UNIXTIME(created_at), @@session.time_zone, '{tz}')")
    };
    PanelSql {
        per_slo_from: format!(
            "FROM support_ticket_facts f JOIN ({names}) AS s ON FIND_IN_SET(s.slo, f.slo_breached) > 0"
        ),
        slo_match: format!(
            "EXISTS (SELECT 1 FROM ({names}) AS s WHERE s.slo IN ($slo) AND FIND_IN_SET(s.slo, slo_breached) > 0)"
        ),
        instant: |c| format!("FROM_UNIXTIME({c})"),
        waiting: "UNIX_TIMESTAMP() - created_at",
        agents: format!(
            "SELECT agent, count(*) AS solved,\n\
             avg(CASE WHEN rn IN (FLOOR((n + 1) / 2), CEIL((n + 1) / 2)) THEN first_response_seconds END) AS first_response_p50,\n\
             sum(reply_seconds_total) / NULLIF(sum(reply_count), 0) AS reply_mean,\n\
             avg(CASE WHEN csat_score >= 4 THEN 1e0 WHEN csat_score IS NOT NULL THEN 0e0 END) AS csat,\n\
             count(csat_score) AS csat_answers\n\
             FROM (SELECT COALESCE(agent_id, 'unassigned') AS agent, first_response_seconds, reply_seconds_total,\n\
             reply_count, csat_score,\n\
             ROW_NUMBER() OVER (PARTITION BY COALESCE(agent_id, 'unassigned')\n\
             ORDER BY first_response_seconds IS NULL, first_response_seconds) AS rn,\n\
             COUNT(first_response_seconds) OVER (PARTITION BY COALESCE(agent_id, 'unassigned')) AS n\n\
             FROM support_ticket_facts\n\
             WHERE $__unixEpochFilter(solved_at) AND {FILTERS}) AS solved\n\
             GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        arrivals: format!(
            "SELECT DATE_FORMAT(t, '%a %H') AS hour, count(*) AS tickets\n\
             FROM (SELECT {local} AS t FROM support_ticket_facts\n\
             WHERE $__unixEpochFilter(created_at) AND {FILTERS}) AS arrivals\n\
             GROUP BY 1, WEEKDAY(t), HOUR(t)\n\
             ORDER BY WEEKDAY(t), HOUR(t)"
        ),
    }
}

/// The panels, in order, in `dialect`'s SQL, with `tz` the organisation's
/// time zone (`schedule.timezone`) for the hour of week and `slos` the
/// configured SLO names.
pub fn panels(dialect: Dialect, tz: &str, slos: &[&str]) -> Vec<SqlPanel> {
    let d = match dialect {
        Dialect::MySql => mysql(tz, slos),
        _ => postgres(tz),
    };
    let (slo_match, per_slo_from, waiting) = (&d.slo_match, &d.per_slo_from, d.waiting);
    let created = (d.instant)("created_at");
    vec![
        SqlPanel {
            title: "Tickets that breached each SLO",
            description: "Tickets created in the time range whose measured time exceeded an SLO's target, or whose running clock has passed it (as of the last collection), per SLO.",
            kind: "table",
            sql: format!(
                "SELECT s.slo AS \"SLO\", count(*) AS \"tickets\"\n\
                 {per_slo_from}\n\
                 WHERE $__unixEpochFilter(f.created_at) AND {FILTERS} AND s.slo IN ($slo)\n\
                 GROUP BY s.slo ORDER BY 2 DESC, 1"
            ),
            width: 8,
            units: vec![("tickets", "short")],
        },
        SqlPanel {
            title: "Breached tickets",
            description: "Each ticket created in the time range that breached one of the chosen SLOs: who holds it, its status, and its first response and resolution so far.",
            kind: "table",
            sql: format!(
                "SELECT ticket_id, {created} AS created, team, agent_id, priority, status, slo_breached,\n\
                 first_response_seconds, first_resolution_seconds\n\
                 FROM support_ticket_facts\n\
                 WHERE $__unixEpochFilter(created_at) AND {FILTERS} AND {slo_match}\n\
                 ORDER BY created_at DESC LIMIT 500"
            ),
            width: 16,
            units: vec![
                ("first_response_seconds", "s"),
                ("first_resolution_seconds", "s"),
            ],
        },
        SqlPanel {
            title: "Oldest tickets awaiting a first response",
            description: "Open customer tickets without an agent reply, oldest first, whenever they were created, as of the last collection (calendar time waited).",
            kind: "table",
            sql: format!(
                "SELECT ticket_id, {created} AS created, team, priority, channel, status,\n\
                 {waiting} AS waiting_seconds\n\
                 FROM support_ticket_facts\n\
                 WHERE status NOT IN ('solved', 'closed') AND first_response_seconds IS NULL\n\
                 AND created_by = 'customer' AND {FILTERS}\n\
                 ORDER BY created_at LIMIT 50"
            ),
            width: 12,
            units: vec![("waiting_seconds", "s")],
        },
        SqlPanel {
            title: "Tickets re-routed more than once",
            description: "Tickets created in the time range that changed team two or more times after their first assignment, most re-routed first: routing rules or triage to fix.",
            kind: "table",
            sql: format!(
                "SELECT ticket_id, {created} AS created, category, team, reroutes, reassignments, status\n\
                 FROM support_ticket_facts\n\
                 WHERE $__unixEpochFilter(created_at) AND reroutes > 1 AND {FILTERS}\n\
                 ORDER BY reroutes DESC, created_at DESC LIMIT 200"
            ),
            width: 12,
            units: vec![("reroutes", "short"), ("reassignments", "short")],
        },
        SqlPanel {
            title: "Agents: tickets solved in the time range",
            description: "Per assignee (as of the latest solve), the tickets solved in the time range: how many, their first response median (exact), the mean reply time over every exchange, and the share of CSAT answers scoring 4 or 5. Tickets still open are not counted.",
            kind: "table",
            sql: d.agents.clone(),
            width: 24,
            units: vec![
                ("solved", "short"),
                ("first_response_p50", "s"),
                ("reply_mean", "s"),
                ("csat", "percentunit"),
                ("csat_answers", "short"),
            ],
        },
        SqlPanel {
            title: "Arrivals by hour of week",
            description: "Tickets created in the time range by weekday and hour in the organisation's time zone (schedule.timezone): the peak hours to staff.",
            kind: "barchart",
            sql: d.arrivals.clone(),
            width: 24,
            units: vec![("tickets", "short")],
        },
    ]
}

fn datasource(dialect: Dialect) -> Value {
    json!({"type": plugin(dialect), "uid": "${facts}"})
}

fn panel_json(p: &SqlPanel, dialect: Dialect, id: u32, x: u32, y: u32) -> Value {
    let datasource = || datasource(dialect);
    let overrides: Vec<Value> = p
        .units
        .iter()
        .map(|(name, unit)| {
            json!({
                "matcher": {"id": "byName", "options": name},
                "properties": [{"id": "unit", "value": unit}],
            })
        })
        .collect();
    let mut v = json!({
        "id": id,
        "type": p.kind,
        "title": p.title,
        "description": p.description,
        "datasource": datasource(),
        "gridPos": {"h": 9, "w": p.width, "x": x, "y": y},
        "targets": [{
            "refId": "A",
            "datasource": datasource(),
            "format": "table",
            "rawQuery": true,
            "editorMode": "code",
            "rawSql": p.sql,
        }],
        "fieldConfig": {"defaults": {"unit": "short"}, "overrides": overrides},
        "options": {},
    });
    if p.kind == "barchart" {
        v["options"] = json!({"xField": "hour", "orientation": "vertical", "legend": {"showLegend": false, "displayMode": "list", "placement": "bottom", "calcs": []}});
    }
    v
}

/// The dashboard for `settings`, in the SQL of its state store;
/// `source` names the configuration file.
pub fn dashboard(settings: &Settings, source: &str) -> Dashboard {
    let dialect = dialect_of(&settings.state.url);
    let slos: Vec<&str> = settings.slos.iter().map(|s| s.name.as_str()).collect();
    let panels = panels(dialect, settings.timezone.name(), &slos);
    let (mut x, mut y) = (0, 0);
    let mut models = Vec::new();
    for (i, p) in panels.iter().enumerate() {
        if x + p.width > 24 {
            x = 0;
            y += 9;
        }
        models.push(panel_json(p, dialect, i as u32 + 1, x, y));
        x += p.width;
    }
    // A custom variable cannot be empty: without SLOs, one that never
    // matches a breach.
    let slo_values = if slos.is_empty() {
        "none".to_string()
    } else {
        slos.join(",")
    };
    let model = json!({
        "uid": UID,
        "title": "Support tickets",
        "description": format!(
            "Ticket-level drill-down from the state store's support_ticket_facts ({} data source): breached tickets, the oldest waiting, re-routes, agents, arrivals by hour. Generated by `support-metrics dashboards` from {source}.",
            dialect.name()
        ),
        "tags": [TAG],
        "editable": false,
        "graphTooltip": 0,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "5m",
        "time": {"from": "now-7d", "to": "now"},
        "timezone": "browser",
        "links": super::links(),
        "templating": {"list": [
            {
                "name": "facts", "label": "Ticket facts (state store)", "type": "datasource",
                "query": plugin(dialect), "refresh": 1, "hide": 0,
                "current": {"text": "default", "value": "default"},
            },
            {
                "name": "team", "label": "Team", "type": "query", "datasource": datasource(dialect),
                "query": "SELECT DISTINCT COALESCE(team, 'unassigned') FROM support_ticket_facts ORDER BY 1",
                "refresh": 2, "sort": 1, "hide": 0, "multi": true, "includeAll": true,
                "current": {"text": "All", "value": "$__all"},
            },
            {
                "name": "slo", "label": "SLO", "type": "custom", "query": slo_values,
                "hide": 0, "multi": true, "includeAll": true,
                "current": {"text": "All", "value": "$__all"},
            },
            {
                "name": "category", "label": "Category (empty: all)", "type": "textbox",
                "query": "", "hide": 0, "current": {"text": "", "value": ""},
            },
        ]},
        "annotations": {"list": []},
        "panels": models,
    });
    Dashboard {
        uid: UID,
        title: "Support tickets",
        model,
        panels: panels.len(),
    }
}
