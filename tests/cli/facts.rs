//! Ticket facts (`support_ticket_facts`, DESIGN.md §5) as `collect` writes
//! them into the state store, on SQLite, PostgreSQL and MariaDB: each of the
//! fixture's tickets has its hand-computed values, deleted and spam tickets
//! are left out, the requester is a keyed hash, and the facts agree with
//! `report` over the same data.

use std::collections::BTreeMap;

use serde_json::Value;
use sqlx::Row;
use support_metrics::collect::{self, Live};
use support_metrics::config::Settings;
use support_metrics::source::{Access, Source};
use support_metrics::state::StateStore;

use crate::exporter::{ALL_TIME, report_of};
use crate::helpers::{TestDb, fixture_config};

const SALT: &str = "a-test-salt-of-some-length";

/// The source, state store and a first collection's memory for `settings`.
async fn collector(settings: &Settings) -> (Source, StateStore, Live) {
    let source = Source::connect(&settings.source, Access::ReadOnly)
        .await
        .expect("source");
    let store = StateStore::open(&settings.state).await.expect("state");
    let live = Live::from_loaded(store.load().await.expect("load"), settings);
    (source, store, live)
}

/// One ticket's facts, as the view shows them (instants in unix seconds).
#[derive(Debug, Clone, PartialEq, Default)]
struct Fact {
    team: Option<String>,
    agent_id: Option<String>,
    status: String,
    category: Option<String>,
    first_response_seconds: Option<f64>,
    first_response_business_seconds: Option<f64>,
    first_resolution_seconds: Option<f64>,
    first_resolution_business_seconds: Option<f64>,
    solved_at: Option<i64>,
    full_resolution_seconds: Option<f64>,
    requester_wait_seconds: Option<f64>,
    agent_wait_seconds: Option<f64>,
    on_hold_seconds: Option<f64>,
    reopens: i64,
    reroutes: i64,
    reassignments: i64,
    interactions: i64,
    replies: i64,
    csat_score: Option<i64>,
    customer_confirmed: Option<i64>,
    slo_breached: String,
}

/// An RFC 3339 instant.
fn instant(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&chrono::Utc)
}

/// Unix seconds of an RFC 3339 instant.
fn unix(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .timestamp()
}

/// The fixture's facts, by hand (calendars: UTC 09–17 on weekdays, `tech`
/// on Paris 09–18; SLOs `frt_all` 40 business minutes, `res_paused` 1 day
/// paused while pending).
fn expected() -> BTreeMap<String, Fact> {
    let h = 3600.0;
    let mut m = BTreeMap::new();
    // Mon 09:00: answered 09:30, solved 10:00, reopened by the customer's
    // 11:00 message, answered 12:00, solved 13:00. Requester wait up to the
    // last solve: new 0.5 h + open 0.5 h + open 11:00–13:00 = 3 h. The
    // event before the creation and the `like` are rejected; the
    // out-of-range CSAT (6) too, so s1's 4 holds.
    m.insert(
        "1".into(),
        Fact {
            team: Some("billing".into()),
            status: "solved".into(),
            category: Some("billing".into()),
            first_response_seconds: Some(1800.0),
            first_response_business_seconds: Some(1800.0),
            first_resolution_seconds: Some(h),
            first_resolution_business_seconds: Some(h),
            solved_at: Some(unix("2026-01-05T13:00:00Z")),
            full_resolution_seconds: Some(4.0 * h),
            requester_wait_seconds: Some(3.0 * h),
            agent_wait_seconds: Some(0.0),
            on_hold_seconds: Some(0.0),
            reopens: 1,
            interactions: 4,
            replies: 2,
            csat_score: Some(4),
            customer_confirmed: Some(0),
            ..Fact::default()
        },
    );
    // Tue 10:00 to frontline, re-routed to tech at 10:20, answered 10:50
    // (50 min, all inside Paris hours: a frt_all breach), solved 11:00; the
    // later CSAT (5, a week after) replaces the first (3).
    m.insert(
        "2".into(),
        Fact {
            team: Some("tech".into()),
            status: "solved".into(),
            category: Some("login".into()),
            first_response_seconds: Some(3000.0),
            first_response_business_seconds: Some(3000.0),
            first_resolution_seconds: Some(h),
            first_resolution_business_seconds: Some(h),
            solved_at: Some(unix("2026-01-06T11:00:00Z")),
            full_resolution_seconds: Some(h),
            requester_wait_seconds: Some(h),
            agent_wait_seconds: Some(0.0),
            on_hold_seconds: Some(0.0),
            reroutes: 1,
            interactions: 2,
            replies: 1,
            csat_score: Some(5),
            customer_confirmed: Some(0),
            slo_breached: "frt_all".into(),
            ..Fact::default()
        },
    );
    // Agent-initiated Wed 08:00 (no first response), closed 10:00: 2 h, one
    // of them in office hours.
    m.insert(
        "3".into(),
        Fact {
            team: Some("billing".into()),
            status: "closed".into(),
            category: Some("billing".into()),
            first_resolution_seconds: Some(2.0 * h),
            first_resolution_business_seconds: Some(h),
            solved_at: Some(unix("2026-01-07T10:00:00Z")),
            full_resolution_seconds: Some(2.0 * h),
            requester_wait_seconds: Some(2.0 * h),
            agent_wait_seconds: Some(0.0),
            on_hold_seconds: Some(0.0),
            interactions: 2,
            replies: 1,
            csat_score: Some(5),
            customer_confirmed: Some(0),
            ..Fact::default()
        },
    );
    // New since Thu 01-08 and never answered: both running clocks are past
    // their targets by now.
    m.insert(
        "5".into(),
        Fact {
            team: Some("billing".into()),
            status: "new".into(),
            category: Some("refunds".into()),
            interactions: 1,
            slo_breached: "frt_all,res_paused".into(),
            ..Fact::default()
        },
    );
    // Sun 20:00, answered Mon 08:00 (12 h, none of it in office hours),
    // pending since: its paused resolution clock stopped at 12 h.
    m.insert(
        "6".into(),
        Fact {
            team: Some("billing".into()),
            status: "pending".into(),
            category: Some("shipping".into()),
            first_response_seconds: Some(12.0 * h),
            first_response_business_seconds: Some(0.0),
            interactions: 2,
            replies: 1,
            ..Fact::default()
        },
    );
    m
}

