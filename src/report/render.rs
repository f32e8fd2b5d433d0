//! Report output: a table for people, JSON and CSV for programs.
//!
//! The table humanises units (`2h 05m`, `87.5%`); JSON is the contract of
//! DESIGN.md §5 (absent data is `null`, never 0); CSV has one row per group,
//! its columns the JSON fields flattened with `_`.

use std::fmt::Write as _;

use serde_json::Value;

use super::Report;
use super::aggregate::Metrics;
use crate::engine::stats::Summary;
use crate::model::ServqualDimension;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Table => table(report),
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        Format::Csv => csv(report),
    }
}

/// `2h 05m`, `3d 04h`, `12m 30s`, `45s`.
///
/// ```
/// use support_metrics::report::render::human_duration;
/// assert_eq!(human_duration(7500.0), "2h 05m");
/// ```
pub fn human_duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "—".into();
    }
    let s = seconds.round().max(0.0) as u64;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) => format!("{m}m {sec:02}s"),
        (0, _, _) => format!("{h}h {m:02}m"),
        _ => format!("{d}d {h:02}h"),
    }
}

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0))
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.decimals$}"))
}

/// A SERVQUAL gap on the 1–7 scale, signed: `-0.85`.
fn gap(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:+.2}"))
}

/// `-1.00 (6.50 → 5.50)`: the gap, then mean E and mean P.
fn servqual_gap(m: &Metrics, d: ServqualDimension) -> String {
    let Some(s) = &m.servqual else {
        return "—".into();
    };
    let r = s.dimensions.get(d);
    format!(
        "{} ({} → {})",
        gap(r.gap),
        num(r.expectation, 2),
        num(r.perception, 2)
    )
}

fn signed(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:+.1}"))
}

fn dur(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), human_duration)
}

fn p50_p90(s: &Summary) -> String {
    if s.count == 0 {
        return "—".into();
    }
    format!("{} / {}", dur(s.p50), dur(s.p90))
}

type Row = (String, fn(&Metrics) -> String);

