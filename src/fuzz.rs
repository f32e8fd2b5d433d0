//! Property tests of every parser that takes outside input — the
//! configuration, timestamps, durations, cron expressions, calendar specs,
//! survey rows, URLs: arbitrary text never panics, and what is well formed
//! reads back as written. Run by `cargo test` (5,000 cases each,
//! seconds in all).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use proptest::prelude::*;

use crate::config::{CesDirection, Settings, parse_cron, parse_duration, redact_url};
use crate::engine::calendar::parse_day_hours;
use crate::source::decode::{self, RawTime, RowAccess, parse_timestamp};
use crate::timearg::parse_instant;

/// A row of optional text cells, as a view might hand them over.
struct Cells(HashMap<&'static str, Option<String>>);

impl RowAccess for Cells {
    fn text(&self, col: &str) -> Result<Option<&str>, String> {
        Ok(self.0.get(col).and_then(|v| v.as_deref()))
    }
    fn int(&self, col: &str) -> Result<Option<i64>, String> {
        self.text(col)?
            .map(|s| {
                s.trim()
                    .parse()
                    .map_err(|_| format!("`{s}` is not an integer"))
            })
            .transpose()
    }
    fn time(&self, col: &str) -> Result<Option<RawTime>, String> {
        Ok(self.text(col)?.map(|s| RawTime::Text(s.to_string())))
    }
}

/// A cell as the backends hand them over: SQLite's dynamic types (any
/// column text, an integer or a real), PostgreSQL's special timestamps, and
/// bytes that are not UTF-8 (`text` fails on them).
#[derive(Debug, Clone)]
enum Cell {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
    NotUtf8,
    Time(RawTime),
}

/// A row of [`Cell`]s.
#[derive(Debug)]
struct Dyn(HashMap<&'static str, Cell>);

impl RowAccess for Dyn {
    fn text(&self, col: &str) -> Result<Option<&str>, String> {
        match self.0.get(col) {
            None | Some(Cell::Null) => Ok(None),
            Some(Cell::Text(s)) => Ok(Some(s)),
            Some(Cell::NotUtf8) => Err("invalid utf-8 sequence".into()),
            Some(other) => Err(format!("{other:?} is not text")),
        }
    }
    fn int(&self, col: &str) -> Result<Option<i64>, String> {
        match self.0.get(col) {
            None | Some(Cell::Null) => Ok(None),
            Some(Cell::Int(n)) => Ok(Some(*n)),
            Some(Cell::Text(s)) => s.trim().parse().map(Some).map_err(|_| format!("`{s}`")),
            Some(other) => Err(format!("{other:?} is not an integer")),
        }
    }
    fn time(&self, col: &str) -> Result<Option<RawTime>, String> {
        match self.0.get(col) {
            None | Some(Cell::Null) => Ok(None),
            Some(Cell::Text(s)) => Ok(Some(RawTime::Text(s.clone()))),
            Some(Cell::Int(n)) => Ok(Some(RawTime::Number(*n as f64))),
            Some(Cell::Real(f)) => Ok(Some(RawTime::Number(*f))),
            Some(Cell::Time(t)) => Ok(Some(t.clone())),
            Some(Cell::NotUtf8) => Err("invalid utf-8 sequence".into()),
        }
    }
}

fn cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        Just(Cell::Null),
        texty().prop_map(Cell::Text),
        prop_oneof![
            Just("message"),
            Just("assign"),
            Just("status"),
            Just("note"),
            Just("customer"),
            Just("agent"),
            Just("bot"),
            Just("system"),
            Just("open"),
            Just("solved"),
            Just("csat"),
            Just("nps"),
            Just("ces"),
            Just("enps"),
            Just("email"),
            Just("2026-03-24T08:00:00Z"),
            Just("infinity"),
            Just("-infinity"),
            Just("9.3e+18"),
        ]
        .prop_map(|s| Cell::Text(s.to_string())),
        any::<i64>().prop_map(Cell::Int),
        (-20i64..20).prop_map(Cell::Int),
        prop_oneof![
            any::<f64>(),
            Just(f64::INFINITY),
            Just(f64::NAN),
            Just(9.3e18),
            Just(-1.0e300)
        ]
        .prop_map(Cell::Real),
        Just(Cell::NotUtf8),
        prop_oneof![
            Just(RawTime::OutOfRange("`infinity` is not an instant".into())),
            instant().prop_map(RawTime::Instant),
            instant().prop_map(|t| RawTime::Naive(t.naive_utc())),
            any::<f64>().prop_map(RawTime::Number),
        ]
        .prop_map(Cell::Time),
    ]
}