const COLUMNS: &str = "ticket_id, team, agent_id, status, category, first_response_seconds, \
     first_response_business_seconds, first_resolution_seconds, first_resolution_business_seconds, \
     solved_at, full_resolution_seconds, requester_wait_seconds, agent_wait_seconds, on_hold_seconds, \
     reopens, reroutes, reassignments, interactions, replies, csat_score, customer_confirmed, \
     slo_breached, requester_hash, updated_at, created_at";

/// The view's rows by ticket id, with each row's requester hash, and its
/// `updated_at` and `created_at`.
type ReadBack = BTreeMap<String, (Fact, Option<String>, i64, i64)>;

fn decode<R: Row>(r: &R) -> (String, (Fact, Option<String>, i64, i64))
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<f64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let int = |c: &str| r.try_get::<Option<i64>, _>(c).expect(c).unwrap_or(0);
    let f = Fact {
        team: r.try_get("team").expect("team"),
        agent_id: r.try_get("agent_id").expect("agent_id"),
        status: r.try_get("status").expect("status"),
        category: r.try_get("category").expect("category"),
        first_response_seconds: r.try_get("first_response_seconds").expect("frs"),
        first_response_business_seconds: r.try_get("first_response_business_seconds").expect("frb"),
        first_resolution_seconds: r.try_get("first_resolution_seconds").expect("fres"),
        first_resolution_business_seconds: r
            .try_get("first_resolution_business_seconds")
            .expect("fresb"),
        solved_at: r.try_get("solved_at").expect("solved_at"),
        full_resolution_seconds: r.try_get("full_resolution_seconds").expect("full"),
        requester_wait_seconds: r.try_get("requester_wait_seconds").expect("rw"),
        agent_wait_seconds: r.try_get("agent_wait_seconds").expect("aw"),
        on_hold_seconds: r.try_get("on_hold_seconds").expect("oh"),
        reopens: int("reopens"),
        reroutes: int("reroutes"),
        reassignments: int("reassignments"),
        interactions: int("interactions"),
        replies: int("replies"),
        csat_score: r.try_get("csat_score").expect("csat"),
        customer_confirmed: r.try_get("customer_confirmed").expect("confirmed"),
        slo_breached: r
            .try_get::<Option<String>, _>("slo_breached")
            .expect("slo_breached")
            .unwrap_or_default(),
    };
    let id: String = r.try_get("ticket_id").expect("ticket_id");
    let hash = r.try_get("requester_hash").expect("requester_hash");
    (id, (f, hash, int("updated_at"), int("created_at")))
}