fn rows() -> Vec<Row> {
    let rows: Vec<Row> = vec![
        ("Tickets created".into(), |m| m.tickets_created.to_string()),
        ("Tickets solved (solve events)".into(), |m| {
            m.tickets_solved.to_string()
        }),
        ("First response p50 / p90".into(), |m| {
            p50_p90(&m.first_response_seconds)
        }),
        ("  in business hours".into(), |m| {
            p50_p90(&m.first_response_business_seconds)
        }),
        ("  responses measured".into(), |m| {
            m.first_response_seconds.count.to_string()
        }),
        ("First acknowledgement p50 / p90".into(), |m| {
            p50_p90(&m.first_acknowledgement_seconds)
        }),
        ("First resolution p50 / p90".into(), |m| {
            p50_p90(&m.first_resolution_seconds)
        }),
        ("Full resolution p50 / p90".into(), |m| {
            p50_p90(&m.full_resolution_seconds)
        }),
        ("Reply time, every exchange, p50 / p90".into(), |m| {
            p50_p90(&m.reply_seconds)
        }),
        ("  in business hours".into(), |m| {
            p50_p90(&m.reply_business_seconds)
        }),
        ("Requester wait at solve p50 / p90".into(), |m| {
            p50_p90(&m.requester_wait_seconds)
        }),
        ("  in business hours".into(), |m| {
            p50_p90(&m.requester_wait_business_seconds)
        }),
        ("Agent wait (pending) at solve p50 / p90".into(), |m| {
            p50_p90(&m.agent_wait_seconds)
        }),
        ("On hold at solve p50 / p90".into(), |m| {
            p50_p90(&m.on_hold_seconds)
        }),
        ("Agent work at solve p50 / p90".into(), |m| {
            p50_p90(&m.agent_work_seconds)
        }),
        ("Customer-confirmed resolutions".into(), |m| {
            format!(
                "{} ({})",
                m.customer_confirmed.tickets,
                pct(m.customer_confirmed.rate)
            )
        }),
        ("Interactions per solve (mean)".into(), |m| {
            num(m.interactions.mean, 2)
        }),
        ("Agent replies per solve (mean)".into(), |m| {
            num(m.replies.mean, 2)
        }),
        ("One-touch resolutions".into(), |m| {
            format!("{} ({})", m.one_touch.tickets, pct(m.one_touch.rate))
        }),
        ("Re-routes (solves re-routed)".into(), |m| {
            format!("{} ({})", m.reroutes.total, pct(m.reroutes.rate))
        }),
        ("Reassignments (solves reassigned)".into(), |m| {
            format!("{} ({})", m.reassignments.total, pct(m.reassignments.rate))
        }),
        ("Reopens (tickets reopened)".into(), |m| {
            format!("{} ({})", m.reopens.total, pct(m.reopens.rate))
        }),
        ("CSAT (satisfied / responses)".into(), |m| {
            format!(
                "{} ({}/{})",
                pct(m.csat.ratio),
                m.csat.satisfied,
                m.csat.responses
            )
        }),
        ("NPS (responses)".into(), |m| {
            format!("{} ({})", signed(m.nps.score), m.nps.responses)
        }),
        ("CES mean, low effort".into(), |m| {
            format!(
                "{} / 7, {} ({})",
                num(m.ces.mean, 2),
                pct(m.ces.low_effort_ratio),
                m.ces.responses
            )
        }),
        ("eNPS (responses)".into(), |m| {
            format!("{} ({})", signed(m.enps.score), m.enps.responses)
        }),
        ("Engagement index (answers)".into(), |m| {
            format!(
                "{} ({})",
                num(m.engagement.index, 1),
                m.engagement.responses
            )
        }),
        ("SERVQUAL score, weighted (answers)".into(), |m| {
            m.servqual.as_ref().map_or_else(
                || "—".into(),
                |s| {
                    let answers: u64 = ServqualDimension::ALL
                        .iter()
                        .map(|d| s.dimensions.get(*d).responses)
                        .sum();
                    format!("{}, {} ({answers})", gap(s.score), gap(s.weighted_score))
                },
            )
        }),
        ("  tangibles gap (E → P)".into(), |m| {
            servqual_gap(m, ServqualDimension::Tangibles)
        }),
        ("  reliability gap (E → P)".into(), |m| {
            servqual_gap(m, ServqualDimension::Reliability)
        }),
        ("  responsiveness gap (E → P)".into(), |m| {
            servqual_gap(m, ServqualDimension::Responsiveness)
        }),
        ("  assurance gap (E → P)".into(), |m| {
            servqual_gap(m, ServqualDimension::Assurance)
        }),
        ("  empathy gap (E → P)".into(), |m| {
            servqual_gap(m, ServqualDimension::Empathy)
        }),
        ("Agents at the end (leavers, turnover)".into(), |m| {
            m.people.as_ref().map_or_else(
                || "—".into(),
                |p| format!("{} ({}, {})", p.agents, p.leavers, pct(p.turnover)),
            )
        }),
        ("  median tenure".into(), |m| {
            m.people
                .as_ref()
                .and_then(|p| p.median_tenure_days)
                .map_or_else(|| "—".into(), |d| format!("{d:.0} days"))
        }),
        ("Backlog (open tickets)".into(), |m| {
            m.backlog.tickets.to_string()
        }),
        ("Awaiting first response".into(), |m| {
            m.backlog.awaiting_first_response.to_string()
        }),
        ("  oldest waiting".into(), |m| {
            dur(m.backlog.oldest_awaiting_first_response_seconds)
        }),
    ];
    // SLO rows depend on the configured SLOs; `table` renders them.
    rows
}

