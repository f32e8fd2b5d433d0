//! `support-metrics rules` and `dashboards`: the shipped files are their
//! output for the example configuration, promtool accepts and unit-tests
//! the rules, every alert has a runbook, and every dashboard passes a lint.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support_metrics::config::Settings;
use support_metrics::metrics::{self, Kind};

use crate::helpers::{repo, run, skip_outside_ci, tool};

const EXAMPLE: &str = "config/support-metrics.toml";
const RULES: &str = "dashboards/prometheus/support-metrics.rules.yml";

fn example_settings() -> Settings {
    Settings::load(Some(repo().join(EXAMPLE).as_path()))
        .expect("the example configuration is valid")
}

/// The shipped dashboards, parsed.
pub fn shipped_dashboards() -> Vec<(PathBuf, Value)> {
    let dir = repo().join("dashboards/grafana");
    let mut out: Vec<(PathBuf, Value)> = std::fs::read_dir(&dir)
        .expect("dashboards/grafana")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            let v: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", p.display()));
            (p, v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The shipped dashboards that read Prometheus (all but the ticket
/// drill-down, which reads the state store's facts over SQL).
pub fn prometheus_dashboards() -> Vec<(PathBuf, Value)> {
    shipped_dashboards()
        .into_iter()
        .filter(|(_, d)| {
            d["templating"]["list"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|v| v["name"] == "datasource" && v["query"] == "prometheus")
        })
        .collect()
}

/// Every PromQL expression of a dashboard: panel targets and query variables.
pub fn dashboard_exprs(d: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for p in d["panels"].as_array().into_iter().flatten() {
        for t in p["targets"].as_array().into_iter().flatten() {
            out.push(t["expr"].as_str().unwrap_or_default().to_string());
        }
    }
    out
}

#[test]
fn the_shipped_rules_are_the_example_configurations_output() {
    let r = run(repo(), &["--config", EXAMPLE, "rules"], &[]);
    assert!(r.ok, "{}", r.stderr);
    let shipped = std::fs::read_to_string(repo().join(RULES)).expect("shipped rules");
    assert!(
        r.stdout == shipped,
        "{RULES} is stale: run `cargo run -- --config {EXAMPLE} rules --out {RULES}`"
    );
    // The example's objectives all make every page reachable.
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}

#[test]
fn the_shipped_dashboards_are_the_example_configurations_output() {
    let out = tempfile::tempdir().expect("dir");
    let dir = out.path().to_str().expect("utf-8");
    let r = run(
        repo(),
        &["--config", EXAMPLE, "dashboards", "--out", dir],
        &[],
    );
    assert!(r.ok, "{}", r.stderr);
    let generated: BTreeSet<String> = std::fs::read_dir(out.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let shipped: BTreeSet<String> = shipped_dashboards()
        .iter()
        .map(|(p, _)| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(generated, shipped);
    for name in &generated {
        let fresh = std::fs::read_to_string(out.path().join(name)).expect("generated");
        let old =
            std::fs::read_to_string(repo().join("dashboards/grafana").join(name)).expect("shipped");
        assert!(
            fresh == old,
            "dashboards/grafana/{name} is stale: run `cargo run -- --config {EXAMPLE} dashboards`"
        );
    }
}

#[test]
fn rules_warn_about_an_objective_that_cannot_page() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[[slo]]\nname = \"lenient\"\nmetric = \"first_response\"\ntarget = \"1h\"\nobjective = 0.9\n",
    )
    .expect("write");
    let r = run(dir.path(), &["--config", "c.toml", "rules"], &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning: slo `lenient`") && r.stderr.contains("at least 0.9306"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains(r#"slo_team:support_slo_errors:ratio_rate1h{slo="lenient"} > (14.4 * 0.1)"#)
    );
}

#[test]
fn a_bad_alerts_section_is_named_by_key_path() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("c.toml"),
        "[[slo]]\nname = \"x\"\nmetric = \"first_response\"\ntarget = \"1h\"\nobjective = 95\n\n[alerts]\nburn_rate_min_tickets = 0\nburn_rate_min_short_breaches = 0\n[alerts.oldest_awaiting_first_response]\ncritical = \"1h\"\nhigh = \"soon\"\n",
    )
    .expect("write");
    let r = run(dir.path(), &["check-config", "c.toml"], &[]);
    assert!(!r.ok);
    for want in [
        "slo[0].objective: `95` must be a ratio strictly between 0 and 1",
        "alerts.burn_rate_min_tickets: must be at least 1",
        "alerts.burn_rate_min_short_breaches: must be at least 1",
        "alerts.oldest_awaiting_first_response.critical: `critical` is not a priority",
        "alerts.oldest_awaiting_first_response.high: `soon` is not a duration",
    ] {
        assert!(r.stderr.contains(want), "missing {want:?} in\n{}", r.stderr);
    }
}

fn promtool_ok(promtool: &str, args: &[&str]) {
    let out = Command::new(promtool)
        .current_dir(repo())
        .args(args)
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "promtool {args:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promtool_checks_and_unit_tests_the_rules() {
    let Some(promtool) = tool(
        "promtool",
        "PROMTOOL",
        "promtool_checks_and_unit_tests_the_rules",
    ) else {
        return;
    };
    promtool_ok(&promtool, &["check", "rules", "--lint-fatal", RULES]);
    promtool_ok(
        &promtool,
        &[
            "test",
            "rules",
            "dashboards/prometheus/tests/alerts.test.yml",
        ],
    );
    // The scrape configuration example, with the rules it loads.
    promtool_ok(
        &promtool,
        &["check", "config", "dashboards/prometheus/prometheus.yml"],
    );
}

#[test]
fn every_alert_is_unit_tested_and_has_a_runbook_section() {
    let rules = support_metrics::rules::generate(&example_settings());
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let tests = std::fs::read_to_string(repo().join("dashboards/prometheus/tests/alerts.test.yml"))
        .expect("alert tests");
    let names: BTreeSet<&str> = rules.alerts().map(|a| a.name).collect();
    assert_eq!(names.len(), 8, "{names:?}");
    for name in names {
        assert!(
            readme.contains(&format!("\n### {name}\n")),
            "README has no runbook section `### {name}`"
        );
        // Fires somewhere, and is checked silent somewhere.
        let firing = tests
            .matches(&format!("alertname: {name}\n        exp_alerts:"))
            .count();
        let cases = tests.matches(&format!("alertname: {name}\n")).count();
        assert!(firing >= 1, "no test where {name} fires");
        assert!(cases > firing, "no test where {name} stays silent");
    }
}

/// PromQL words followed by a list of label names in parentheses.
const GROUPING: [&str; 6] = [
    "by",
    "on",
    "without",
    "ignoring",
    "group_left",
    "group_right",
];

/// Metric names a PromQL expression reads: identifiers outside string
/// literals, label matchers, grouping clauses and range brackets that are
/// neither functions, keywords nor numbers.
pub fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut cleaned = String::new();
    let mut depth_brace = 0;
    let mut depth_bracket = 0;
    let mut in_string = false;
    let mut prev = ' ';
    for c in expr.chars() {
        if in_string {
            if c == '"' && prev != '\\' {
                in_string = false;
            }
        } else {
            match c {
                '"' => in_string = true,
                '{' => depth_brace += 1,
                '}' => depth_brace -= 1,
                '[' => depth_bracket += 1,
                ']' => depth_bracket -= 1,
                _ if depth_brace == 0 && depth_bracket == 0 => cleaned.push(c),
                _ => {}
            }
            if matches!(c, '{' | '}' | '[' | ']') {
                cleaned.push(' ');
            }
        }
        prev = c;
    }
    // Drop `by (...)`, `on (...)`, `without (...)`, `ignoring (...)`,
    // `group_left (...)`: label lists, not metrics.
    let mut words = String::new();
    let mut rest = cleaned.as_str();
    while let Some(i) = rest.find(['(', ')']) {
        let (head, tail) = rest.split_at(i);
        let last = head
            .trim_end()
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next_back()
            .unwrap_or("");
        words.push_str(head);
        if tail.starts_with('(') && GROUPING.contains(&last.trim()) {
            let close = tail.find(')').unwrap_or(tail.len() - 1);
            rest = &tail[close + 1..];
        } else {
            words.push(' ');
            words.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    words.push_str(rest);
    let keywords = [
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        // Aggregation operators, whose `(` may follow a `by (...)` clause.
        "sum",
        "min",
        "max",
        "avg",
        "count",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
    ];
    let mut out = BTreeSet::new();
    let chars: Vec<char> = words.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_alphabetic() || chars[i] == '_' || chars[i] == ':' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let next = chars[i..].iter().find(|c| !c.is_whitespace());
            if next != Some(&'(')
                && !keywords.contains(&word.as_str())
                && !GROUPING.contains(&word.as_str())
            {
                out.insert(word);
            }
        } else if chars[i].is_ascii_digit() || chars[i] == '.' {
            // A number (and an exponent or unit letter glued to it).
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn metric_names_skip_labels_functions_and_numbers() {
    let names = metric_names(
        r#"histogram_quantile(0.9, sum by (le, team) (rate(support_x_bucket{team=~"$team"}[$__rate_interval]))) / on (slo) (1 - slo:y:ratio) > 1e3 and up{job="a"}"#,
    );
    let want: BTreeSet<String> = ["support_x_bucket", "slo:y:ratio", "up"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names, want);
}

/// Every series name the exporter exposes, histograms with their suffixes.
pub fn exposed_names() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in metrics::ALL {
        match f.kind {
            Kind::Histogram(_) => {
                for s in ["_bucket", "_sum", "_count"] {
                    out.insert(format!("{}{s}", f.name));
                }
            }
            _ => {
                out.insert(f.name.to_string());
            }
        }
    }
    out
}

const GRAFANA_UNITS: [&str; 4] = ["s", "short", "percentunit", "none"];

fn panel_problems(file: &Path, d: &Value, known: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let at = |what: &str| format!("{name}: {what}");
    let ds = Value::String("${datasource}".into());
    let vars = d["templating"]["list"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !vars.iter().any(|v| {
        v["name"] == "datasource" && v["type"] == "datasource" && v["query"] == "prometheus"
    }) {
        problems.push(at(
            "no ${datasource} variable of type datasource (prometheus)",
        ));
    }
    // dashboard-linter's template-job-rule and template-instance-rule.
    for scrape in ["job", "instance"] {
        if !vars
            .iter()
            .any(|v| v["name"] == scrape && v["type"] == "query")
        {
            problems.push(at(&format!("no ${scrape} variable")));
        }
    }
    for v in vars.iter().filter(|v| v["type"] == "query") {
        let q = v["query"]["query"].as_str().unwrap_or_default();
        let label = v["name"].as_str().unwrap_or_default();
        let want = match label {
            "job" => "label_values(support_build_info, job)".to_string(),
            "instance" => "label_values(support_build_info{job=~\"$job\"}, instance)".to_string(),
            _ => format!("label_values(support_tickets_created_total, {label})"),
        };
        if q != want {
            problems.push(at(&format!("variable {label} reads {q:?}")));
        }
        if v["datasource"]["uid"] != ds {
            problems.push(at(&format!("variable {label} has no ${{datasource}}")));
        }
    }
    for key in ["uid", "title", "description"] {
        if d[key].as_str().is_none_or(str::is_empty) {
            problems.push(at(&format!("no {key}")));
        }
    }
    if d["schemaVersion"].as_u64().is_none_or(|v| v < 39) {
        problems.push(at("schemaVersion below 39"));
    }
    // Every panel honours every filter the dashboard offers, and no panel
    // names a variable the dashboard does not offer.
    let offered: Vec<&str> = ["team", "channel", "priority"]
        .into_iter()
        .filter(|f| vars.iter().any(|v| v["name"] == *f))
        .collect();
    let mut ids = BTreeSet::new();
    for p in d["panels"].as_array().into_iter().flatten() {
        if p["type"] != "row" {
            let title = p["title"].as_str().unwrap_or("(untitled)");
            let exprs: String = p["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["expr"].as_str())
                .collect::<Vec<_>>()
                .join("\n");
            for f in ["team", "channel", "priority"] {
                let named = exprs.contains(&format!("${f}"));
                if offered.contains(&f) && !named {
                    problems.push(format!("{name}: panel {title:?} ignores ${f}"));
                }
                if !offered.contains(&f) && named {
                    problems.push(format!(
                        "{name}: panel {title:?} names ${f}, which is not offered"
                    ));
                }
            }
        }
        let title = p["title"].as_str().unwrap_or("(untitled)");
        let at = |what: &str| format!("{name}: panel {title:?}: {what}");
        if !ids.insert(p["id"].as_u64()) {
            problems.push(at("duplicate id"));
        }
        if p["type"] == "row" {
            continue;
        }
        if p["datasource"]["uid"] != ds || p["datasource"]["type"] != "prometheus" {
            problems.push(at("datasource is not ${datasource}"));
        }
        let unit = p["fieldConfig"]["defaults"]["unit"]
            .as_str()
            .unwrap_or_default();
        if !GRAFANA_UNITS.contains(&unit) {
            problems.push(at(&format!("unit {unit:?}")));
        }
        if p["description"].as_str().is_none_or(|s| s.len() < 20) {
            problems.push(at("no description"));
        }
        let targets = p["targets"].as_array().cloned().unwrap_or_default();
        if targets.is_empty() {
            problems.push(at("no query"));
        }
        for t in &targets {
            if t["datasource"]["uid"] != ds {
                problems.push(at("query datasource is not ${datasource}"));
            }
            let expr = t["expr"].as_str().unwrap_or_default();
            for m in metric_names(expr) {
                if !known.contains(&m) {
                    problems.push(at(&format!(
                        "reads {m}, which neither the exporter nor the rules produce"
                    )));
                }
            }
            problems.extend(scrape_problems(expr).into_iter().map(|p| at(&p)));
        }
    }
    problems
}

/// dashboard-linter's target-job-rule, target-instance-rule and
/// panel-rate-interval-rule: every selector of a series the exporter (or
/// Prometheus, `up`) serves matches `$job` and `$instance` (recorded
/// series aggregate over both, so they carry neither), and every `rate` or
/// `irate` range is `$__rate_interval` (a rolling window is an `increase`).
fn scrape_problems(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for name in metric_names(expr) {
        if name.contains(':') {
            continue;
        }
        let mut rest = expr;
        while let Some(i) = rest.find(name.as_str()) {
            let after = &rest[i + name.len()..];
            let before = rest[..i].chars().last();
            let whole = !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                && !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
            if whole {
                let matchers = after
                    .strip_prefix('{')
                    .and_then(|m| m.split_once('}'))
                    .map(|(m, _)| m)
                    .unwrap_or_default();
                for want in ["job=~\"$job\"", "instance=~\"$instance\""] {
                    if !matchers.contains(want) {
                        out.push(format!("{name} without {want} in {expr:?}"));
                    }
                }
            }
            rest = after;
        }
    }
    for f in ["rate(", "irate("] {
        let mut rest = expr;
        while let Some(i) = rest.find(f) {
            let whole = !rest[..i]
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            let after = &rest[i + f.len()..];
            if whole {
                let range = after
                    .find('[')
                    .and_then(|a| after[a + 1..].split_once(']').map(|(r, _)| r));
                if range != Some("$__rate_interval") {
                    out.push(format!(
                        "{f}…) over {range:?}, not $__rate_interval, in {expr:?}"
                    ));
                }
            }
            rest = after;
        }
    }
    out
}

#[test]
fn every_dashboard_passes_the_lint() {
    let rules = support_metrics::rules::generate(&example_settings());
    let mut known = exposed_names();
    known.extend(rules.recorded().iter().map(|s| s.to_string()));
    // Prometheus' own per-target series.
    known.extend(["up".to_string(), "scrape_duration_seconds".to_string()]);
    let dashboards = prometheus_dashboards();
    assert_eq!(dashboards.len(), 6);
    assert_eq!(shipped_dashboards().len(), 7, "and the ticket drill-down");
    let mut problems = Vec::new();
    let mut panels = 0;
    for (path, d) in &dashboards {
        problems.extend(panel_problems(path, d, &known));
        panels += dashboard_exprs(d).len();
    }
    assert!(panels > 60, "{panels} queries");
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Rules read only what exists, too.
    for r in rules.all() {
        for m in metric_names(r.expr()) {
            assert!(known.contains(&m), "a rule reads unknown {m}: {}", r.expr());
        }
    }
}

#[test]
fn the_lint_catches_what_it_looks_for() {
    let known = exposed_names();
    let mut d = prometheus_dashboards()
        .into_iter()
        .find(|(_, d)| d["uid"] == "support-overview")
        .expect("the overview")
        .1;
    let panel = d["panels"]
        .as_array_mut()
        .and_then(|ps| ps.iter_mut().find(|p| p["type"] != "row"))
        .expect("a panel");
    panel["description"] = Value::String(String::new());
    panel["fieldConfig"]["defaults"]["unit"] = Value::String(String::new());
    panel["datasource"]["uid"] = Value::String("prometheus".into());
    panel["targets"][0]["expr"] = Value::String(
        "sum(support_tickets_craeted_total) + sum(rate(support_tickets_solved_total{job=~\"$job\"}[1d]))".into(),
    );
    let problems = panel_problems(Path::new("x.json"), &d, &known).join("\n");
    for want in [
        "no description",
        "unit \"\"",
        "datasource is not",
        "support_tickets_craeted_total",
        "support_tickets_solved_total without instance=~\"$instance\"",
        "rate(…) over Some(\"1d\"), not $__rate_interval",
        "ignores $team",
    ] {
        assert!(problems.contains(want), "missing {want}: {problems}");
    }
}

#[test]
fn the_slo_dashboard_follows_the_configured_slos() {
    let settings = example_settings();
    let (_, d) = shipped_dashboards()
        .into_iter()
        .find(|(_, d)| d["uid"] == "support-slo")
        .expect("support-slo");
    let panels = d["panels"].as_array().expect("panels");
    let rows: Vec<&str> = panels
        .iter()
        .filter(|p| p["type"] == "row")
        .filter_map(|p| p["title"].as_str())
        .collect();
    assert_eq!(rows.len(), settings.slos.len());
    for slo in &settings.slos {
        assert!(
            rows.iter()
                .any(|r| r.starts_with(&format!("{}: ", slo.name))),
            "no row for {}",
            slo.name
        );
    }
    // first_response_urgent: 1h business, objective 95%.
    assert!(rows.contains(
        &"first_response_urgent: first response ≤ 1h (business hours), urgent · objective 95%"
    ));
    let urgent_quantile = panels
        .iter()
        .find(|p| {
            p["title"] == "p95 against the target"
                && p["targets"][0]["expr"]
                    .as_str()
                    .is_some_and(|e| e.contains(r#"priority=~"urgent""#))
        })
        .expect("urgent quantile panel");
    assert_eq!(
        urgent_quantile["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"],
        3600.0
    );
}

/// The dashboards type-check against Grafana's own schema (npm
/// `@grafana/schema`, the TypeScript types Grafana's dashboard model is
/// generated into): each JSON model is an object literal of type
/// `Dashboard` (enums read as their string values), so a wrong type, a
/// missing required property or an unknown one fails `tsc --strict`.
/// `.ci/run` installs the package and TypeScript into target/npm-grafana.
#[test]
fn the_dashboards_type_check_against_grafana_schema() {
    let test = "the_dashboards_type_check_against_grafana_schema";
    let modules = std::env::var("SUPPORT_METRICS_TEST_NPM_GRAFANA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target/npm-grafana"));
    let tsc = modules.join("node_modules/typescript/bin/tsc");
    if !modules.join("node_modules/@grafana/schema").is_dir() || !tsc.is_file() {
        skip_outside_ci(
            test,
            "npm install --prefix target/npm-grafana @grafana/schema@13.2.3 typescript@5.9.3",
        );
        return;
    }
    let check = |dashboards: &[(PathBuf, Value)]| {
        // Inside the install, so that the imports resolve.
        let dir = tempfile::tempdir_in(&modules).expect("dir");
        for (path, d) in dashboards {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().replace('-', "_"))
                .unwrap_or_default();
            let ts = format!(
                "import type {{ Dashboard }} from '@grafana/schema';\n\
                 type Loose<T> = T extends string ? `${{T}}` : T extends (infer U)[] ? Loose<U>[] : T extends object ? {{ [K in keyof T]: Loose<T[K]> }} : T;\n\
                 const {stem}: Loose<Dashboard> = {};\nexport default {stem};\n",
                serde_json::to_string_pretty(d).expect("json")
            );
            std::fs::write(dir.path().join(format!("{stem}.ts")), ts).expect("write");
        }
        std::fs::write(
            dir.path().join("tsconfig.json"),
            r#"{"compilerOptions":{"strict":true,"noEmit":true,"moduleResolution":"node","module":"commonjs","target":"es2020","skipLibCheck":true},"include":["*.ts"]}"#,
        )
        .expect("tsconfig");
        let out = Command::new("node")
            .arg(&tsc)
            .arg("-p")
            .arg(dir.path())
            .output()
            .expect("node runs tsc");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let dashboards = shipped_dashboards();
    let (ok, errors) = check(&dashboards);
    assert!(ok, "{errors}");
    // The check catches a wrong type.
    let mut bad = dashboards[0].clone();
    bad.1["panels"][0]["gridPos"]["h"] = Value::String("eight".into());
    let (ok, errors) = check(&[bad]);
    assert!(
        !ok && errors.contains("is not assignable to type 'number'"),
        "{errors}"
    );
}
