//! "Support tickets": the drill-down Prometheus cannot hold (DESIGN.md §5
//! "Ticket facts"), read by Grafana's PostgreSQL data source from the state
//! store's `support_ticket_facts` view: which tickets breached each SLO,
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

pub const UID: &str = crate::model::TICKETS_DASHBOARD;

/// The PostgreSQL data source plugin (Grafana ≥ 10.3; `postgres` before).
const PLUGIN: &str = "grafana-postgresql-datasource";

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

/// The panels, in order, with `tz` the organisation's time zone
/// (`schedule.timezone`) for the hour of week.
pub fn panels(tz: &str) -> Vec<SqlPanel> {
    let slo_match = "string_to_array(slo_breached, ',') && ARRAY[$slo]::text[]";
    vec![
        SqlPanel {
            title: "Tickets that breached each SLO",
            description: "Tickets created in the time range whose measured time exceeded an SLO's target, or whose running clock has passed it (as of the last collection), per SLO.",
            kind: "table",
            sql: format!(
                "SELECT s.slo AS \"SLO\", count(*) AS \"tickets\"\n\
                 FROM support_ticket_facts f, unnest(string_to_array(f.slo_breached, ',')) AS s(slo)\n\
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
                "SELECT ticket_id, to_timestamp(created_at) AS created, team, agent_id, priority, status, slo_breached,\n\
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
                "SELECT ticket_id, to_timestamp(created_at) AS created, team, priority, channel, status,\n\
                 extract(epoch FROM now())::bigint - created_at AS waiting_seconds\n\
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
                "SELECT ticket_id, to_timestamp(created_at) AS created, category, team, reroutes, reassignments, status\n\
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
            sql: format!(
                "SELECT COALESCE(agent_id, 'unassigned') AS agent, count(*) AS solved,\n\
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_seconds) AS first_response_p50,\n\
                 sum(reply_seconds_total) / NULLIF(sum(reply_count), 0) AS reply_mean,\n\
                 avg(CASE WHEN csat_score >= 4 THEN 1.0 WHEN csat_score IS NOT NULL THEN 0.0 END)::float8 AS csat,\n\
                 count(csat_score) AS csat_answers\n\
                 FROM support_ticket_facts\n\
                 WHERE $__unixEpochFilter(solved_at) AND {FILTERS}\n\
                 GROUP BY 1 ORDER BY 2 DESC, 1"
            ),
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
            sql: format!(
                "SELECT to_char(t, 'Dy HH24') AS hour, count(*) AS tickets\n\
                 FROM (SELECT to_timestamp(created_at) AT TIME ZONE '{tz}' AS t FROM support_ticket_facts\n\
                 WHERE $__unixEpochFilter(created_at) AND {FILTERS}) AS arrivals\n\
                 GROUP BY 1, extract(isodow FROM t), extract(hour FROM t)\n\
                 ORDER BY extract(isodow FROM t), extract(hour FROM t)"
            ),
            width: 24,
            units: vec![("tickets", "short")],
        },
    ]
}

fn datasource() -> Value {
    json!({"type": PLUGIN, "uid": "${facts}"})
}

fn panel_json(p: &SqlPanel, id: u32, x: u32, y: u32) -> Value {
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

/// The dashboard for `settings`; `source` names the configuration file.
pub fn dashboard(settings: &Settings, source: &str) -> Dashboard {
    let panels = panels(settings.timezone.name());
    let (mut x, mut y) = (0, 0);
    let mut models = Vec::new();
    for (i, p) in panels.iter().enumerate() {
        if x + p.width > 24 {
            x = 0;
            y += 9;
        }
        models.push(panel_json(p, i as u32 + 1, x, y));
        x += p.width;
    }
    let slos: Vec<&str> = settings.slos.iter().map(|s| s.name.as_str()).collect();
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
            "Ticket-level drill-down from the state store's support_ticket_facts (PostgreSQL data source): breached tickets, the oldest waiting, re-routes, agents, arrivals by hour. Generated by `support-metrics dashboards` from {source}."
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
                "query": PLUGIN, "refresh": 1, "hide": 0,
                "current": {"text": "default", "value": "default"},
            },
            {
                "name": "team", "label": "Team", "type": "query", "datasource": datasource(),
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