/// Every row of `support_ticket_facts` in the store at `url`.
async fn read_facts(url: &str) -> ReadBack {
    let sql = format!("SELECT {COLUMNS} FROM support_ticket_facts");
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.expect("pg");
        // PostgreSQL's integer columns are narrower than i64: cast them.
        let sql = "SELECT ticket_id, team, agent_id, status, category, first_response_seconds, \
             first_response_business_seconds, first_resolution_seconds, \
             first_resolution_business_seconds, solved_at, full_resolution_seconds, \
             requester_wait_seconds, agent_wait_seconds, on_hold_seconds, reopens::bigint AS reopens, \
             reroutes::bigint AS reroutes, reassignments::bigint AS reassignments, \
             interactions::bigint AS interactions, replies::bigint AS replies, \
             csat_score::bigint AS csat_score, customer_confirmed::bigint AS customer_confirmed, \
             slo_breached, requester_hash, updated_at, created_at FROM support_ticket_facts";
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(&pool)
            .await
            .expect("facts");
        return rows.iter().map(decode).collect();
    }
    if url.starts_with("mysql") {
        let pool = sqlx::MySqlPool::connect(url).await.expect("mysql");
        let sql = sql
            .replace("reopens,", "CAST(reopens AS SIGNED) AS reopens,")
            .replace("reroutes,", "CAST(reroutes AS SIGNED) AS reroutes,")
            .replace(
                "reassignments,",
                "CAST(reassignments AS SIGNED) AS reassignments,",
            )
            .replace(
                "interactions,",
                "CAST(interactions AS SIGNED) AS interactions,",
            )
            .replace("replies,", "CAST(replies AS SIGNED) AS replies,")
            .replace("csat_score,", "CAST(csat_score AS SIGNED) AS csat_score,")
            .replace(
                "customer_confirmed,",
                "CAST(customer_confirmed AS SIGNED) AS customer_confirmed,",
            )
            .replace("updated_at,", "CAST(updated_at AS SIGNED) AS updated_at,")
            .replace(
                "created_at FROM",
                "CAST(created_at AS SIGNED) AS created_at FROM",
            )
            .replace(" solved_at,", " CAST(solved_at AS SIGNED) AS solved_at,");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&pool)
            .await
            .expect("facts");
        return rows.iter().map(decode).collect();
    }
    let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&pool)
        .await
        .expect("facts");
    rows.iter().map(decode).collect()
}

/// Backfills the fixture into the state store at `state_url`, then checks
/// the facts by hand and against `report`.
async fn facts_are_the_hand_computed_ones(db: TestDb, state_url: &str) {
    db.load_fixture("small_helpdesk.sql").await;
    let path = fixture_config(&db, state_url, "0 0 * * * *", "facts");
    // The salt, as SUPPORT_METRICS__STATE__REQUESTER_SALT would give it.
    let mut settings = Settings::load(Some(&path)).expect("settings");
    settings.state.requester_salt = Some(support_metrics::db::Password::new(SALT.into()));
    let (source, store, mut live) = collector(&settings).await;
    let now = chrono::Utc::now();
    collect::run(&source, &store, &settings, &mut live, now)
        .await
        .expect("backfill");

    let got = read_facts(state_url).await;
    let facts: BTreeMap<String, Fact> = got.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect();
    assert_eq!(facts, expected(), "{state_url}");
    // Unix seconds; every row written by this collection.
    assert_eq!(got["1"].3, unix("2026-01-05T09:00:00Z"));
    assert!(got.values().all(|v| v.2 == now.timestamp()), "{got:?}");
    // The requester is a keyed hash: stable, 32 hex digits, never the id,
    // and the same under the same key from this test's own HMAC.
    let key = support_metrics::state::requester::RequesterKey::new(
        &support_metrics::db::Password::new(SALT.into()),
    )
    .expect("key");
    assert_eq!(got["1"].1.as_deref(), Some(key.hash("c1").as_str()));
    let hashes: std::collections::BTreeSet<&str> =
        got.values().filter_map(|v| v.1.as_deref()).collect();
    assert_eq!(hashes.len(), got.len(), "one per requester: {hashes:?}");
    assert!(
        hashes
            .iter()
            .all(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit())),
        "{hashes:?}"
    );

    // The facts agree with `report` over all time: first responses, full
    // resolutions of tickets solved once, reopens and re-routes.
    let r: Value = report_of(&db, &path, &ALL_TIME, None);
    let overall = &r["overall"];
    let frs: Vec<f64> = facts
        .values()
        .filter_map(|f| f.first_response_seconds)
        .collect();
    assert_eq!(
        overall["first_response_seconds"]["count"].as_f64(),
        Some(frs.len() as f64)
    );
    let mean = frs.iter().sum::<f64>() / frs.len() as f64;
    let reported = overall["first_response_seconds"]["mean"]
        .as_f64()
        .expect("mean");
    assert!((reported - mean).abs() < 1e-6, "{reported} vs {mean}");
    let reopens: i64 = facts.values().map(|f| f.reopens).sum();
    assert_eq!(overall["reopens"]["total"].as_f64(), Some(reopens as f64));
    let reroutes: i64 = facts.values().map(|f| f.reroutes).sum();
    assert_eq!(overall["reroutes"]["total"].as_f64(), Some(reroutes as f64));
    let confirmed: usize = facts
        .values()
        .filter(|f| f.customer_confirmed == Some(1))
        .count();
    assert_eq!(
        overall["customer_confirmed"]["tickets"].as_f64(),
        Some(confirmed as f64)
    );
    db.cleanup().await;
}

#[tokio::test]
async fn facts_on_sqlite() {
    let db = TestDb::sqlite();
    let state = format!("sqlite://{}", db.dir.path().join("state.sqlite").display());
    facts_are_the_hand_computed_ones(db, &state).await;
}

#[tokio::test]
async fn facts_on_postgres() {
    let Some(db) = TestDb::postgres("facts").await else {
        return;
    };
    let Some(state) = TestDb::postgres("facts_state").await else {
        return;
    };
    facts_are_the_hand_computed_ones(db, &state.url).await;
    state.cleanup().await;
}

