//! The `kpi` job: windowed KPI gauges (DESIGN.md §4) over the last 7 and 28
//! days — CSAT ratio, NPS, CES average, eNPS, engagement index and exact
//! first-response quantiles — and the SERVQUAL gaps and scores over the
//! last quarter.
//!
//! Computed from the state store only (the answers and first responses the
//! collections remembered), so it never loads the source.

use chrono::TimeDelta;

use crate::engine::engagement::EngagementTally;
use crate::engine::servqual::{ServqualTally, ServqualWeights};
use crate::engine::stats::quantile_sorted;
use crate::engine::surveys::{CesTally, CsatTally, NpsTally};
use crate::metrics;
use crate::model::{EngagementAnswer, Instant, ServqualDimension};
use crate::state::series::SeriesKey;
use crate::state::{AnswerRow, StateError, StateStore};

/// The windows and their `window` label values.
pub const WINDOWS: [(&str, TimeDelta); 2] =
    [("7d", TimeDelta::days(7)), ("28d", TimeDelta::days(28))];
pub use crate::engine::servqual::WINDOW as SERVQUAL_WINDOW;
/// The `window` label of the SERVQUAL gauges.
pub const SERVQUAL_WINDOW_LABEL: &str = "13w";

/// First-response quantiles exposed.
pub const QUANTILES: [f64; 3] = [0.5, 0.9, 0.99];

/// How far back the arrivals heatmap looks: four whole weeks.
pub const ARRIVAL_WEEKS: i64 = 4;

/// Computes every KPI gauge as of `now` and stores them. `tz` places
/// arrivals in the hours of the week; `labels` folds their teams as the
/// collections do.
pub async fn run(
    store: &StateStore,
    now: Instant,
    tz: chrono_tz::Tz,
    labels: &crate::collect::labels::LabelFolder,
    weights: &ServqualWeights,
) -> Result<Vec<(SeriesKey, f64)>, StateError> {
    let longest = WINDOWS.iter().map(|(_, d)| *d).max().unwrap_or_default();
    let answers = store
        .answers_since(now - longest.max(SERVQUAL_WINDOW))
        .await?;
    let responses = store.first_responses_since(now - longest).await?;
    let mut out = Vec::new();
    for (label, span) in WINDOWS {
        let from = now - span;
        let mut first_responses: Vec<f64> = responses
            .iter()
            .filter(|(at, v)| *at >= from && *at < now && v.is_finite())
            .map(|(_, v)| *v)
            .collect();
        first_responses.sort_by(f64::total_cmp);
        let in_window: Vec<&AnswerRow> = answers
            .iter()
            .filter(|a| a.responded_at >= from && a.responded_at < now)
            .collect();
        out.extend(window_gauges(label, &in_window, &first_responses));
    }
    let servqual: Vec<&AnswerRow> = answers
        .iter()
        .filter(|a| a.responded_at >= now - SERVQUAL_WINDOW && a.responded_at < now)
        .collect();
    out.extend(servqual_gauges(&servqual, weights));
    let arrivals = store
        .arrivals_since(now - TimeDelta::weeks(ARRIVAL_WEEKS))
        .await?;
    out.extend(arrival_gauges(&arrivals, now, tz, labels));
    store.save_kpis(&out).await?;
    Ok(out)
}

