//! Deploying it the way exporters are deployed: the Dockerfile, the systemd
//! unit and the Kubernetes manifests in `deploy/` are checked by the tools
//! that will read them — kubernetes-validate (PyPI, the Kubernetes OpenAPI
//! schemas) for the core objects, the Prometheus Operator's own schemas
//! (npm @kubernetes-models/prometheus-operator) for the ServiceMonitor and
//! PrometheusRule, promtool for the rules inside the latter, and
//! `systemd-analyze verify` for the unit.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::{repo, run, skip_outside_ci, tool};

const EXAMPLE: &str = "config/support-metrics.toml";
const RULE: &str = "deploy/kubernetes/prometheusrule.yaml";

fn manifests() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join("deploy/kubernetes"))
        .expect("deploy/kubernetes")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    out.sort();
    out
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_prometheus_rule_is_the_example_configurations_rules() {
    let r = run(
        repo(),
        &[
            "--config",
            EXAMPLE,
            "rules",
            "--format",
            "prometheus-operator",
        ],
        &[],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout == read(RULE),
        "{RULE} is stale: run `cargo run -- --config {EXAMPLE} rules --format prometheus-operator --out {RULE}`"
    );
    // The same groups as the rule file Prometheus loads.
    let file = read("dashboards/prometheus/support-metrics.rules.yml");
    let groups = |s: &str| s.matches("- name: ").count();
    assert_eq!(groups(&r.stdout), groups(&file));
    assert_eq!(
        r.stdout.matches("- alert: ").count(),
        file.matches("- alert: ").count()
    );
    // What is under spec: passes promtool as a rule file.
    let Some(promtool) = tool(
        "promtool",
        "PROMTOOL",
        "the_prometheus_rule_is_the_example_configurations_rules",
    ) else {
        return;
    };
    let (_, spec) = r.stdout.split_once("\nspec:\n").expect("a spec");
    let rules: String = spec
        .lines()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("rules.yml");
    std::fs::write(&path, rules).expect("write");
    let out = Command::new(promtool)
        .args(["check", "rules", "--lint-fatal"])
        .arg(&path)
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_kubernetes_objects_validate_against_their_schemas() {
    let test = "the_kubernetes_objects_validate_against_their_schemas";
    let (core, operator): (Vec<PathBuf>, Vec<PathBuf>) = manifests().into_iter().partition(|p| {
        !std::fs::read_to_string(p)
            .unwrap_or_default()
            .contains("monitoring.coreos.com/")
    });
    assert_eq!(
        (core.len(), operator.len()),
        (3, 2),
        "{core:?} {operator:?}"
    );

    // The core objects, strictly (no property the schema does not know).
    if let Some(validate) = tool("kubernetes-validate", "KUBERNETES_VALIDATE", test) {
        let out = Command::new(validate)
            .arg("--strict")
            .args(&core)
            .output()
            .expect("kubernetes-validate runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        assert_eq!(text.matches(" passed for resource ").count(), 3, "{text}");
    }

    // The operator's objects, with its CRDs' schemas (.ci/run installs the
    // package into target/npm-crds).
    let modules = std::env::var("SUPPORT_METRICS_TEST_NPM_CRDS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target/npm-crds"));
    if !modules
        .join("node_modules/@kubernetes-models/prometheus-operator")
        .is_dir()
    {
        skip_outside_ci(
            test,
            "npm install --prefix target/npm-crds @kubernetes-models/prometheus-operator@6 js-yaml@4",
        );
        return;
    }
    let script = modules.join("validate_crds.mjs");
    std::fs::copy(repo().join("tests/support/validate_crds.mjs"), &script).expect("copy");
    let check = |files: &[PathBuf]| {
        Command::new("node")
            .arg(&script)
            .args(files)
            .output()
            .expect("node runs")
    };
    let out = check(&operator);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches(" is valid").count(), 2, "{text}");
    // The validator catches what it looks for: a scrape timeout that is not
    // a duration.
    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        read("deploy/kubernetes/servicemonitor.yaml")
            .replace("scrapeTimeout: 10s", "scrapeTimeout: soon"),
    )
    .expect("write");
    let out = check(&[bad]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("scrapeTimeout"));
}