#[tokio::test]
async fn facts_on_mariadb() {
    let Some(db) = TestDb::mysql("facts").await else {
        return;
    };
    let Some(state) = TestDb::mysql("facts_state").await else {
        return;
    };
    facts_are_the_hand_computed_ones(db, &state.url).await;
    state.cleanup().await;
}

/// The facts in the store at `state_url` agree with the counters scraped in
/// `m` (one row per counted ticket, one first response per measured one,
/// reopens and re-routes summed) and, when `clean_url` is given, equal
/// those of an exporter that ran without trouble over the same data.
pub async fn assert_facts_agree(
    state_url: &str,
    m: &crate::helpers::Scrape,
    clean_url: Option<&str>,
) {
    let got = read_facts(state_url).await;
    let n = |f: &dyn Fn(&Fact) -> i64| got.values().map(|v| f(&v.0)).sum::<i64>() as f64;
    assert_eq!(
        got.len() as f64,
        m.sum("support_tickets_created_total", &[]),
        "{state_url}"
    );
    assert_eq!(
        n(&|f| i64::from(f.first_response_seconds.is_some())),
        m.sum("support_first_response_seconds_count", &[]),
        "{state_url}"
    );
    assert_eq!(
        n(&|f| f.reopens),
        m.sum("support_tickets_reopened_total", &[])
    );
    assert_eq!(
        n(&|f| f.reroutes),
        m.sum("support_ticket_reroutes_total", &[])
    );
    if let Some(clean) = clean_url {
        let strip = |r: ReadBack| -> BTreeMap<String, Fact> {
            r.into_iter().map(|(k, v)| (k, v.0)).collect()
        };
        assert_eq!(
            strip(got),
            strip(read_facts(clean).await),
            "{state_url} vs {clean}"
        );
    }
}

/// A long-running exporter keeps the facts current: a running clock that
/// passes its target with no new event is a breach in the facts at the
/// next collection; a ticket walked again without its survey keeps its
/// CSAT; its new reply updates its first response.
#[tokio::test]
async fn facts_follow_the_clock_and_new_events() {
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let state = format!("sqlite://{}", db.dir.path().join("state.sqlite").display());
    let path = fixture_config(&db, &state, "0 0 * * * *", "follow");
    let mut text = std::fs::read_to_string(&path).expect("config");
    text.push_str(
        "\n[[slo]]\nname = \"frt_1h\"\nmetric = \"first_response\"\nclock = \"calendar\"\ntarget = \"1h\"\n",
    );
    std::fs::write(&path, text).expect("config");
    let settings = Settings::load(Some(&path)).expect("settings");
    let (source, store, mut live) = collector(&settings).await;
    let now = chrono::Utc::now();
    let iso = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let created = iso(now - chrono::TimeDelta::minutes(30));
    db.execute(&format!(
        "INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, created_by, status, updated_at)
           VALUES ('7', '{created}', 'chat', 'low', NULL, 'c7', 'customer', 'new', '{created}');
         INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status)
           VALUES (100, '7', '{created}', 'message', 'customer', 'c7', NULL, NULL, NULL);"
    ))
    .await;
    collect::run(&source, &store, &settings, &mut live, now)
        .await
        .expect("backfill");
    let breached = |r: &ReadBack, id: &str| r[id].0.slo_breached.clone();
    let first = read_facts(&state).await;
    assert!(!breached(&first, "7").contains("frt_1h"), "30 min: not yet");

    // 45 minutes later, nothing new in the source: the clock passed 1 h.
    let later = now + chrono::TimeDelta::minutes(45);
    collect::run(&source, &store, &settings, &mut live, later)
        .await
        .expect("quiet run");
    let second = read_facts(&state).await;
    assert!(
        breached(&second, "7").contains("frt_1h"),
        "{:?}",
        second["7"]
    );
    assert_eq!(second["7"].2, later.timestamp(), "updated when it changed");
    assert_eq!(second["1"].2, now.timestamp(), "other rows untouched");

    // An agent answers ticket 7 and a note lands on ticket 1 (walked again,
    // without its CSAT answer, which was counted before).
    let at = iso(later + chrono::TimeDelta::minutes(5));
    db.execute(&format!(
        "INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status) VALUES
           (101, '7', '{at}', 'message', 'agent', 'a9', NULL, NULL, NULL),
           (102, '1', '{at}', 'note', 'agent', 'a1', NULL, NULL, NULL);
         UPDATE support_tickets SET updated_at = '{at}' WHERE id IN ('1', '7');"
    ))
    .await;
    let last = later + chrono::TimeDelta::minutes(6);
    collect::run(&source, &store, &settings, &mut live, last)
        .await
        .expect("incremental");
    let third = read_facts(&state).await;
    let seven = &third["7"].0;
    // 30 + 45 + 5 minutes = 80 min: a measured breach now.
    assert_eq!(seven.first_response_seconds, Some(80.0 * 60.0));
    assert!(seven.slo_breached.contains("frt_1h"), "{seven:?}");
    assert_eq!((seven.replies, seven.interactions), (1, 2));
    assert_eq!(third["1"].0.csat_score, Some(4), "kept without its answer");
    assert_eq!(third["1"].2, last.timestamp());

    // A newer answer about ticket 1 (2), then, late but within
    // source.late_arrival, an older one (5): the facts keep the newest.
    let (newer, older) = (
        iso(last + chrono::TimeDelta::minutes(2)),
        iso(last + chrono::TimeDelta::minutes(1)),
    );
    db.execute(&format!(
        "INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score, comment)
           VALUES ('s20', '1', '{newer}', 'csat', 2, NULL);"
    ))
    .await;
    let fourth_at = last + chrono::TimeDelta::minutes(3);
    collect::run(&source, &store, &settings, &mut live, fourth_at)
        .await
        .expect("newer answer");
    assert_eq!(read_facts(&state).await["1"].0.csat_score, Some(2));
    db.execute(&format!(
        "INSERT INTO support_survey_responses (id, ticket_id, responded_at, kind, score, comment)
           VALUES ('s21', '1', '{older}', 'csat', 5, NULL);"
    ))
    .await;
    collect::run(
        &source,
        &store,
        &settings,
        &mut live,
        fourth_at + chrono::TimeDelta::minutes(1),
    )
    .await
    .expect("late older answer");
    assert_eq!(
        read_facts(&state).await["1"].0.csat_score,
        Some(2),
        "a late older answer does not replace the newest"
    );
    db.cleanup().await;
}