/// Tickets per week in each hour of the week over the last
/// `ARRIVAL_WEEKS` weeks, per (folded) team: all 168 cells of every team
/// with an arrival, zeros included, so the heatmap has no holes.
pub fn arrival_gauges(
    arrivals: &[(Instant, Option<String>)],
    now: Instant,
    tz: chrono_tz::Tz,
    labels: &crate::collect::labels::LabelFolder,
) -> Vec<(SeriesKey, f64)> {
    use std::collections::BTreeMap;
    // Numbered, so that the weekdays sort in order.
    const DAYS: [&str; 7] = [
        "1-mon", "2-tue", "3-wed", "4-thu", "5-fri", "6-sat", "7-sun",
    ];
    let from = now - TimeDelta::weeks(ARRIVAL_WEEKS);
    let mut cells: BTreeMap<String, [[u64; 24]; 7]> = BTreeMap::new();
    for (at, team) in arrivals.iter().filter(|(at, _)| *at >= from && *at < now) {
        let team = labels.folded(
            crate::collect::labels::CappedLabel::Team,
            team.as_deref().unwrap_or(crate::model::UNASSIGNED),
        );
        let (day, hour) = crate::localtime::weekday_hour(*at, tz);
        if let Some(row) = cells
            .entry(team)
            .or_insert([[0; 24]; 7])
            .get_mut(day as usize)
            && let Some(c) = row.get_mut(hour as usize)
        {
            *c += 1;
        }
    }
    let mut out = Vec::new();
    for (team, grid) in cells {
        for (day, row) in DAYS.iter().zip(grid) {
            for (hour, n) in row.iter().enumerate() {
                out.push((
                    SeriesKey::new(
                        &metrics::ARRIVALS_HOUR_OF_WEEK,
                        vec![
                            ("team", team.clone()),
                            ("weekday", day.to_string()),
                            ("hour", format!("{hour:02}")),
                        ],
                    ),
                    *n as f64 / ARRIVAL_WEEKS as f64,
                ));
            }
        }
    }
    out
}

/// The SERVQUAL gauges of the quarter: each dimension's gap, and the two
/// scores when every dimension has one (as in `report`). Absent data gives
/// no series.
pub fn servqual_gauges(answers: &[&AnswerRow], weights: &ServqualWeights) -> Vec<(SeriesKey, f64)> {
    let mut tally = ServqualTally::default();
    for a in answers.iter().filter(|a| a.relation == "surveys") {
        if let (Some((side, dimension)), Ok(score)) = (
            crate::state::parse_servqual_question(&a.question),
            u8::try_from(a.score),
        ) {
            tally.add(side, dimension, score);
        }
    }
    let Some(result) = tally.result(weights) else {
        return Vec::new();
    };
    let window = || ("window", SERVQUAL_WINDOW_LABEL.to_string());
    let mut out: Vec<(SeriesKey, f64)> = ServqualDimension::ALL
        .into_iter()
        .filter_map(|d| {
            let gap = result.dimensions.get(d).gap?;
            let labels = vec![("dimension", d.as_str().to_string()), window()];
            Some((SeriesKey::new(&metrics::KPI_SERVQUAL_GAP, labels), gap))
        })
        .collect();
    for (weighting, v) in [
        ("unweighted", result.score),
        ("weighted", result.weighted_score),
    ] {
        if let Some(v) = v {
            let labels = vec![("weighting", weighting.to_string()), window()];
            out.push((SeriesKey::new(&metrics::KPI_SERVQUAL_SCORE, labels), v));
        }
    }
    out
}

