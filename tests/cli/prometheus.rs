//! A real Prometheus (Debian's `prometheus`) scrapes a real
//! `support-metrics serve` over a demo helpdesk, loads the shipped rules,
//! and answers every PromQL expression of the dashboards and the rules.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{Served, http_get, repo, run, tool};
use crate::rules::{dashboard_exprs, metric_names, prometheus_dashboards};

const RULES: &str = "dashboards/prometheus/support-metrics.rules.yml";

/// A Prometheus server process, killed on drop.
struct Prometheus {
    child: Child,
    addr: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(bin: &str, dir: &Path, target: &str) -> Prometheus {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: support-metrics\n    static_configs:\n      - targets: [\"{target}\"]\n",
                repo().join(RULES).display()
            ),
        )
        .expect("prometheus.yml");
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts");
        let p = Prometheus { child, addr };
        p.wait_for("Prometheus is ready", || {
            http_get(&p.addr, "/-/ready").0 == 200
        });
        p
    }

    #[track_caller]
    fn wait_for(&self, what: &str, mut ok: impl FnMut() -> bool) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(90) {
            if ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("timed out waiting until {what}");
    }

    /// `/api/v1/query` at now: the parsed answer.
    fn query(&self, promql: &str) -> Value {
        let (status, body) = http_get(
            &self.addr,
            &format!("/api/v1/query?query={}", encode(promql)),
        );
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("HTTP {status} for {promql}: {e}: {body}"))
    }

    /// The result vector of a query that must succeed.
    #[track_caller]
    fn vector(&self, promql: &str) -> Vec<Value> {
        let v = self.query(promql);
        assert_eq!(v["status"], "success", "{promql}: {v}");
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// The value of a one-sample query.
    #[track_caller]
    fn value(&self, promql: &str) -> f64 {
        let r = self.vector(promql);
        assert_eq!(r.len(), 1, "{promql}: {r:?}");
        r[0]["value"][1]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{promql}: {r:?}"))
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Grafana's variables as "All" and its rate interval.
fn as_grafana_sends(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$team", ".*")
        .replace("$channel", ".*")
        .replace("$priority", ".*")
        .replace("$job", ".*")
        .replace("$instance", ".*")
}

fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// New traffic while Prometheus watches: 30 urgent chat tickets created 13
/// minutes ago and answered a minute ago (12 minutes: over the chat SLO's
/// 10-minute target — business time, and the test's calendar is open around
/// the clock — within the urgent SLO's hour), 4 CSAT
/// answers on them (2 satisfied), five high/normal/low tickets answered and
/// solved with a CES answer each, a SERVQUAL pair per dimension, two eNPS
/// answers, and 5 urgent web tickets waiting 3 hours without an answer.
fn new_traffic(now: chrono::DateTime<chrono::Utc>) -> String {
    let created = iso(now - chrono::Duration::minutes(13));
    let answered = iso(now - chrono::Duration::minutes(1));
    let waiting = iso(now - chrono::Duration::hours(3));
    let mut sql = String::new();
    for i in 0..30 {
        // A third of them solved at the reply: solves for the per-team
        // ratios (reopens, re-routes per solve) to divide by.
        let status = if i % 3 == 0 { "solved" } else { "open" };
        sql.push_str(&format!(
            "INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, created_by, status, updated_at) VALUES ('pm-{i}', '{created}', 'chat', 'urgent', 'refunds', 'pm-c{i}', 'customer', 'open', '{answered}');
INSERT INTO support_ticket_events (ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status) VALUES
 ('pm-{i}', '{created}', 'message', 'customer', 'pm-c{i}', NULL, NULL, NULL),
 ('pm-{i}', '{created}', 'assign', 'system', NULL, 'billing', NULL, NULL),
 ('pm-{i}', '{answered}', 'message', 'agent', 'a1', NULL, NULL, NULL),
 ('pm-{i}', '{answered}', 'status', 'agent', 'a1', NULL, NULL, '{status}');
"
        ));
    }
    for (i, score) in [5, 4, 2, 1].into_iter().enumerate() {
        sql.push_str(&format!(
            "INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score, comment) VALUES ('pm-s{i}', 'pm-{i}', '{answered}', 'csat', {score}, NULL);\n"
        ));
    }
    // Every SLO judges something while Prometheus watches, so every SLO
    // panel has data to show: high and normal tickets answered within
    // their targets, the normal ones solved (first resolution).
    for (i, priority) in ["high", "high", "normal", "normal", "low"]
        .into_iter()
        .enumerate()
    {
        sql.push_str(&format!(
            "INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, created_by, status, updated_at) VALUES ('pn-{i}', '{created}', 'email', '{priority}', 'billing', 'pn-c{i}', 'customer', 'solved', '{answered}');
INSERT INTO support_ticket_events (ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status) VALUES
 ('pn-{i}', '{created}', 'message', 'customer', 'pn-c{i}', NULL, NULL, NULL),
 ('pn-{i}', '{created}', 'assign', 'system', NULL, 'billing', NULL, NULL),
 ('pn-{i}', '{answered}', 'message', 'agent', 'a1', NULL, NULL, NULL),
 ('pn-{i}', '{answered}', 'status', 'agent', 'a1', NULL, NULL, 'solved');
INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score, comment) VALUES ('pn-s{i}', 'pn-{i}', '{answered}', 'ces', {ces}, NULL);
",
            ces = i + 1
        ));
    }
    // A SERVQUAL wave: one E and one P answer per dimension, so that every
    // gap of the SERVQUAL row has data. E = 2 is a score the demo never
    // gives an expectation: series Prometheus has not seen before.
    for (i, d) in [
        "tangibles",
        "reliability",
        "responsiveness",
        "assurance",
        "empathy",
    ]
    .into_iter()
    .enumerate()
    {
        sql.push_str(&format!(
            "INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score, comment, question) VALUES ('pq-e{i}', NULL, '{answered}', 'servqual_expectation', 2, NULL, '{d}'), ('pq-p{i}', NULL, '{answered}', 'servqual_perception', {p}, NULL, '{d}.{n}');\n",
            p = 3 + i,
            n = i + 1
        ));
    }
    // And an engagement pulse answered while Prometheus watches.
    sql.push_str(&format!(
        "INSERT INTO support_engagement_responses (id, employee_id, team, responded_at, question, score) VALUES ('pm-e3', 'pm-a3', 'billing', '{answered}', 'enps', 9), ('pm-e4', 'pm-a4', 'billing', '{answered}', 'enps', 6);\n"
    ));
    for i in 0..5 {
        sql.push_str(&format!(
            "INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, created_by, status, updated_at) VALUES ('pw-{i}', '{waiting}', 'web', 'urgent', 'login', 'pw-c{i}', 'customer', 'new', '{waiting}');
INSERT INTO support_ticket_events (ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status) VALUES
 ('pw-{i}', '{waiting}', 'message', 'customer', 'pw-c{i}', NULL, NULL, NULL),
 ('pw-{i}', '{waiting}', 'assign', 'system', NULL, 'billing', NULL, NULL);
"
        ));
    }
    sql
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_scrapes_the_exporter_and_answers_every_dashboard_and_rule_query() {
    let Some(bin) = tool(
        "prometheus",
        "PROMETHEUS",
        "prometheus_scrapes_the_exporter_and_answers_every_dashboard_and_rule_query",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    // Fixture: two weeks of the demo helpdesk, an engagement pulse today and
    // one survey answer that breaks the contract (CSAT is 1-5).
    let r = run(
        dir.path(),
        &["demo", "--weeks", "2", "--seed", "3", "--no-serve"],
        &[],
    );
    assert!(r.ok, "{}", r.stderr);
    let db_url = format!(
        "sqlite://{}",
        dir.path().join("data/demo-helpdesk.sqlite").display()
    );
    let now = chrono::Utc::now();
    let today = iso(now - chrono::Duration::hours(1));
    let db = sqlx::SqlitePool::connect(&db_url).await.expect("demo db");
    let exec = |sql: String| {
        let db = db.clone();
        async move {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&db)
                .await
                .expect("fixture SQL runs");
        }
    };
    exec(format!(
        "INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score, comment) VALUES ('pm-bad', NULL, '{today}', 'csat', 9, 'out of range');
INSERT INTO support_engagement_responses (id, employee_id, team, responded_at, question, score) VALUES
 ('pm-e1', 'pm-a1', 'billing', '{today}', 'enps', 10), ('pm-e2', 'pm-a2', 'billing', '{today}', 'enps', 3);"
    ))
    .await;

    // The exporter on the example configuration, collecting every second.
    let config = repo().join("config/support-metrics.toml");
    // The default calendar open around the clock, so that the waiting
    // alert (business time, only while the team is open) does not depend on
    // the hour this test runs at; the night case is promtool's
    // (dashboards/prometheus/tests/alerts.test.yml).
    let mut owned: Vec<(String, &str)> = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
        .iter()
        .map(|d| {
            (
                format!("SUPPORT_METRICS__CALENDARS__DEFAULT__HOURS__{d}"),
                "00:00-24:00",
            )
        })
        .collect();
    owned.push(("SUPPORT_METRICS__CALENDARS__DEFAULT__HOLIDAYS".into(), "[]"));
    owned.push(("SUPPORT_METRICS__SCHEDULE__COLLECT".into(), "* * * * * *"));
    // The kpi job too, so that the SERVQUAL gauges follow the new traffic.
    owned.push(("SUPPORT_METRICS__SCHEDULE__KPI".into(), "* * * * * *"));
    let env: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let served = Served::start(dir.path(), &config, &env);
    served.wait_ready();
    let m = served.scrape_after("kpi");
    assert!(
        m.sum(
            "support_rows_rejected_total",
            &[("relation", "support_survey_responses")]
        ) >= 1.0,
        "the bad survey row is counted"
    );

    let prom = Prometheus::start(&bin, dir.path(), &served.addr);
    prom.wait_for("3 scrapes are stored", || {
        prom.vector(r#"count_over_time(up{job="support-metrics"}[1m]) >= 3"#)
            .len()
            == 1
    });
    exec(new_traffic(chrono::Utc::now())).await;
    prom.wait_for("the new traffic is scraped and recorded", || {
        prom.vector(r#"slo:support_slo_errors:ratio_rate5m{slo="first_response_chat"} > 0"#)
            .len()
            == 1
    });
    std::thread::sleep(Duration::from_secs(2));

    // Hand-computed: in the last 5 minutes the chat SLO judged the 30 new
    // tickets and all breached (12 min > 10 min); the urgent SLO judged the
    // same 30 and none breached (12 business minutes < 1 h).
    let chat = prom.value(r#"slo:support_slo_errors:ratio_rate5m{slo="first_response_chat"}"#);
    assert_eq!(chat, 1.0);
    let urgent = prom.value(r#"slo:support_slo_errors:ratio_rate5m{slo="first_response_urgent"}"#);
    assert_eq!(urgent, 0.0);
    // Burn rate 1 / 0.05 = 20 ≥ 14.4 over 1h and 5m with 30 tickets: the
    // chat SLO pages, the urgent one does not.
    let burn = prom.value(r#"slo:support_slo_burn_rate:ratio_rate1h{slo="first_response_chat"}"#);
    assert!((burn - 20.0).abs() < 1e-9, "{burn}");
    prom.wait_for("the chat fast-burn alert fires", || {
        prom.vector(r#"ALERTS{alertname="SupportSLOFastBurn", alertstate="firing"}"#)
            .iter()
            .any(|a| a["metric"]["slo"] == "first_response_chat")
    });
    let firing = prom.vector(r#"ALERTS{alertname="SupportSLOFastBurn"}"#);
    assert_eq!(firing.len(), 1, "only the chat SLO burns: {firing:?}");
    // The 3-hour-old urgent tickets are waiting past the 2h limit (pending
    // for 5 minutes before firing).
    prom.wait_for("the waiting alert is pending", || {
        prom.vector(
            r#"ALERTS{alertname="SupportFirstResponseWaiting", priority="urgent", team="billing"}"#,
        )
        .len()
            == 1
    });

    // Hand-computed: the SERVQUAL wave answered while Prometheus watched
    // has E = 2 and P = 3, 4, 5, 6, 7 in the five dimensions, beside the
    // demo's wave of this week: the shipped panels (the kpi job's exact
    // gauges) must show what `report` says of the same 13 weeks.
    let surveys = prometheus_dashboards()
        .into_iter()
        .find(|(p, _)| p.ends_with("support-surveys.json"))
        .expect("the surveys dashboard")
        .1;
    let exprs = dashboard_exprs(&surveys);
    let by_dimension = exprs
        .iter()
        .find(|e| e.contains("servqual") && e.contains("by (dimension)"))
        .expect("the SERVQUAL gap panel");
    let now = chrono::Utc::now();
    let report = run(
        dir.path(),
        &[
            "--config",
            config.to_str().expect("utf-8"),
            "report",
            "--from",
            &iso(now - chrono::Duration::weeks(13)),
            "--to",
            &iso(now + chrono::Duration::minutes(1)),
            "--format",
            "json",
        ],
        &env,
    );
    assert!(report.ok, "{}", report.stderr);
    let report: Value = serde_json::from_str(&report.stdout).expect("report JSON");
    let sq = report["overall"]["servqual"].clone();
    let want: std::collections::BTreeMap<String, f64> = sq["dimensions"]
        .as_object()
        .expect("SERVQUAL dimensions")
        .iter()
        .map(|(d, v)| (d.clone(), v["gap"].as_f64().expect("a reported gap")))
        .collect();
    // The demo's wave is the week of its injected problem: customers see
    // responsiveness furthest below what they expect.
    let widest = want
        .iter()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(d, _)| d.as_str());
    assert_eq!(widest, Some("responsiveness"), "{want:?}");
    let gaps = || -> std::collections::BTreeMap<String, f64> {
        prom.vector(&as_grafana_sends(by_dimension))
            .iter()
            .map(|r| {
                let d = r["metric"]["dimension"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let v = r["value"][1]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(f64::NAN);
                (d, v)
            })
            .collect()
    };
    let same = |a: &std::collections::BTreeMap<String, f64>| {
        a.len() == want.len() && a.iter().all(|(d, v)| (v - want[d]).abs() < 1e-9)
    };
    prom.wait_for("the SERVQUAL gap panel shows the report's gaps", || {
        same(&gaps())
    });
    let scores = exprs
        .iter()
        .find(|e| e.contains("support_servqual_score"))
        .expect("the SERVQUAL score panel");
    let score = |w: &str| {
        prom.vector(&as_grafana_sends(scores))
            .iter()
            .find(|r| r["metric"]["weighting"] == w)
            .and_then(|r| r["value"][1].as_str())
            .and_then(|s| s.parse::<f64>().ok())
    };
    for (w, field) in [("unweighted", "score"), ("weighted", "weighted_score")] {
        let reported = sq[field].as_f64().expect("a reported score");
        prom.wait_for(&format!("the {w} SERVQUAL score"), || {
            score(w).is_some_and(|v| (v - reported).abs() < 1e-9)
        });
    }
    // By hand: the unweighted score is the mean of the five gaps.
    let mean = want.values().sum::<f64>() / 5.0;
    assert!((sq["score"].as_f64().unwrap_or(f64::NAN) - mean).abs() < 1e-9);

    // Every rule evaluates without error.
    let (_, body) = http_get(&prom.addr, "/api/v1/rules");
    let rules: Value = serde_json::from_str(&body).expect("rules JSON");
    let mut evaluated = 0;
    for g in rules["data"]["groups"].as_array().expect("groups") {
        for r in g["rules"].as_array().expect("rules") {
            assert_eq!(r["health"], "ok", "{}: {}", r["name"], r["lastError"]);
            evaluated += 1;
        }
    }
    let settings =
        support_metrics::config::Settings::load(Some(config.as_path())).expect("example");
    let generated = support_metrics::rules::generate(&settings);
    assert_eq!(evaluated, generated.all().count());

    // Every recording rule returns data; every alert parses and reads
    // series that exist.
    let mut failures = Vec::new();
    for rule in generated.all() {
        match rule {
            support_metrics::rules::Rule::Record { record, labels, .. } => {
                let sel = match labels.first() {
                    Some((k, v)) => format!("{record}{{{k}=\"{v}\"}}"),
                    None => record.clone(),
                };
                if prom.vector(&sel).is_empty() {
                    failures.push(format!("recording rule {sel} has no data"));
                }
            }
            support_metrics::rules::Rule::Alert(a) => {
                let v = prom.query(&a.expr);
                if v["status"] != "success" {
                    failures.push(format!("alert {}: {v}", a.name));
                }
                for name in metric_names(&a.expr) {
                    if prom
                        .vector(&format!("count({{__name__=\"{name}\"}})"))
                        .is_empty()
                    {
                        failures.push(format!(
                            "alert {} reads {name}, which Prometheus does not have",
                            a.name
                        ));
                    }
                }
            }
        }
    }
    // Every dashboard query returns data, as Grafana sends it.
    let mut queries = 0;
    for (path, d) in prometheus_dashboards() {
        for expr in dashboard_exprs(&d) {
            queries += 1;
            let q = as_grafana_sends(&expr);
            let v = prom.query(&q);
            if v["status"] != "success" {
                failures.push(format!("{}: {q}: {v}", path.display()));
            } else if v["data"]["result"].as_array().is_none_or(|r| r.is_empty())
                // A week ago this Prometheus did not exist: the comparison
                // panels must evaluate, but have nothing to show yet.
                && !q.contains(" offset 1w")
            {
                failures.push(format!("{}: no data for {q}", path.display()));
            } else if v["data"]["result"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|r| {
                    r["value"][1]
                        .as_str()
                        .is_some_and(|x| x == "NaN" || x.ends_with("Inf"))
                })
            {
                failures.push(format!("{}: NaN or infinity from {q}", path.display()));
            }
        }
    }
    assert!(queries > 60, "{queries} dashboard queries");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // A rate the overview plots moved with the new traffic.
    let created = prom.value(&as_grafana_sends(
        r#"sum(rate(support_tickets_created_total{team=~"$team"}[$__rate_interval])) * 3600"#,
    ));
    assert!(created > 0.0, "{created} tickets/h");
    drop(prom);
    served.stop();
}