/// A panel's SQL as Grafana sends it: the time range `[from, to]` in unix
/// seconds, the multi-valued variables quoted and comma-joined, the
/// category as an SQL string.
fn as_grafana_sends(
    sql: &str,
    from: i64,
    to: i64,
    vars: &[(&str, Vec<&str>)],
    category: &str,
) -> String {
    let mut out = sql.to_string();
    while let Some(i) = out.find("$__unixEpochFilter(") {
        let rest = &out[i + "$__unixEpochFilter(".len()..];
        let end = rest.find(')').expect("closing parenthesis");
        let col = rest[..end].to_string();
        out = format!(
            "{}{col} >= {from} AND {col} <= {to}{}",
            &out[..i],
            &rest[end + 1..]
        );
    }
    out = out.replace(
        "${category:sqlstring}",
        &format!("'{}'", category.replace('\'', "''")),
    );
    for (name, values) in vars {
        let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
        out = out.replace(&format!("${name}"), &quoted.join(","));
    }
    assert!(!out.contains('$'), "a variable left: {out}");
    out
}

/// One cell of a panel's result, whatever the backend's type.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Int(i64),
    Float(f64),
    Text(String),
    Other,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            other => panic!("not text: {other:?}"),
        }
    }
    fn int(&self) -> i64 {
        match self {
            Cell::Int(n) => *n,
            other => panic!("not an integer: {other:?}"),
        }
    }
    fn float(&self) -> f64 {
        match self {
            Cell::Float(f) => *f,
            Cell::Int(n) => *n as f64,
            other => panic!("not a number: {other:?}"),
        }
    }
}

/// Rows of `sql` on the state store at `url` (PostgreSQL or MySQL), each
/// cell decoded as the first type that fits.
async fn query_cells(url: &str, sql: &str) -> Vec<Vec<(String, Cell)>> {
    use sqlx::Column;
    // Connects with pool type `$pool`, runs the query, decodes each cell.
    macro_rules! cells {
        ($pool:ty) => {{
            let pool = <$pool>::connect(url).await.expect("state store");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .fetch_all(&pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            pool.close().await;
            rows.iter()
                .map(|r| {
                    r.columns()
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            let cell = if let Ok(v) = r.try_get::<i64, _>(i) {
                                Cell::Int(v)
                            } else if let Ok(v) = r.try_get::<i32, _>(i) {
                                Cell::Int(i64::from(v))
                            } else if let Ok(v) = r.try_get::<f64, _>(i) {
                                Cell::Float(v)
                            } else if let Ok(v) = r.try_get::<String, _>(i) {
                                Cell::Text(v)
                            } else {
                                Cell::Other
                            };
                            (c.name().to_string(), cell)
                        })
                        .collect()
                })
                .collect()
        }};
    }
    if url.starts_with("mysql:") {
        cells!(sqlx::MySqlPool)
    } else {
        cells!(sqlx::PgPool)
    }
}