/// The gauges of one window. Absent data gives no series rather than 0.
fn window_gauges(
    window: &str,
    answers: &[&AnswerRow],
    sorted_first_responses: &[f64],
) -> Vec<(SeriesKey, f64)> {
    let mut csat = CsatTally::default();
    let mut nps = NpsTally::default();
    let mut ces = CesTally::default();
    let mut engagement = EngagementTally::default();
    for a in answers {
        let Ok(score) = u8::try_from(a.score) else {
            continue;
        };
        match (a.relation, a.question.as_str()) {
            ("surveys", "csat") => csat.add(score),
            ("surveys", "nps") => nps.add(score),
            ("surveys", "ces") => ces.add(score),
            ("engagement", "enps") => engagement.add(&EngagementAnswer::Enps(score)),
            ("engagement", item) => engagement.add(&EngagementAnswer::Likert {
                item: item.to_string(),
                score,
            }),
            _ => {}
        }
    }
    let w = || vec![("window", window.to_string())];
    let mut out = Vec::new();
    let mut push = |family: &metrics::Family, labels, v: Option<f64>| {
        if let Some(v) = v {
            out.push((SeriesKey::new(family, labels), v));
        }
    };
    push(&metrics::KPI_CSAT, w(), csat.ratio());
    push(&metrics::KPI_NPS, w(), nps.score());
    push(&metrics::KPI_CES, w(), ces.mean());
    push(&metrics::KPI_ENPS, w(), engagement.enps.score());
    push(&metrics::KPI_ENGAGEMENT, w(), engagement.index());
    // The summary's quantiles, sum and count (none without a response:
    // a quantile of nothing is not 0).
    if !sorted_first_responses.is_empty() {
        let with = |quantile: String| {
            let mut labels = w();
            labels.push(("quantile", quantile));
            labels
        };
        for q in QUANTILES {
            push(
                &metrics::KPI_FIRST_RESPONSE_QUANTILE,
                with(q.to_string()),
                quantile_sorted(sorted_first_responses, q),
            );
        }
        push(
            &metrics::KPI_FIRST_RESPONSE_QUANTILE,
            with(metrics::SUMMARY_SUM.into()),
            Some(sorted_first_responses.iter().sum()),
        );
        push(
            &metrics::KPI_FIRST_RESPONSE_QUANTILE,
            with(metrics::SUMMARY_COUNT.into()),
            Some(sorted_first_responses.len() as f64),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::calendar::tests::t;

    fn answer(relation: &'static str, question: &str, score: i64) -> AnswerRow {
        AnswerRow {
            relation,
            id: "x".into(),
            responded_at: t("2026-03-02T10:00:00Z"),
            team: None,
            question: question.into(),
            score,
        }
    }

    fn value(g: &[(SeriesKey, f64)], name: &str, extra: Option<&str>) -> Option<f64> {
        g.iter()
            .find(|(k, _)| {
                k.name == name && extra.is_none_or(|q| k.labels.iter().any(|(_, v)| v == q))
            })
            .map(|(_, v)| *v)
    }

    #[test]
    fn servqual_gauges_are_hand_computed() {
        let q = |side, d| crate::state::servqual_question(side, d);
        use crate::model::ServqualSide::*;
        use ServqualDimension::*;
        let mut a = Vec::new();
        // Gaps: tangibles (5 + 6) / 2 − 6 = −0.5, reliability 4 − 7 = −3,
        // responsiveness 6 − 6 = 0, assurance 7 − 5 = +2, empathy 6 − 6 = 0.
        for (d, e, ps) in [
            (Tangibles, 6, &[5, 6][..]),
            (Reliability, 7, &[4][..]),
            (Responsiveness, 6, &[6][..]),
            (Assurance, 5, &[7][..]),
            (Empathy, 6, &[6][..]),
        ] {
            a.push(answer("surveys", &q(Expectation, d), e));
            for p in ps {
                a.push(answer("surveys", &q(Perception, d), *p));
            }
        }
        // Not SERVQUAL: ignored here.
        a.push(answer("surveys", "csat", 1));
        a.push(answer("engagement", "servqual_perception/empathy", 1));
        let refs: Vec<&AnswerRow> = a.iter().collect();
        let w = ServqualWeights([20.0, 40.0, 20.0, 10.0, 10.0]);
        let g = servqual_gauges(&refs, &w);
        let gap = |d: &str| value(&g, "support_servqual_gap", Some(d));
        assert_eq!(gap("tangibles"), Some(-0.5));
        assert_eq!(gap("reliability"), Some(-3.0));
        assert_eq!(gap("assurance"), Some(2.0));
        // (−0.5 − 3 + 0 + 2 + 0) / 5 = −0.3;
        // 0.2·(−0.5) + 0.4·(−3) + 0 + 0.1·2 + 0 = −1.1.
        let score = |w: &str| value(&g, "support_servqual_score", Some(w)).expect(w);
        assert!((score("unweighted") + 0.3).abs() < 1e-12);
        assert!((score("weighted") + 1.1).abs() < 1e-12);
        // A dimension without answers: its gap and both scores are absent.
        let no_empathy: Vec<&AnswerRow> = refs
            .iter()
            .copied()
            .filter(|r| !r.question.ends_with("empathy"))
            .collect();
        let g = servqual_gauges(&no_empathy, &w);
        assert_eq!(value(&g, "support_servqual_gap", Some("empathy")), None);
        assert_eq!(value(&g, "support_servqual_score", None), None);
        assert_eq!(g.len(), 4);
        assert!(servqual_gauges(&[], &w).is_empty());
    }

    #[test]
    fn window_gauges_are_hand_computed() {
        let a = [
            answer("surveys", "csat", 5),
            answer("surveys", "csat", 4),
            answer("surveys", "csat", 2),
            answer("surveys", "csat", 1),
            answer("surveys", "nps", 10),
            answer("surveys", "nps", 3),
            answer("surveys", "nps", 8),
            answer("surveys", "ces", 2),
            answer("surveys", "ces", 5),
            answer("engagement", "enps", 9),
            answer("engagement", "growth", 5),
            answer("engagement", "growth", 3),
            // Remembered only to recognise a re-read: never a KPI.
            answer("surveys", "_skipped", 1),
        ];
        let refs: Vec<&AnswerRow> = a.iter().collect();
        let g = window_gauges("7d", &refs, &[60.0, 120.0, 600.0]);
        assert_eq!(value(&g, "support_csat_ratio", None), Some(0.5));
        // 1 promoter, 1 passive, 1 detractor of 3: 0.
        assert_eq!(value(&g, "support_nps_score", None), Some(0.0));
        assert_eq!(value(&g, "support_ces_average", None), Some(3.5));
        assert_eq!(value(&g, "support_enps_score", None), Some(100.0));
        // Likert 5 → 100, 3 → 50: mean 75.
        assert_eq!(value(&g, "support_engagement_index", None), Some(75.0));
        // NumPy linear: p50 of [60, 120, 600] = 120; p90 = 120 + 0.8 * 480 = 504.
        assert_eq!(
            value(&g, "support_first_response_quantile_seconds", Some("0.5")),
            Some(120.0)
        );
        assert_eq!(
            value(&g, "support_first_response_quantile_seconds", Some("0.9")),
            Some(504.0)
        );
    }

    #[test]
    fn no_data_gives_no_series() {
        let g = window_gauges("28d", &[], &[]);
        assert!(g.is_empty(), "{g:?}");
    }
}

#[cfg(test)]
mod arrival_tests {
    use super::*;
    use crate::collect::labels::LabelFolder;
    use chrono::TimeZone;
    use std::collections::{BTreeSet, HashMap};

    /// Hand-computed: Mondays at 08:30 UTC are 09:30 in Paris in winter
    /// (hour 09); three of them in the last 4 weeks make 0.75 a week; a
    /// ticket 5 weeks ago is out of the window; a team not admitted under
    /// the label cap is `other`; every team with an arrival has 168 cells.
    #[test]
    fn arrivals_are_counted_per_hour_of_week_in_the_time_zone() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        let monday = |weeks_ago: i64| {
            chrono::Utc
                .with_ymd_and_hms(2026, 11, 23, 8, 30, 0)
                .unwrap()
                - chrono::Duration::weeks(weeks_ago)
        };
        let arrivals = vec![
            (monday(0), Some("billing".to_string())),
            (
                monday(0) + chrono::Duration::minutes(10),
                Some("billing".to_string()),
            ),
            (monday(2), Some("billing".to_string())),
            (monday(5), Some("billing".to_string())),
            (monday(1), Some("night-shift".to_string())),
        ];
        let saved: HashMap<String, BTreeSet<String>> =
            [("team".to_string(), ["billing".to_string()].into())].into();
        let labels = LabelFolder::new(Default::default(), &saved);
        let out = arrival_gauges(&arrivals, now, chrono_tz::Europe::Paris, &labels);
        assert_eq!(out.len(), 2 * 168, "billing and other, every cell");
        let cell = |team: &str, day: &str, hour: &str| {
            out.iter()
                .find(|(k, _)| {
                    k.labels
                        == vec![
                            ("team", team.to_string()),
                            ("weekday", day.to_string()),
                            ("hour", hour.to_string()),
                        ]
                })
                .map(|(_, v)| *v)
        };
        assert_eq!(cell("billing", "1-mon", "09"), Some(0.75));
        assert_eq!(cell("billing", "1-mon", "08"), Some(0.0));
        assert_eq!(cell("other", "1-mon", "09"), Some(0.25));
        let total: f64 = out.iter().map(|(_, v)| v).sum();
        assert_eq!(total, 1.0, "4 arrivals in the window, over 4 weeks");
    }
}