/// A row of `columns`, each cell anything a backend may hand over.
fn dyn_row(columns: &'static [&'static str]) -> impl Strategy<Value = Dyn> {
    proptest::collection::vec(cell(), columns.len())
        .prop_map(move |cells| Dyn(columns.iter().copied().zip(cells).collect()))
}

const TICKET: &[&str] = &[
    "id",
    "created_at",
    "channel",
    "priority",
    "category",
    "requester_id",
    "created_by",
    "status",
    "updated_at",
];
const EVENT: &[&str] = &[
    "id",
    "ticket_id",
    "occurred_at",
    "kind",
    "actor",
    "actor_id",
    "team",
    "agent_id",
    "status",
];
const SURVEY: &[&str] = &[
    "id",
    "ticket_id",
    "responded_at",
    "kind",
    "score",
    "comment",
];
const ENGAGEMENT: &[&str] = &[
    "id",
    "employee_id",
    "team",
    "responded_at",
    "question",
    "score",
];

/// Instants from 1970 to 2200, to the microsecond.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..7_258_118_400_000_000).prop_filter_map("in range", DateTime::from_timestamp_micros)
}

/// Short strings of the characters parsers care about, and any others.
fn texty() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9:\\-+TZ .,/*a-z]{0,40}", any::<String>(), "\\PC{0,20}",]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, ..ProptestConfig::default() })]

    #[test]
    fn timestamps_never_panic_and_rfc3339_reads_back(s in texty(), t in instant()) {
        let _ = parse_timestamp(&s);
        let _ = parse_instant(&s, chrono_tz::Europe::Paris);
        prop_assert_eq!(parse_timestamp(&t.to_rfc3339()), Some(t));
        let naive = t.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
        prop_assert_eq!(parse_timestamp(&naive), Some(t));
    }

    #[test]
    fn durations_never_panic_and_read_as_written(s in texty(), n in 0u64..100_000, unit in 0usize..6) {
        let _ = parse_duration(&s);
        let (suffix, secs) = [("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400), ("w", 604_800), ("ms", 0)][unit];
        let d = parse_duration(&format!("{n}{suffix}")).expect("well formed");
        if suffix == "ms" {
            prop_assert_eq!(d.as_millis(), u128::from(n));
        } else {
            prop_assert_eq!(d.as_secs(), n * secs);
        }
    }

    #[test]
    fn cron_expressions_never_panic(s in texty(), minute in 0u32..60, hour in 0u32..24) {
        let _ = parse_cron(&s);
        let six = format!("0 {minute} {hour} * * *");
        let five = format!("{minute} {hour} * * *");
        prop_assert!(parse_cron(&six).is_ok(), "{}", six);
        prop_assert!(parse_cron(&five).is_ok(), "five fields work too: {}", five);
    }

    #[test]
    fn calendar_specs_never_panic_and_intervals_read_back(s in texty(), a in 0u32..1_440, len in 1u32..1_440) {
        let _ = parse_day_hours(&s);
        let b = (a + len).min(1_440);
        prop_assume!(b > a);
        let spec = format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60);
        let got = parse_day_hours(&spec);
        prop_assert!(got.as_ref().is_ok_and(|v| v.len() == 1), "{} gave {:?}", spec, got);
    }

    #[test]
    fn configuration_text_never_panics(s in texty()) {
        let _ = Settings::from_toml("fuzz", &s, Vec::new());
    }

    #[test]
    fn configuration_values_of_any_kind_never_panic(
        key in prop::sample::select(vec![
            "source.url", "source.statement_timeout", "source.late_arrival", "source.ces_direction",
            "source.preset", "schedule.timezone", "schedule.collect", "server.listen", "state.url",
            "labels.max_teams", "digest.locale", "digest.from",
        ]),
        value in prop_oneof![
            texty().prop_map(|s| format!("{s:?}")),
            any::<i64>().prop_map(|n| n.to_string()),
            Just("[]".to_string()),
            Just("true".to_string()),
        ],
        env in texty(),
    ) {
        let (section, name) = key.split_once('.').expect("dotted");
        let text = format!("[{section}]\n{name} = {value}\n");
        let _ = Settings::from_toml("fuzz", &text, Vec::new());
        let var = format!("SUPPORT_METRICS__{}__{}", section.to_uppercase(), name.to_uppercase());
        let _ = Settings::from_toml("fuzz", "", vec![(var, env)]);
    }

    /// Every decoder over rows of any cells: never a panic; a decoded row
    /// holds instants between 1970 and the job's horizon; a rejected one
    /// carries a reason and what names its row (see `rejects`).
    #[test]
    fn decoders_take_any_backend_cells(
        t in dyn_row(TICKET),
        e in dyn_row(EVENT),
        s in dyn_row(SURVEY),
        g in dyn_row(ENGAGEMENT),
        now in instant(),
    ) {
        let h = decode::Horizon::at(now);
        let limit = now + decode::Horizon::SKEW;
        let in_range = |at: DateTime<Utc>| at >= DateTime::UNIX_EPOCH && at <= limit;
        let named = |r: &decode::Rejection| !r.reason.is_empty() && !r.row.is_empty();
        match decode::ticket(&t, h) {
            Ok(ticket) => prop_assert!(in_range(ticket.created_at)),
            Err(r) => prop_assert!(named(&r), "{:?}", r),
        }
        match decode::event(&e, h) {
            Ok(event) => prop_assert!(in_range(event.occurred_at)),
            Err(r) => prop_assert!(named(&r), "{:?}", r),
        }
        match decode::survey(&s, CesDirection::OneIsLowEffort, h) {
            Ok(answer) => prop_assert!(in_range(answer.responded_at)),
            Err(r) => prop_assert!(named(&r), "{:?}", r),
        }
        match decode::engagement(&g, h) {
            Ok(answer) => prop_assert!(in_range(answer.responded_at)),
            Err(r) => prop_assert!(named(&r), "{:?}", r),
        }
    }

    #[test]
    fn survey_rows_never_panic_and_scores_stay_on_their_scale(
        kind in prop_oneof![Just("csat".to_string()), Just("NPS".to_string()), Just("ces".to_string()), texty()],
        score in prop_oneof![(-20i64..30).prop_map(|n| n.to_string()), texty()],
        at in texty(),
    ) {
        let row = Cells(HashMap::from([
            ("id", Some("s".to_string())),
            ("ticket_id", None),
            ("responded_at", Some(at)),
            ("kind", Some(kind)),
            ("score", Some(score)),
            ("comment", None),
        ]));
        for ces in [CesDirection::OneIsLowEffort, CesDirection::SevenIsLowEffort] {
            if let Ok(s) = decode::survey(&row, ces, decode::Horizon::NONE) {
                let v = s.score.value();
                let max = match s.score.kind_str() { "csat" => 5, "nps" => 10, _ => 7 };
                let min = if s.score.kind_str() == "nps" { 0 } else { 1 };
                prop_assert!((min..=max).contains(&v), "{:?}", s.score);
            }
        }
    }

    #[test]
    fn urls_never_panic_and_passwords_never_show(
        s in texty(),
        password in "[A-Za-z0-9!$%^&*()_+=~]{6,20}",
    ) {
        let _ = redact_url(&s);
        let shown = redact_url(&format!("postgres://reader:{password}@db.internal:5432/helpdesk"));
        prop_assert!(!shown.contains(&password), "{}", shown);
    }
}
