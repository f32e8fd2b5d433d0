//! `/metrics` behind HTTPS and basic authentication: a real TLS client
//! (curl, trusting a certificate made with openssl for the test) against
//! the real binary.

use std::path::Path;
use std::process::Command;

use crate::helpers::{Served, TestDb, fixture, run, skip_outside_ci, tool};

/// `curl` against the server: `(HTTP status, body)`; status 0 when no HTTP
/// exchange happened (e.g. the TLS handshake failed).
fn curl(ca: &Path, url: &str, user: Option<&str>) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "20", "--cacert"])
        .arg(ca)
        .args(["-w", "\n%{http_code}", url]);
    if let Some(u) = user {
        cmd.args(["-u", u]);
    }
    let out = cmd.output().expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

#[tokio::test]
async fn metrics_over_https_need_a_known_user_and_password() {
    let test = "metrics_over_https_need_a_known_user_and_password";
    if tool("curl", "CURL", test).is_none() || tool("openssl", "OPENSSL", test).is_none() {
        return;
    }
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let dir = db.dir.path();
    // A certificate for 127.0.0.1, valid a day.
    let made = Command::new("openssl")
        .current_dir(dir)
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "1",
            "-subj",
            "/CN=support-metrics test",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .output()
        .expect("openssl runs");
    if !made.status.success() {
        skip_outside_ci(test, &String::from_utf8_lossy(&made.stderr));
        return;
    }
    // The hash comes from the command a user runs to make one.
    let hashed = {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_support-metrics"))
            .args(["hash-password", "--cost", "4"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("hash-password starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"s3cret pass\n")
            .expect("password written");
        let out = child.wait_with_output().expect("hash-password ends");
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_string()
    };
    assert!(bcrypt::verify("s3cret pass", &hashed).expect("a bcrypt hash"));

    let mut text = std::fs::read_to_string(fixture("small_helpdesk.toml")).expect("fixture");
    text.push_str(&format!(
        "\n[source]\nurl = \"{}\"\n\n[state]\nurl = \"sqlite://{}\"\n\n\
         [schedule]\ncollect = \"0 0 * * * *\"\nkpi = \"0 0 * * * *\"\n\n\
         [server.tls]\ncert_file = \"cert.pem\"\nkey_file = \"key.pem\"\n\n\
         [server.basic_auth_users]\nprometheus = \"{hashed}\"\n",
        db.url,
        dir.join("state.sqlite").display()
    ));
    let config = dir.join("secure.toml");
    std::fs::write(&config, text).expect("config");
    let check = run(
        dir,
        &["--config", config.to_str().expect("utf-8"), "check-config"],
        &[],
    );
    assert!(check.ok, "{}", check.stderr);

    let served = Served::start(dir, &config, &[]);
    let base = format!("https://{}", served.addr);
    let ca = dir.join("cert.pem");
    // Probes stay open; the first collection makes it ready.
    let mut ready = (0, String::new());
    for _ in 0..600 {
        ready = curl(&ca, &format!("{base}/readyz"), None);
        if ready.0 == 200 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(ready.0, 200, "{}", ready.1);
    assert_eq!(curl(&ca, &format!("{base}/healthz"), None).0, 200);

    let metrics = format!("{base}/metrics");
    let (code, body) = curl(&ca, &metrics, None);
    assert_eq!(code, 401, "{body}");
    assert_eq!(curl(&ca, &metrics, Some("prometheus:wrong")).0, 401);
    assert_eq!(curl(&ca, &metrics, Some("grafana:s3cret pass")).0, 401);
    assert_eq!(curl(&ca, &format!("{base}/"), None).0, 401);
    let (code, body) = curl(&ca, &metrics, Some("prometheus:s3cret pass"));
    assert_eq!(code, 200);
    assert!(
        body.contains("support_tickets_created_total{"),
        "no metrics in: {}",
        &body[..body.len().min(500)]
    );
    assert!(!body.contains("s3cret") && !body.contains(&hashed));
    // Remembered after the first check: the same again.
    assert_eq!(curl(&ca, &metrics, Some("prometheus:s3cret pass")).0, 200);

    // Plain HTTP on the HTTPS port gets no metrics.
    let plain = curl(&ca, &format!("http://{}/metrics", served.addr), None);
    assert_ne!(plain.0, 200);
    // Nor does a client that does not trust the certificate.
    let untrusted = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "20",
            "-u",
            "prometheus:s3cret pass",
            &metrics,
        ])
        .output()
        .expect("curl runs");
    assert!(!untrusted.status.success());
    served.stop();
}

/// A MariaDB user whose password holds every URL delimiter: it connects
/// from `password_file` or the environment (handed to the driver, not
/// spliced into the URL), a wrong one is refused, and neither is shown.
#[tokio::test]
async fn database_passwords_with_url_delimiters_connect_and_never_show() {
    let Some(db) = TestDb::mysql("db_passwords").await else {
        return;
    };
    db.load_fixture("small_helpdesk.sql").await;
    let (server, name) = db.url.rsplit_once('/').expect("url has a database");
    let user = format!("pw_{}", std::process::id());
    let password = "p/@:#?w %";
    db.execute(&format!(
        "CREATE USER '{user}'@'%' IDENTIFIED BY '{password}';\n\
         CREATE USER '{user}'@'localhost' IDENTIFIED BY '{password}';\n\
         GRANT SELECT ON {name}.* TO '{user}'@'%';\n\
         GRANT SELECT ON {name}.* TO '{user}'@'localhost'"
    ))
    .await;
    let host = server.rsplit_once('@').map_or(server, |(_, h)| h);
    let url = format!("mysql://{user}@{host}/{name}");
    let dir = db.dir.path();
    let secret = dir.join("db-password");
    let state = format!("sqlite://{}", dir.join("state.sqlite").display());
    let config = dir.join("config.toml");
    let report = ["report", "--from", "2026-03-02", "--to", "2026-03-09"];
    let config_arg = config.to_str().expect("utf-8 path").to_string();
    let with_config = |args: &[&'static str]| -> Vec<String> {
        let mut a = vec!["--config".to_string(), config_arg.clone()];
        a.extend(args.iter().map(|s| s.to_string()));
        a
    };
    let run = |dir: &Path, args: &[String], env: &[(&str, &str)]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(dir, &args, env)
    };
    std::fs::write(
        &config,
        format!(
            "[source]\nurl = \"{url}\"\npassword_file = {secret:?}\n[state]\nurl = \"{state}\"\n"
        ),
    )
    .expect("config");

    std::fs::write(&secret, format!("{password}\n")).expect("secret");
    let r = run(dir, &with_config(&report), &[]);
    assert!(
        r.ok,
        "the right password from password_file connects: {}",
        r.stderr
    );

    // The same password from the environment instead of the file.
    std::fs::write(
        &config,
        format!("[source]\nurl = \"{url}\"\n[state]\nurl = \"{state}\"\n"),
    )
    .expect("config");
    let r = run(
        dir,
        &with_config(&report),
        &[("SUPPORT_METRICS__SOURCE__PASSWORD", password)],
    );
    assert!(
        r.ok,
        "the right password from the environment connects: {}",
        r.stderr
    );

    let wrong = "wr/ong@:#?";
    let r = run(
        dir,
        &with_config(&report),
        &[("SUPPORT_METRICS__SOURCE__PASSWORD", wrong)],
    );
    assert!(!r.ok, "a wrong password is refused");
    assert!(r.stderr.contains("cannot connect"), "{}", r.stderr);
    assert!(!r.stderr.contains(wrong) && !r.stdout.contains(wrong));

    // Written raw into the URL of the environment: refused, masked.
    let raw = format!("mysql://{user}:{password}@{host}/{name}");
    let r = run(
        dir,
        &with_config(&["check-config"]),
        &[("SUPPORT_METRICS__SOURCE__URL", &raw)],
    );
    assert!(!r.ok, "{}", r.stdout);
    assert!(
        r.stderr
            .contains(&format!("mysql://{user}:***@{host}/{name}"))
            && r.stderr.contains("not percent-encoded"),
        "{}",
        r.stderr
    );
    // Percent-encoded there, it is taken out of the URL and connects.
    let encoded = format!(
        "mysql://{user}:{}@{host}/{name}",
        support_metrics::config::percent_encode(password)
    );
    let r = run(
        dir,
        &with_config(&["check-config"]),
        &[("SUPPORT_METRICS__SOURCE__URL", &encoded)],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout
            .contains(&format!("source mysql://{user}@{host}/{name},"))
            || r.stdout
                .contains(&format!("source mysql://{user}:***@{host}/{name},")),
        "{}",
        r.stdout
    );
    let r = run(
        dir,
        &with_config(&report),
        &[("SUPPORT_METRICS__SOURCE__URL", &encoded)],
    );
    assert!(r.ok, "{}", r.stderr);
    for out in [&r.stdout, &r.stderr] {
        assert!(!out.contains(password) && !out.contains("p%2F%40"), "{out}");
    }
    db.execute(&format!(
        "DROP USER '{user}'@'%';\nDROP USER '{user}'@'localhost'"
    ))
    .await;
    db.cleanup().await;
}
