//! The `kpi` job: windowed KPI gauges (DESIGN.md §4) over the last 7 and 28
//! days — CSAT ratio, NPS, CES average, eNPS, engagement index and exact
//! first-response quantiles.
//!
//! Computed from the state store only (the answers and first responses the
//! collections remembered), so it never loads the source.

use chrono::TimeDelta;

use crate::engine::engagement::EngagementTally;
use crate::engine::stats::quantile_sorted;
use crate::engine::surveys::{CesTally, CsatTally, NpsTally};
use crate::metrics;
use crate::model::{EngagementAnswer, Instant};
use crate::state::series::SeriesKey;
use crate::state::{AnswerRow, StateError, StateStore};

/// The windows and their `window` label values.
pub const WINDOWS: [(&str, TimeDelta); 2] =
    [("7d", TimeDelta::days(7)), ("28d", TimeDelta::days(28))];
/// First-response quantiles exposed.
pub const QUANTILES: [f64; 3] = [0.5, 0.9, 0.99];

/// Computes every KPI gauge as of `now` and stores them.
pub async fn run(store: &StateStore, now: Instant) -> Result<Vec<(SeriesKey, f64)>, StateError> {
    let longest = WINDOWS.iter().map(|(_, d)| *d).max().unwrap_or_default();
    let answers = store.answers_since(now - longest).await?;
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
    store.save_kpis(&out).await?;
    Ok(out)
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