fn table(report: &Report) -> String {
    let mut columns: Vec<(&str, &Metrics)> = vec![("overall", &report.overall)];
    if let Some(groups) = &report.groups {
        columns.extend(groups.iter().map(|(k, m)| (k.as_str(), m)));
    }
    let mut lines: Vec<Vec<String>> = Vec::new();
    let mut header = vec![String::new()];
    // Group names are the data's text: escaped for the terminal.
    header.extend(
        columns
            .iter()
            .map(|(k, _)| crate::printable::printable(k).into_owned()),
    );
    lines.push(header);
    for (label, f) in rows() {
        let mut line = vec![label];
        line.extend(columns.iter().map(|(_, m)| f(m)));
        lines.push(line);
    }
    for (i, slo) in report.overall.slo.iter().enumerate() {
        let mut line = vec![format!(
            "SLO {} attained (breached/measured, active)",
            slo.name
        )];
        line.extend(columns.iter().map(|(_, m)| {
            m.slo.get(i).map_or_else(
                || "—".into(),
                |s| {
                    format!(
                        "{} ({}/{}, {})",
                        pct(s.attainment),
                        s.breached,
                        s.measured,
                        s.active_breaches
                    )
                },
            )
        }));
        lines.push(line);
    }

    let widths: Vec<usize> = (0..lines[0].len())
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Support metrics {} → {} (backlog as of {})",
        report.period.from.format("%Y-%m-%d %H:%M UTC"),
        report.period.to.format("%Y-%m-%d %H:%M UTC"),
        report.as_of.format("%Y-%m-%d %H:%M UTC"),
    );
    for (n, line) in lines.iter().enumerate() {
        let mut text = String::new();
        for (c, cell) in line.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str("  ");
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
        if n == 0 {
            out.push_str(&"─".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
    }
    out.push_str("Durations are calendar time unless marked business hours; p50 / p90 are exact percentiles.\n");
    if let Some(skipped) = crate::rejects::skipped(&report.rejected) {
        out.push_str(&skipped);
        out.push('\n');
    }
    out
}

/// Flattens a JSON object into `(column, cell)` pairs: nested keys joined
/// with `_`, arrays of named objects keyed by their `name`.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}_{k}")
        }
    };
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let name = item
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_string);
                let inner = match item {
                    Value::Object(m) => Value::Object(
                        m.iter()
                            .filter(|(k, _)| *k != "name")
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    ),
                    other => other.clone(),
                };
                flatten(&join(&name), &inner, out);
            }
        }
        Value::Null => out.push((prefix.to_string(), String::new())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The CSV's columns do not depend on the data: a group without SERVQUAL
/// answers (or staff) has the same servqual (people) columns as one with,
/// empty.
fn with_stable_columns(mut metrics: Value) -> Value {
    if let Some(people) = metrics.get_mut("people").filter(|v| v.is_null()) {
        *people = serde_json::json!({
            "agents": null, "leavers": null, "turnover": null, "median_tenure_days": null
        });
    }
    if let Some(sq) = metrics.get_mut("servqual").filter(|v| v.is_null()) {
        let dimension = serde_json::json!({
            "expectation": null, "perception": null, "gap": null, "responses": null
        });
        let dimensions: serde_json::Map<String, Value> = ServqualDimension::ALL
            .iter()
            .map(|d| (d.as_str().to_string(), dimension.clone()))
            .collect();
        *sq = serde_json::json!({
            "dimensions": dimensions, "score": null, "weighted_score": null
        });
    }
    metrics
}

fn csv(report: &Report) -> String {
    let mut rows: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut push = |group: &str, m: &Metrics| {
        let mut cells = Vec::new();
        flatten(
            "",
            &with_stable_columns(serde_json::to_value(m).unwrap_or(Value::Null)),
            &mut cells,
        );
        rows.push((group.to_string(), cells));
    };
    push("overall", &report.overall);
    if let Some(groups) = &report.groups {
        for (k, m) in groups {
            push(k, m);
        }
    }
    let mut columns: Vec<String> = Vec::new();
    for (_, cells) in &rows {
        for (c, _) in cells {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
    }
    let mut out = String::from("group");
    for c in &columns {
        out.push(',');
        out.push_str(c);
    }
    out.push('\n');
    for (group, cells) in rows {
        out.push_str(&csv_cell(&group));
        for c in &columns {
            out.push(',');
            if let Some((_, v)) = cells.iter().find(|(k, _)| k == c) {
                out.push_str(&csv_cell(v));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_humanised() {
        assert_eq!(human_duration(45.0), "45s");
        assert_eq!(human_duration(750.0), "12m 30s");
        assert_eq!(human_duration(7500.0), "2h 05m");
        assert_eq!(
            human_duration(3.0 * 86_400.0 + 4.0 * 3600.0 + 59.0),
            "3d 04h"
        );
        assert_eq!(human_duration(0.4), "0s");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("plain"), "plain");
    }

    #[test]
    fn flatten_names_nested_and_listed_fields() {
        let v: Value =
            serde_json::json!({"a": {"b": 1, "c": null}, "slo": [{"name": "frt", "measured": 3}]});
        let mut out = Vec::new();
        flatten("", &v, &mut out);
        assert_eq!(
            out,
            vec![
                ("a_b".into(), "1".into()),
                ("a_c".into(), "".into()),
                ("slo_frt_measured".into(), "3".into())
            ]
        );
    }
}
