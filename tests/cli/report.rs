//! `migrate source` + fixture rows + `report --format json` give the
//! numbers computed by hand in this file's comments.

use serde_json::Value;

use crate::helpers::{TestDb, assert_null, assert_num, fixture, run};

const FROM: &str = "2026-01-05T00:00:00Z";
const TO: &str = "2026-01-12T00:00:00Z";

async fn load_fixture(db: &TestDb) {
    db.load_fixture("small_helpdesk.sql").await;
}

fn report(db: &TestDb, extra: &[&str]) -> Value {
    report_between(db, FROM, TO, extra)
}

/// `report --format json` of `[from, to)` on the fixture's configuration.
fn report_between(db: &TestDb, from: &str, to: &str, extra: &[&str]) -> Value {
    let config = fixture("small_helpdesk.toml");
    let config = config.to_str().expect("utf-8 path");
    let mut args = vec![
        "--config", config, "report", "--from", from, "--to", to, "--format", "json",
    ];
    args.extend_from_slice(extra);
    let r = run(
        db.dir.path(),
        &args,
        &[("SUPPORT_METRICS__SOURCE__URL", &db.url)],
    );
    assert!(r.ok, "report failed: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

/// The hand-computed numbers of tests/fixtures/small_helpdesk.sql.
fn check_overall(v: &Value) {
    let o = "/overall";
    // Created in the period: tickets 1, 2, 3, 5 (4 is spam, 6 was created before).
    assert_num(v, &format!("{o}/tickets_created"), 4.0);
    // Solve events: ticket 1 twice (reopened), 2, and 3 (closed from new).
    assert_num(v, &format!("{o}/tickets_solved"), 4.0);
    // First responses: 1 → 1800 s (the bot at 30 s does not count), 2 → 3000 s,
    // 6 → 43200 s (created before the period, answered in it). Ticket 3 is
    // agent-initiated: none. p90 of [1800, 3000, 43200]: 3000 + 0.8 × 40200.
    assert_num(v, &format!("{o}/first_response_seconds/count"), 3.0);
    assert_num(v, &format!("{o}/first_response_seconds/mean"), 16000.0);
    assert_num(v, &format!("{o}/first_response_seconds/p50"), 3000.0);
    assert_num(v, &format!("{o}/first_response_seconds/p90"), 35160.0);
    // Business: default calendar UTC 09-17 weekdays; team tech uses Paris
    // 09-18 (08-17 UTC in winter). 1 → 1800; 2 (tech) → 3000; 6 → Sunday
    // 20:00 to Monday 08:00 UTC is closed → 0. p90 of [0, 1800, 3000] = 2760.
    assert_num(
        v,
        &format!("{o}/first_response_business_seconds/mean"),
        1600.0,
    );
    assert_num(
        v,
        &format!("{o}/first_response_business_seconds/p50"),
        1800.0,
    );
    assert_num(
        v,
        &format!("{o}/first_response_business_seconds/p90"),
        2760.0,
    );
    // First resolution: 1 → 3600, 2 → 3600, 3 → 7200.
    assert_num(v, &format!("{o}/first_resolution_seconds/count"), 3.0);
    assert_num(v, &format!("{o}/first_resolution_seconds/p90"), 6480.0);
    // Full resolution at every solve: [3600, 3600, 7200, 14400].
    assert_num(v, &format!("{o}/full_resolution_seconds/count"), 4.0);
    assert_num(v, &format!("{o}/full_resolution_seconds/mean"), 7200.0);
    assert_num(v, &format!("{o}/full_resolution_seconds/p50"), 5400.0);
    assert_num(v, &format!("{o}/full_resolution_seconds/p90"), 12240.0);
    // Interactions at the solves [2, 4, 2, 2]; replies [1, 2, 1, 1].
    assert_num(v, &format!("{o}/interactions/mean"), 2.5);
    assert_num(v, &format!("{o}/interactions/p90"), 3.4);
    assert_num(v, &format!("{o}/replies/mean"), 1.25);
    // One re-route (ticket 2, frontline → tech) of 4 solve events.
    assert_num(v, &format!("{o}/reroutes/total"), 1.0);
    assert_num(v, &format!("{o}/reroutes/tickets"), 1.0);
    assert_num(v, &format!("{o}/reroutes/rate"), 0.25);
    assert_num(v, &format!("{o}/reopens/total"), 1.0);
    assert_num(v, &format!("{o}/reopens/tickets"), 1.0);
    assert_num(v, &format!("{o}/reopens/rate"), 0.25);
    // One-touch: ticket 1's first solve, 2 and 3.
    assert_num(v, &format!("{o}/one_touch/tickets"), 3.0);
    assert_num(v, &format!("{o}/one_touch/rate"), 0.75);
    // CSAT 4, 3, 5 (spam's 1 ignored, the 6 rejected, the 5 after the period out).
    assert_num(v, &format!("{o}/csat/responses"), 3.0);
    assert_num(v, &format!("{o}/csat/satisfied"), 2.0);
    assert_num(v, &format!("{o}/csat/ratio"), 2.0 / 3.0);
    // NPS 9, 6, 7: one of each class → 0.
    assert_num(v, &format!("{o}/nps/promoters"), 1.0);
    assert_num(v, &format!("{o}/nps/passives"), 1.0);
    assert_num(v, &format!("{o}/nps/detractors"), 1.0);
    assert_num(v, &format!("{o}/nps/score"), 0.0);
    // CES 2 and 5.
    assert_num(v, &format!("{o}/ces/mean"), 3.5);
    assert_num(v, &format!("{o}/ces/low_effort_ratio"), 0.5);
    // eNPS 10 and 5 → 0; Likert 4 and 2 → 75 and 25 → 50.
    assert_num(v, &format!("{o}/enps/responses"), 2.0);
    assert_num(v, &format!("{o}/enps/score"), 0.0);
    assert_num(v, &format!("{o}/engagement/index"), 50.0);
    // Backlog at the period's end: 5 (new, unanswered for 3 d 15 h) and 6 (pending).
    assert_num(v, &format!("{o}/backlog/tickets"), 2.0);
    assert_num(v, &format!("{o}/backlog/by_status/new"), 1.0);
    assert_num(v, &format!("{o}/backlog/by_status/pending"), 1.0);
    assert_num(v, &format!("{o}/backlog/awaiting_first_response"), 1.0);
    assert_num(
        v,
        &format!("{o}/backlog/oldest_awaiting_first_response_seconds"),
        313_200.0,
    );
    // SLO 40 business minutes: 2 breaches (3000 s), 1 and 6 do not; 5 is an
    // active breach (16 business hours by the period's end).
    assert_num(v, &format!("{o}/slo/0/measured"), 3.0);
    assert_num(v, &format!("{o}/slo/0/breached"), 1.0);
    assert_num(v, &format!("{o}/slo/0/active_breaches"), 1.0);
    // SERVQUAL, E → P per dimension: tangibles (6 + 7) / 2 = 6.5 → 5, gap
    // −1.5; reliability 7 → (4 + 5 + 6) / 3 = 5, −2; responsiveness 5 → 6,
    // +1; assurance 6 → 6, 0; empathy 6 → 4, −2 (q14 has no question, q15
    // no dimension: rejected; q16 is after the period).
    let sq = format!("{o}/servqual");
    for (d, e, p, gap, n) in [
        ("tangibles", 6.5, 5.0, -1.5, 3.0),
        ("reliability", 7.0, 5.0, -2.0, 4.0),
        ("responsiveness", 5.0, 6.0, 1.0, 2.0),
        ("assurance", 6.0, 6.0, 0.0, 2.0),
        ("empathy", 6.0, 4.0, -2.0, 2.0),
    ] {
        assert_num(v, &format!("{sq}/dimensions/{d}/expectation"), e);
        assert_num(v, &format!("{sq}/dimensions/{d}/perception"), p);
        assert_num(v, &format!("{sq}/dimensions/{d}/gap"), gap);
        assert_num(v, &format!("{sq}/dimensions/{d}/responses"), n);
    }
    // (−1.5 − 2 + 1 + 0 − 2) / 5 = −0.9; weighted 10/30/30/20/10 %:
    // −0.15 − 0.6 + 0.3 + 0 − 0.2 = −0.65.
    assert_num(v, &format!("{sq}/score"), -0.9);
    assert_num(v, &format!("{sq}/weighted_score"), -0.65);
    // Rejected rows are counted by relation and reason.
    let rejected = v["rejected"].as_array().expect("rejected list");
    let mut got: Vec<(String, String, u64)> = rejected
        .iter()
        .map(|r| {
            (
                r["relation"].as_str().unwrap_or_default().to_string(),
                r["reason"].as_str().unwrap_or_default().to_string(),
                r["count"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("events".into(), "event_before_creation".into(), 1),
            ("events".into(), "unknown_kind".into(), 1),
            ("surveys".into(), "null_question".into(), 1),
            ("surveys".into(), "score_out_of_range".into(), 1),
            ("surveys".into(), "unknown_servqual_dimension".into(), 1),
        ]
    );
}

fn check_by_team(v: &Value) {
    // Creation is attributed to the team at creation; ticket 2 starts in frontline.
    assert_num(v, "/groups/billing/tickets_created", 3.0);
    assert_num(v, "/groups/frontline/tickets_created", 1.0);
    // Its reply, solve and re-route belong to tech, the team at those events.
    assert_num(v, "/groups/tech/first_response_seconds/count", 1.0);
    assert_num(v, "/groups/tech/reroutes/total", 1.0);
    assert_num(v, "/groups/tech/csat/ratio", 0.0);
    assert_num(v, "/groups/frontline/tickets_solved", 0.0);
    // Absent data is null, never 0.
    assert_null(v, "/groups/frontline/first_response_seconds/mean");
    assert_null(v, "/groups/frontline/csat/ratio");
    assert_null(v, "/groups/frontline/reopens/rate");
    // Relationship NPS has no team.
    assert_num(v, "/groups/unassigned/nps/score", 0.0);
    assert_num(v, "/groups/billing/engagement/index", 50.0);
}

/// The fixture's hand-computed numbers, overall and by team, on `db`.
async fn check_hand_computed(db: Option<TestDb>) {
    let Some(db) = db else {
        return;
    };
    load_fixture(&db).await;
    check_overall(&report(&db, &[]));
    check_by_team(&report(&db, &["--by", "team"]));
    db.cleanup().await;
}

#[tokio::test]
async fn report_on_sqlite_gives_the_hand_computed_numbers() {
    check_hand_computed(Some(TestDb::sqlite())).await;
}

#[tokio::test]
async fn report_on_postgres_gives_the_hand_computed_numbers() {
    check_hand_computed(TestDb::postgres("report").await).await;
}

#[tokio::test]
async fn report_on_mariadb_gives_the_hand_computed_numbers() {
    check_hand_computed(TestDb::mysql("report").await).await;
}

/// The same fixture gives the identical report JSON, byte for byte, on
/// SQLite, PostgreSQL and MariaDB.
#[tokio::test]
async fn the_report_is_identical_on_sqlite_postgres_and_mariadb() {
    let sqlite = TestDb::sqlite();
    load_fixture(&sqlite).await;
    let (Some(pg), Some(my)) = (
        TestDb::postgres("identical").await,
        TestDb::mysql("identical").await,
    ) else {
        return;
    };
    load_fixture(&pg).await;
    load_fixture(&my).await;
    for by in [
        None,
        Some("team"),
        Some("channel"),
        Some("priority"),
        Some("category"),
    ] {
        let extra: Vec<&str> = by.map(|b| vec!["--by", b]).unwrap_or_default();
        let want = report(&sqlite, &extra);
        assert_eq!(report(&pg, &extra), want, "PostgreSQL, by {by:?}");
        assert_eq!(report(&my, &extra), want, "MariaDB, by {by:?}");
    }
    pg.cleanup().await;
    my.cleanup().await;
}

#[tokio::test]
async fn table_and_csv_formats_show_the_same_numbers() {
    let db = TestDb::sqlite();
    load_fixture(&db).await;
    let config = fixture("small_helpdesk.toml");
    let config = config.to_str().expect("utf-8");
    let env = [("SUPPORT_METRICS__SOURCE__URL", db.url.as_str())];
    let table = run(
        db.dir.path(),
        &[
            "--config", config, "report", "--from", FROM, "--to", TO, "--by", "channel",
        ],
        &env,
    );
    assert!(table.ok, "{}", table.stderr);
    // Humanised: p50 / p90 of first response is 50m 00s / 9h 46m (35160 s).
    assert!(
        table.stdout.contains("50m 00s / 9h 46m"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("66.7% (2/3)"), "{}", table.stdout);
    assert!(
        table.stdout.contains("Skipped 5 row(s)"),
        "{}",
        table.stdout
    );
    // SERVQUAL: score and weighted score (13 answers), a gap with E → P.
    let line = |label: &str| {
        table
            .stdout
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} row in {}", table.stdout))
            .to_string()
    };
    assert!(
        line("SERVQUAL score, weighted").contains("-0.90, -0.65 (13)"),
        "{}",
        table.stdout
    );
    assert!(
        line("  reliability gap (E → P)").contains("-2.00 (7.00 → 5.00)"),
        "{}",
        table.stdout
    );
    let csv = run(
        db.dir.path(),
        &[
            "--config", config, "report", "--from", FROM, "--to", TO, "--by", "channel",
            "--format", "csv",
        ],
        &env,
    );
    assert!(csv.ok, "{}", csv.stderr);
    let lines: Vec<&str> = csv.stdout.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let overall: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(overall[0], "overall");
    assert_eq!(overall[col("tickets_created")], "4");
    assert_eq!(overall[col("first_response_seconds_p90")], "35160.0");
    let chat = lines
        .iter()
        .find(|l| l.starts_with("chat,"))
        .expect("a chat row");
    let chat: Vec<&str> = chat.split(',').collect();
    assert_eq!(chat[col("reroutes_total")], "1");
    // Null is an empty cell.
    let phone: Vec<&str> = lines
        .iter()
        .find(|l| l.starts_with("phone,"))
        .expect("phone")
        .split(',')
        .collect();
    assert_eq!(phone[col("first_response_seconds_mean")], "");
    // SERVQUAL's columns are there for every group, empty without answers.
    assert_eq!(overall[col("servqual_dimensions_reliability_gap")], "-2.0");
    assert_eq!(overall[col("servqual_weighted_score")], "-0.65");
    assert_eq!(phone[col("servqual_dimensions_reliability_gap")], "");
    assert_eq!(phone[col("servqual_score")], "");
}

/// A period starting after ticket 1 was solved (13:00) and last changed:
/// the ticket itself is not active in it, but its CSAT (s1, 4 at 14:00) and
/// CES (s8, 2 at 14:05) answers are, and count under its team, billing.
/// With s2 (3, tech) and s3 (5, billing): CSAT 3 answers, 2 satisfied.
async fn answers_about_inactive_tickets_count(db: Option<TestDb>) {
    let Some(db) = db else {
        return;
    };
    load_fixture(&db).await;
    let v = report_between(&db, "2026-01-05T13:30:00Z", TO, &["--by", "team"]);
    assert_num(&v, "/overall/csat/responses", 3.0);
    assert_num(&v, "/overall/csat/satisfied", 2.0);
    assert_num(&v, "/groups/billing/csat/responses", 2.0);
    assert_num(&v, "/groups/billing/csat/satisfied", 2.0);
    assert_num(&v, "/overall/ces/responses", 2.0);
    // Ticket 1 was solved (twice) before the period; only ticket 3 is in it.
    assert_num(&v, "/groups/billing/tickets_solved", 1.0);
    db.cleanup().await;
}

#[tokio::test]
async fn answers_about_inactive_tickets_count_sqlite() {
    answers_about_inactive_tickets_count(Some(TestDb::sqlite())).await;
}

#[tokio::test]
async fn answers_about_inactive_tickets_count_postgres() {
    answers_about_inactive_tickets_count(TestDb::postgres("inactive").await).await;
}

#[tokio::test]
async fn answers_about_inactive_tickets_count_mariadb() {
    answers_about_inactive_tickets_count(TestDb::mysql("inactive").await).await;
}

/// Bytes that are not UTF-8 in a text column, a megabyte-long comment and a
/// category full of markup: the bad row is rejected by name, the rest is
/// counted as usual (SQLite stores such bytes; PostgreSQL refuses them).
#[tokio::test]
async fn invalid_utf8_and_huge_values_are_handled() {
    let db = TestDb::sqlite();
    load_fixture(&db).await;
    let huge = "very slow ".repeat(100_000);
    db.execute(&format!(
        "INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score, comment) VALUES \
         ('bad-bytes', '2', '2026-01-06T12:30:00Z', 'csat', 2, CAST(X'C328FF' AS TEXT)), \
         ('huge', '3', '2026-01-07T11:30:00Z', 'csat', 1, '{huge}');"
    ))
    .await;
    let v = report(&db, &[]);
    // 4, 3, 5 as in the fixture, plus the huge comment's 1.
    assert_num(&v, "/overall/csat/responses", 4.0);
    let rejected = v["rejected"].as_array().expect("rejected list");
    assert!(
        rejected
            .iter()
            .any(|r| r["relation"] == "surveys" && r["reason"] == "bad_text" && r["count"] == 1),
        "{rejected:?}"
    );
}

/// `--by agent` and `--by hour` (DESIGN.md §3 "People") on the fixture with
/// two assignees added: a1 takes ticket 1 with its first assignment (Mon
/// 09:00, so its creation is a1's too), a2 takes ticket 2 with its re-route
/// to tech (Tue 10:20, after its creation). Hours of week are read in
/// `schedule.timezone` = Europe/Paris (UTC+1 in January).
#[tokio::test]
async fn report_by_agent_and_by_hour_of_week() {
    let db = TestDb::sqlite();
    load_fixture(&db).await;
    db.execute(
        "UPDATE support_ticket_events SET agent_id = 'a1' WHERE id = 2;
         UPDATE support_ticket_events SET agent_id = 'a2' WHERE id = 12;",
    )
    .await;
    let v = report(&db, &["--by", "agent"]);
    let g = "/groups";
    // a1: ticket 1's creation, both its solves, its first response (1800 s),
    // its reopen and its CSAT (4: satisfied).
    assert_num(&v, &format!("{g}/a1/tickets_created"), 1.0);
    assert_num(&v, &format!("{g}/a1/tickets_solved"), 2.0);
    assert_num(&v, &format!("{g}/a1/first_response_seconds/mean"), 1800.0);
    assert_num(&v, &format!("{g}/a1/reopens/total"), 1.0);
    assert_num(&v, &format!("{g}/a1/csat/satisfied"), 1.0);
    // a2: ticket 2 from the re-route on — created unassigned, its re-route
    // (the event that assigned a2), first response 3000 s, solve, CSAT 3.
    assert_num(&v, &format!("{g}/a2/tickets_created"), 0.0);
    assert_num(&v, &format!("{g}/a2/reroutes/total"), 1.0);
    assert_num(&v, &format!("{g}/a2/first_response_seconds/mean"), 3000.0);
    assert_num(&v, &format!("{g}/a2/tickets_solved"), 1.0);
    assert_num(&v, &format!("{g}/a2/csat/responses"), 1.0);
    assert_num(&v, &format!("{g}/a2/csat/satisfied"), 0.0);
    // Nobody assigned: tickets 2, 3, 5 created; 3 closed; 6's first
    // response (43200 s); the backlog (5 new, 6 pending).
    assert_num(&v, &format!("{g}/unassigned/tickets_created"), 3.0);
    assert_num(&v, &format!("{g}/unassigned/tickets_solved"), 1.0);
    assert_num(
        &v,
        &format!("{g}/unassigned/first_response_seconds/mean"),
        43200.0,
    );
    assert_num(&v, &format!("{g}/unassigned/backlog/tickets"), 2.0);

    let config = fixture("small_helpdesk.toml");
    let mut text = std::fs::read_to_string(&config).expect("fixture config");
    text.push_str("\n[schedule]\ntimezone = \"Europe/Paris\"\n");
    let paris = db.dir.path().join("paris.toml");
    std::fs::write(&paris, text).expect("config");
    let r = run(
        db.dir.path(),
        &[
            "--config",
            paris.to_str().expect("utf-8"),
            "report",
            "--from",
            FROM,
            "--to",
            TO,
            "--format",
            "json",
            "--by",
            "hour",
        ],
        &[("SUPPORT_METRICS__SOURCE__URL", &db.url)],
    );
    assert!(r.ok, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    // Created Mon 09:00, Tue 10:00, Wed 08:00, Thu 09:00 UTC: 10, 11, 09
    // and 10 o'clock in Paris. Ticket 6 (Sun 20:00 UTC, 21:00 in Paris)
    // was created before the period; its first response counts under its
    // creation's hour.
    for (hour, created) in [
        ("mon 10", 1.0),
        ("tue 11", 1.0),
        ("wed 09", 1.0),
        ("thu 10", 1.0),
    ] {
        assert_num(&v, &format!("{g}/{hour}/tickets_created"), created);
    }
    assert_num(&v, &format!("{g}/sun 21/tickets_created"), 0.0);
    assert_num(
        &v,
        &format!("{g}/sun 21/first_response_seconds/mean"),
        43200.0,
    );
    let hours: Vec<&String> = v["groups"]
        .as_object()
        .expect("groups")
        .keys()
        .filter(|k| *k != "none")
        .collect();
    assert_eq!(hours, ["mon 10", "sun 21", "thu 10", "tue 11", "wed 09"]);
    db.cleanup().await;
}

/// The staff of the fixture's week [2026-01-05, 2026-01-12), UTC:
/// a1 (billing, since 2025-10-01: 96 days on the 5th, established), a2
/// (tech, since 2025-12-01: 36 days on the 6th, new), a3 (billing, left on
/// the 7th), a4 (tech, joined on the 9th), a5 (frontline, left in
/// December); a6 and a7 break the contract. Headcount-days: a1 7, a2 7,
/// a3 3 (5th–7th), a4 3 (9th–11th): 20, mean 20/7; one leaver: turnover
/// 7/20 = 0.35. On the 11th: a1 102 days, a2 41, a4 2: median 41.
const AGENTS: &str = "
INSERT INTO support_agents (agent_id, team, started_on, left_on) VALUES
 ('a1', 'billing',   '2025-10-01', NULL),
 ('a2', 'tech',      '2025-12-01', NULL),
 ('a3', 'billing',   '2024-05-01', '2026-01-07'),
 ('a4', 'tech',      '2026-01-09', NULL),
 ('a5', 'frontline', '2020-01-01', '2025-12-31'),
 ('a6', 'tech',      '2026-01-10', '2026-01-02'),
 ('a7', 'tech',      'someday',    NULL);
UPDATE support_ticket_events SET agent_id = 'a1' WHERE id = 2;
UPDATE support_ticket_events SET agent_id = 'a2' WHERE id = 12;
";

#[tokio::test]
async fn report_people_turnover_tenure_and_by_tenure() {
    let db = TestDb::sqlite();
    load_fixture(&db).await;
    // Without staff: people is null, and --by tenure says what it needs.
    let v = report(&db, &[]);
    assert_null(&v, "/overall/people");
    let config = fixture("small_helpdesk.toml");
    let env = [("SUPPORT_METRICS__SOURCE__URL", db.url.as_str())];
    let args = [
        "--config",
        config.to_str().expect("utf-8"),
        "report",
        "--from",
        FROM,
        "--to",
        TO,
        "--by",
        "tenure",
    ];
    let r = run(db.dir.path(), &args, &env);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("support_agents") && r.stderr.contains("--by tenure"),
        "{}",
        r.stderr
    );

    db.execute(AGENTS).await;
    let v = report(&db, &["--by", "team"]);
    let o = "/overall/people";
    assert_num(&v, &format!("{o}/agents"), 3.0);
    assert_num(&v, &format!("{o}/leavers"), 1.0);
    assert_num(&v, &format!("{o}/turnover"), 0.35);
    assert_num(&v, &format!("{o}/median_tenure_days"), 41.0);
    // billing: a1 7 days + a3 3, a3 left: 7/10; a1 102 days on the 11th.
    assert_num(&v, "/groups/billing/people/turnover", 0.7);
    assert_num(&v, "/groups/billing/people/agents", 1.0);
    assert_num(&v, "/groups/billing/people/median_tenure_days", 102.0);
    // tech: a2 and a4 (41 and 2 days), nobody left.
    assert_num(&v, "/groups/tech/people/turnover", 0.0);
    assert_num(&v, "/groups/tech/people/median_tenure_days", 21.5);
    // frontline: a5 left before the week: nobody to divide by.
    assert_num(&v, "/groups/frontline/people/agents", 0.0);
    assert_null(&v, "/groups/frontline/people/turnover");
    assert_null(&v, "/groups/frontline/people/median_tenure_days");
    let rejected: Vec<(String, String)> = v["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .filter(|r| r["relation"] == "agents")
        .map(|r| {
            (
                r["reason"].as_str().unwrap_or_default().to_string(),
                r["count"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [
            ("bad_date".to_string(), "1".to_string()),
            ("left_before_start".to_string(), "1".to_string())
        ]
    );
    // The digest reads the staff too, and says what it skipped.
    let preview = db.dir.path().join("preview");
    let week = [
        "--config",
        config.to_str().expect("utf-8"),
        "digest",
        "--week",
        "2026-W02",
        "--preview",
        preview.to_str().expect("utf-8"),
    ];
    let d = run(db.dir.path(), &week, &env);
    assert!(d.ok, "{}", d.stderr);
    assert!(
        d.stderr.contains("agents/bad_date 1") && d.stderr.contains("agents/left_before_start 1"),
        "{}",
        d.stderr
    );

    // By tenure: a1's tickets (established) and a2's (new), as --by agent
    // counts them per agent.
    let v = report(&db, &["--by", "tenure"]);
    let g = "/groups";
    assert_num(&v, &format!("{g}/established/tickets_solved"), 2.0);
    assert_num(
        &v,
        &format!("{g}/established/first_response_seconds/mean"),
        1800.0,
    );
    assert_num(&v, &format!("{g}/established/csat/satisfied"), 1.0);
    assert_num(&v, &format!("{g}/new/first_response_seconds/mean"), 3000.0);
    assert_num(&v, &format!("{g}/new/tickets_solved"), 1.0);
    assert_num(&v, &format!("{g}/new/csat/responses"), 1.0);
    assert_num(&v, &format!("{g}/new/csat/satisfied"), 0.0);
    assert_num(&v, &format!("{g}/unassigned/tickets_created"), 3.0);
    let groups: Vec<&String> = v["groups"].as_object().expect("groups").keys().collect();
    assert!(
        groups
            .iter()
            .all(|k| ["established", "new", "unassigned", "none"].contains(&k.as_str())),
        "{groups:?}"
    );
    db.cleanup().await;
}