/// The drill-down dashboard's SQL, in the state store's flavour, against a
/// real state store holding the fixture's facts (plus a ticket re-routed
/// twice): each panel returns the hand-computed rows, and the team and
/// category filters work.
async fn drill_down_reads_the_facts(state: TestDb, plugin: &str) {
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    // Friday 9 January 10:00 UTC: frontline → tech → billing, still open.
    db.execute(
        "INSERT INTO support_tickets (id, created_at, channel, priority, category, requester_id, created_by, status, updated_at)
           VALUES ('9', '2026-01-09T10:00:00Z', 'email', 'low', 'billing', 'c9', 'customer', 'open', '2026-01-09T10:20:00Z');
         INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status) VALUES
           (90, '9', '2026-01-09T10:00:00Z', 'message', 'customer', 'c9', NULL, NULL, NULL),
           (91, '9', '2026-01-09T10:00:00Z', 'assign', 'system', NULL, 'frontline', NULL, NULL),
           (92, '9', '2026-01-09T10:10:00Z', 'assign', 'system', NULL, 'tech', NULL, NULL),
           (93, '9', '2026-01-09T10:20:00Z', 'assign', 'system', NULL, 'billing', NULL, NULL),
           (94, '9', '2026-01-09T10:30:00Z', 'message', 'agent', 'a1', NULL, NULL, NULL);",
    )
    .await;
    let path = fixture_config(&db, &state.url, "0 0 * * * *", "drill");
    let settings = Settings::load(Some(&path)).expect("settings");
    let (source, store, mut live) = collector(&settings).await;
    collect::run(&source, &store, &settings, &mut live, chrono::Utc::now())
        .await
        .expect("backfill");

    let d = support_metrics::dashboards::tickets::dashboard(&settings, "test");
    let model = d.model();
    assert_eq!(model["panels"][0]["datasource"]["type"], plugin);
    // The team variable's own query lists the teams to choose from.
    let team_query = model["templating"]["list"][1]["query"]
        .as_str()
        .expect("team query");
    let teams: Vec<String> = query_cells(&state.url, team_query)
        .await
        .iter()
        .map(|r| r[0].1.text())
        .collect();
    assert_eq!(teams, ["billing", "tech"]);
    assert_eq!(
        model["templating"]["list"][2]["query"],
        "frt_all,res_paused"
    );

    let (from, to) = (unix("2026-01-04T00:00:00Z"), unix("2026-01-12T00:00:00Z"));
    let all_teams: Vec<&str> = teams.iter().map(String::as_str).collect();
    let url = state.url.clone();
    let rows = |panel: usize, teams: Vec<&str>, category: &str| {
        let sql = as_grafana_sends(
            model["panels"][panel]["targets"][0]["rawSql"]
                .as_str()
                .expect("sql"),
            from,
            to,
            &[("team", teams), ("slo", vec!["frt_all", "res_paused"])],
            category,
        );
        let url = url.clone();
        async move { query_cells(&url, &sql).await }
    };
    let field = |r: &[(String, Cell)], name: &str| -> Cell {
        r.iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no column {name} in {r:?}"))
            .1
            .clone()
    };

    // Breaches per SLO: ticket 2 (frt_all), ticket 5 (both), ticket 9
    // (answered in 30 business minutes, but open since January: res_paused).
    let per_slo = rows(0, all_teams.clone(), "").await;
    let got: Vec<(String, i64)> = per_slo
        .iter()
        .map(|r| (r[0].1.text(), r[1].1.int()))
        .collect();
    assert_eq!(
        got,
        [("frt_all".to_string(), 2), ("res_paused".to_string(), 2)]
    );
    // The breached tickets, newest first; by team and by category.
    let ids =
        |rs: &[Vec<(String, Cell)>]| -> Vec<String> { rs.iter().map(|r| r[0].1.text()).collect() };
    assert_eq!(ids(&rows(1, all_teams.clone(), "").await), ["9", "5", "2"]);
    assert_eq!(ids(&rows(1, vec!["tech"], "").await), ["2"]);
    assert_eq!(ids(&rows(1, all_teams.clone(), "refunds").await), ["5"]);
    // Awaiting a first response: only ticket 5 (6 and 9 were answered, 3
    // is the agent's own).
    let waiting = rows(2, all_teams.clone(), "").await;
    assert_eq!(ids(&waiting), ["5"]);
    let waited = field(&waiting[0], "waiting_seconds").int();
    assert!(
        waited > unix("2026-11-01T00:00:00Z") - unix("2026-01-08T09:00:00Z"),
        "{waited}"
    );
    // Re-routed more than once: ticket 9 (2 re-routes).
    let rerouted = rows(3, all_teams.clone(), "").await;
    assert_eq!(ids(&rerouted), ["9"]);
    assert_eq!(field(&rerouted[0], "reroutes").int(), 2);
    // Agents: tickets 1, 2, 3 solved, none assigned to an agent. First
    // responses 1800 and 3000 (3 has none): median 2400. Exchanges 1800 and
    // 3600 (ticket 1) and 3000 (ticket 2): mean 2800. CSAT 4, 5, 5: all
    // satisfied.
    let agents = rows(4, all_teams.clone(), "").await;
    assert_eq!(agents.len(), 1);
    let a = &agents[0];
    assert_eq!(field(a, "agent").text(), "unassigned");
    assert_eq!(field(a, "solved").int(), 3);
    assert_eq!(field(a, "first_response_p50").float(), 2400.0);
    assert_eq!(field(a, "reply_mean").float(), 2800.0);
    assert_eq!(field(a, "csat").float(), 1.0);
    assert_eq!(field(a, "csat_answers").int(), 3);
    // Arrivals by hour of week (schedule.timezone: UTC), in week order.
    let hours: Vec<(String, i64)> = rows(5, all_teams, "")
        .await
        .iter()
        .map(|r| (r[0].1.text(), r[1].1.int()))
        .collect();
    let want: Vec<(String, i64)> = ["Mon 09", "Tue 10", "Wed 08", "Thu 09", "Fri 10", "Sun 20"]
        .iter()
        .map(|h| (h.to_string(), 1))
        .collect();
    assert_eq!(hours, want);
    db.cleanup().await;
    state.cleanup().await;
}

