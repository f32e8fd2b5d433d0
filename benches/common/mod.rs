//! What both benchmarks share: latency summaries, a plain HTTP GET, and the
//! 1,000 new events one incremental `collect` is measured on.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::time::Duration;

use chrono::Utc;
use support_metrics::demo::generate::{Dataset, TEAMS};
use support_metrics::model::{Actor, Creator, Event, EventKind, Priority, Status, Ticket};

pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Prints and returns `(p50, p90, p99, max)` in milliseconds.
pub fn summary(name: &str, mut samples: Vec<Duration>) -> (f64, f64, f64, f64) {
    samples.sort();
    let r = (
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.9)),
        ms(percentile(&samples, 0.99)),
        samples.last().map_or(0.0, |d| ms(*d)),
    );
    println!(
        "{name}: n={} p50={:.2} ms p90={:.2} ms p99={:.2} ms max={:.2} ms",
        samples.len(),
        r.0,
        r.1,
        r.2,
        r.3
    );
    r
}

/// `GET path` over HTTP/1.0; the body's length in bytes.
pub fn http_get(addr: &str, path: &str) -> usize {
    http_get_with(addr, path, "")
}

/// [`http_get`] asking for a gzipped body, as Prometheus does on every
/// scrape: the bytes received (still compressed).
pub fn http_get_gzip(addr: &str, path: &str) -> usize {
    http_get_with(addr, path, "Accept-Encoding: gzip\r\n")
}

fn http_get_with(addr: &str, path: &str, headers: &str) -> usize {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n{headers}\r\n").expect("write");
    let mut body = Vec::new();
    s.read_to_end(&mut body).expect("read");
    body.len()
}

/// 1,000 new events: 200 new tickets (message + assignment) and 150
/// existing tickets (from `existing`, a different slice each round, five
/// slices in turn) reopened and solved again (4 events each).
pub fn new_traffic(first_event: i64, round: u32, existing: &[String]) -> Dataset {
    let now = Utc::now();
    let mut d = Dataset::default();
    let mut id = first_event;
    let mut ev = |d: &mut Dataset, ticket: &str, kind, actor, team: Option<&str>, status| {
        d.events.push(Event {
            id,
            ticket_id: ticket.to_string(),
            occurred_at: now,
            kind,
            actor,
            // Marks the benchmark's own rows, for clean-up.
            actor_id: Some("bench".into()),
            team: team.map(str::to_string),
            agent_id: None,
            status,
        });
        id += 1;
    };
    for i in 0..200 {
        let t = Ticket {
            id: format!("bench-{round}-{i}"),
            created_at: now,
            channel: "email".into(),
            priority: Priority::Normal,
            category: None,
            requester_id: format!("r{i}"),
            created_by: Creator::Customer,
            status: Status::New,
            updated_at: Some(now),
        };
        ev(
            &mut d,
            &t.id,
            EventKind::Message,
            Actor::Customer,
            None,
            None,
        );
        ev(
            &mut d,
            &t.id,
            EventKind::Assign,
            Actor::System,
            Some(TEAMS[i % 4]),
            None,
        );
        d.tickets.push(t);
    }
    for t in existing.iter().skip((round % 5) as usize * 150).take(150) {
        ev(&mut d, t, EventKind::Message, Actor::Customer, None, None);
        ev(
            &mut d,
            t,
            EventKind::Status,
            Actor::System,
            None,
            Some(Status::Open),
        );
        ev(&mut d, t, EventKind::Message, Actor::Agent, None, None);
        ev(
            &mut d,
            t,
            EventKind::Status,
            Actor::Agent,
            None,
            Some(Status::Solved),
        );
    }
    d
}

/// The peak RSS so far of a running process (VmHWM), in KiB.
pub fn peak_rss_kib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
}

/// `GET path`: the response body.
pub fn get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.0\r\n\r\n").expect("write");
    let mut b = String::new();
    s.read_to_string(&mut b).expect("read");
    b.split_once("\r\n\r\n")
        .map_or(b.clone(), |(_, body)| body.to_string())
}

/// Spawns `serve` (its stdout piped) and returns it with the address it
/// prints once bound.
pub fn spawn_serve(cmd: &mut std::process::Command) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = cmd
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("serve");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = lines
        .find_map(|l| {
            l.ok()?
                .strip_prefix("Serving metrics at http://")
                .and_then(|a| a.strip_suffix("/metrics"))
                .map(str::to_string)
        })
        .expect("serve prints its address");
    (child, addr)
}