/// What the objects say of each other: the ServiceMonitor scrapes the
/// Service's `metrics` port, which is the container's; the probes ask the
/// exporter's own paths; the job label (the Service's name) is
/// `alerts.prometheus_job`; two replicas, not root.
#[test]
fn the_kubernetes_objects_fit_together() {
    let deployment = read("deploy/kubernetes/deployment.yaml");
    let service = read("deploy/kubernetes/service.yaml");
    let monitor = read("deploy/kubernetes/servicemonitor.yaml");
    let label = "app.kubernetes.io/name: support-metrics";
    for (name, text) in [
        ("deployment", &deployment),
        ("service", &service),
        ("servicemonitor", &monitor),
    ] {
        assert!(text.contains(label), "{name} lacks {label}");
    }
    assert!(deployment.contains("- name: metrics\n              containerPort: 10891"));
    assert!(service.contains("- name: metrics\n      port: 10891\n      targetPort: metrics"));
    assert!(monitor.contains("- port: metrics\n      path: /metrics"));
    assert!(deployment.contains("httpGet: {path: /healthz, port: metrics}"));
    assert!(deployment.contains("httpGet: {path: /readyz, port: metrics}"));
    assert!(deployment.contains("replicas: 2"));
    assert!(deployment.contains("runAsNonRoot: true"));
    let settings = support_metrics::config::Settings::load(Some(repo().join(EXAMPLE).as_path()))
        .expect("example config");
    assert!(service.contains(&format!("  name: {}\n", settings.alerts.prometheus_job)));
    // Every setting the manifests pass is one the configuration knows.
    for text in [&deployment, &read("deploy/kubernetes/cronjob-digest.yaml")] {
        for var in text
            .split("- name: ")
            .skip(1)
            .filter_map(|s| s.split_whitespace().next())
        {
            if let Some(path) = var.strip_prefix("SUPPORT_METRICS__") {
                let key = path.to_ascii_lowercase().replace("__", ".");
                assert!(
                    [
                        "server.listen",
                        "source.url",
                        "source.password",
                        "state.url",
                        "state.password",
                        "digest.smtp.password",
                    ]
                    .contains(&key.as_str()),
                    "{var}"
                );
            }
        }
    }
}

#[test]
fn the_systemd_unit_verifies() {
    let test = "the_systemd_unit_verifies";
    let Some(analyze) = tool("systemd-analyze", "SYSTEMD_ANALYZE", test) else {
        return;
    };
    let unit = read("deploy/systemd/support-metrics.service");
    // The unit as installed, but with the binary this test built.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("support-metrics.service");
    let verify = |text: &str| {
        std::fs::write(&path, text).expect("write");
        let out = Command::new(&analyze)
            .arg("verify")
            .arg(&path)
            .output()
            .expect("systemd-analyze runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.success(), stderr)
    };
    let local = unit.replace(
        "/usr/local/bin/support-metrics",
        env!("CARGO_BIN_EXE_support-metrics"),
    );
    let (ok, stderr) = verify(&local);
    assert!(ok && stderr.trim().is_empty(), "{stderr}");
    // verify speaks up about what it does not accept.
    let (_, stderr) = verify(&local.replace("Restart=on-failure", "Restart=sometimes"));
    assert!(stderr.contains("restart"), "{stderr}");
    assert!(unit.contains("ExecStart=/usr/local/bin/support-metrics --config /etc/support-metrics/support-metrics.toml serve"));
    assert!(unit.contains("User=support-metrics"));
}

#[test]
fn the_image_runs_the_binary_as_a_non_root_user() {
    let docker = read("Dockerfile");
    let stages = docker.lines().filter(|l| l.starts_with("FROM ")).count();
    assert_eq!(stages, 2, "a build stage and a runtime stage");
    let runtime = docker.rsplit("\nFROM ").next().unwrap_or_default();
    let copies: Vec<&str> = runtime.lines().filter(|l| l.starts_with("COPY ")).collect();
    assert_eq!(
        copies,
        [
            "COPY --from=build /src/target/release/support-metrics /usr/local/bin/support-metrics",
            "COPY config/support-metrics.toml /etc/support-metrics/support-metrics.toml",
            "COPY dashboards /usr/share/support-metrics/dashboards",
        ],
        "the binary, the configuration and the dashboards only"
    );
    assert!(runtime.contains("\nUSER 10001\n"));
    assert!(runtime.contains("EXPOSE 10891"));
    assert!(Path::new(&repo().join(".dockerignore")).exists());
    assert!(read(".dockerignore").lines().any(|l| l == "target"));
}