#[tokio::test]
async fn the_drill_down_dashboard_reads_the_facts_on_postgres() {
    if let Some(state) = TestDb::postgres("drill_down").await {
        drill_down_reads_the_facts(state, "grafana-postgresql-datasource").await;
    }
}

/// The same with a MariaDB state store: the dashboard speaks MySQL
/// (Grafana's MySQL data source).
#[tokio::test]
async fn the_drill_down_dashboard_reads_the_facts_on_mariadb() {
    if let Some(state) = TestDb::mysql("drill_down").await {
        drill_down_reads_the_facts(state, "mysql").await;
    }
}

/// `state.facts_retention`: the facts of tickets solved or closed longer
/// ago are emptied (out of the view), open tickets' stay, the emptied
/// tickets are not counted again when they come back, and a fresh backfill
/// (as a recount is) writes none for them: retention counts from the solve.
#[tokio::test]
async fn facts_retention_empties_old_done_tickets_only() {
    let db = TestDb::sqlite();
    db.load_fixture("small_helpdesk.sql").await;
    let state = format!("sqlite://{}", db.dir.path().join("state.sqlite").display());
    let path = fixture_config(&db, &state, "0 0 * * * *", "retention");
    let mut settings = Settings::load(Some(&path)).expect("settings");
    settings.state.facts_retention = Some(std::time::Duration::from_secs(30 * 86_400));
    settings.state.requester_salt = Some(support_metrics::db::Password::new(SALT.into()));
    let (source, store, mut live) = collector(&settings).await;
    // The fixture's tickets were solved or closed on 5–7 January.
    let now = instant("2026-01-20T00:00:00Z");
    collect::run(&source, &store, &settings, &mut live, now)
        .await
        .expect("backfill");
    let all: Vec<String> = read_facts(&state).await.into_keys().collect();
    assert_eq!(
        all,
        ["1", "2", "3", "5", "6"],
        "solved within 30 days: all kept"
    );

    // 31 days on (the 20th of February), nothing walked since: the done
    // tickets' facts go (ticket 3 closed on the 7th of January, 44 days
    // before).
    let later = instant("2026-02-20T00:00:00Z");
    collect::run(&source, &store, &settings, &mut live, later)
        .await
        .expect("a month later");
    let kept: Vec<String> = read_facts(&state).await.into_keys().collect();
    assert_eq!(kept, ["5", "6"], "open tickets stay");
    let pool = sqlx::SqlitePool::connect(&state).await.expect("sqlite");
    let (rows, with_facts, business, hashes): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(facts_updated_at), count(first_response_business_seconds), \
         count(requester_hash) FROM ticket_state",
    )
    .fetch_one(&pool)
    .await
    .expect("rows");
    // Every ticket's row stays (it says the ticket was counted); only the
    // open tickets keep facts: of those, ticket 6 has a first response
    // (tickets 1 and 2 had one too, now emptied), and the requester hashes
    // go with the facts.
    assert_eq!((rows, with_facts, business, hashes), (5, 2, 1, 2));
    pool.close().await;

    // A fresh store backfilled on the 20th of February (what a recount
    // does): the old solved tickets get no facts back.
    let fresh = format!("sqlite://{}", db.dir.path().join("fresh.sqlite").display());
    let mut again = settings.clone();
    again.state.url = fresh.clone();
    let (source2, store2, mut live2) = collector(&again).await;
    collect::run(&source2, &store2, &again, &mut live2, later)
        .await
        .expect("fresh backfill");
    let refilled: Vec<String> = read_facts(&fresh).await.into_keys().collect();
    assert_eq!(refilled, ["5", "6"]);

    // `source.backfill_days = 14` on the 20th of January counts from the
    // 6th: ticket 1 (solved on the 5th at 13:00) is in neither the
    // counters nor the facts; ticket 2 (solved on the 6th at 11:00) is.
    let limited = format!(
        "sqlite://{}",
        db.dir.path().join("limited.sqlite").display()
    );
    let mut short = settings.clone();
    short.state.url = limited.clone();
    short.state.facts_retention = None;
    short.source.backfill = Some(std::time::Duration::from_secs(14 * 86_400));
    let (source3, store3, mut live3) = collector(&short).await;
    collect::run(&source3, &store3, &short, &mut live3, now)
        .await
        .expect("limited backfill");
    let recent: Vec<String> = read_facts(&limited).await.into_keys().collect();
    assert_eq!(recent, ["2", "3", "5", "6"]);

    // Ticket 1 reopens: walked again, its facts are back, and its creation
    // is not counted a second time.
    let created = |live: &Live| -> f64 {
        live.cumulative
            .counters()
            .filter(|(k, _)| k.name == "support_tickets_created_total")
            .map(|(_, v)| v)
            .sum()
    };
    let before = created(&live);
    let at = (later + chrono::TimeDelta::minutes(1)).format("%Y-%m-%dT%H:%M:%SZ");
    db.execute(&format!(
        "INSERT INTO support_ticket_events (id, ticket_id, occurred_at, kind, actor, actor_id, team, agent_id, status)
           VALUES (300, '1', '{at}', 'status', 'customer', 'c1', NULL, NULL, 'open');
         UPDATE support_tickets SET status = 'open', updated_at = '{at}' WHERE id = '1';"
    ))
    .await;
    collect::run(
        &source,
        &store,
        &settings,
        &mut live,
        later + chrono::TimeDelta::minutes(2),
    )
    .await
    .expect("reopened");
    let back = read_facts(&state).await;
    assert_eq!(back["1"].0.reopens, 2);
    assert_eq!(back["1"].0.status, "open");
    assert_eq!(created(&live), before, "not counted twice");
    db.cleanup().await;
}

/// The demo's helpdesk (1,500 generated tickets, with reopens, re-routes,
/// bots and surveys) collected into an SQLite, a PostgreSQL and a MariaDB
/// state store: every ticket's facts are identical on the three, and they
/// agree with `report` over the whole history.
#[tokio::test]
async fn demo_facts_are_identical_on_every_state_store_and_agree_with_report() {
    let db = TestDb::sqlite();
    let r = crate::helpers::run(
        db.dir.path(),
        &[
            "generate",
            "--tickets",
            "1500",
            "--db",
            &db.url,
            "--seed",
            "11",
        ],
        &[],
    );
    assert!(r.ok, "{}", r.stderr);
    let mut stores = vec![format!(
        "sqlite://{}",
        db.dir.path().join("state.sqlite").display()
    )];
    let pg = TestDb::postgres("demo_facts").await;
    let my = TestDb::mysql("demo_facts").await;
    stores.extend(pg.iter().chain(my.iter()).map(|s| s.url.clone()));
    let now = chrono::Utc::now();
    let mut read = Vec::new();
    for (i, url) in stores.iter().enumerate() {
        let path = fixture_config(&db, url, "0 0 * * * *", &format!("demo{i}"));
        let settings = Settings::load(Some(&path)).expect("settings");
        let (source, store, mut live) = collector(&settings).await;
        collect::run(&source, &store, &settings, &mut live, now)
            .await
            .expect("backfill");
        let facts: BTreeMap<String, Fact> = read_facts(url)
            .await
            .into_iter()
            .map(|(k, v)| (k, v.0))
            .collect();
        read.push((url.clone(), facts, path));
    }
    let (_, first, path) = &read[0];
    assert!(first.len() > 1000, "{} tickets with facts", first.len());
    for (url, facts, _) in &read[1..] {
        assert_eq!(facts.len(), first.len(), "{url}");
        for (id, f) in first {
            assert_eq!(facts.get(id), Some(f), "ticket {id} on {url}");
        }
    }
    // Against `report` over everything: first responses (count and mean),
    // reopens, re-routes, reassignments, and the tickets solved now.
    let r: Value = report_of(&db, path, &ALL_TIME, None);
    let o = &r["overall"];
    let frs: Vec<f64> = first
        .values()
        .filter_map(|f| f.first_response_seconds)
        .collect();
    assert_eq!(
        o["first_response_seconds"]["count"].as_f64(),
        Some(frs.len() as f64)
    );
    let mean = frs.iter().sum::<f64>() / frs.len() as f64;
    let reported = o["first_response_seconds"]["mean"].as_f64().expect("mean");
    assert!(
        (reported - mean).abs() < 1e-6 * mean,
        "{reported} vs {mean}"
    );
    let total = |f: fn(&Fact) -> i64| first.values().map(f).sum::<i64>() as f64;
    assert_eq!(o["reopens"]["total"].as_f64(), Some(total(|f| f.reopens)));
    assert_eq!(o["reroutes"]["total"].as_f64(), Some(total(|f| f.reroutes)));
    assert_eq!(
        o["reassignments"]["total"].as_f64(),
        Some(total(|f| f.reassignments))
    );
    assert_eq!(
        o["tickets_created"].as_f64(),
        Some(first.len() as f64),
        "one row per counted ticket"
    );
    let open = first
        .values()
        .filter(|f| !matches!(f.status.as_str(), "solved" | "closed"))
        .count();
    assert_eq!(o["backlog"]["tickets"].as_f64(), Some(open as f64));
    if let Some(pg) = pg {
        pg.cleanup().await;
    }
    if let Some(my) = my {
        my.cleanup().await;
    }
    db.cleanup().await;
}
