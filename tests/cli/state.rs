//! The state store on its three backends, through the library: what a
//! commit writes comes back on load, keys are exact (case and all), and the
//! digest log's claims are exclusive.

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use support_metrics::config::StateSettings;
use support_metrics::metrics;
use support_metrics::rejects::RowKey;
use support_metrics::state::series::{Cumulative, SeriesKey};
use support_metrics::state::{
    AnswerRow, Claim, Commit, DigestKey, Pending, StateStore, TicketRow, Watermark,
};

use crate::helpers::TestDb;

async fn round_trip(url: &str) {
    let store = StateStore::open(&StateSettings::with_url(url))
        .await
        .expect("open the state store");
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 29, 0, 30, 0)
        .single()
        .expect("instant");
    let mut cumulative = Cumulative::default();
    // Two label values that differ only in case are two series.
    for team in ["Billing", "billing"] {
        cumulative.inc(
            &metrics::CREATED,
            &[
                ("team", team.into()),
                ("channel", "email".into()),
                ("priority", "high".into()),
            ],
            if team == "Billing" { 2.0 } else { 3.0 },
        );
    }
    let ticket = TicketRow {
        id: "T-1".into(),
        created_at: t0,
        created_by: "customer".into(),
        priority: "high".into(),
        channel: "email".into(),
        team: Some("billing".into()),
        status: "open".into(),
        is_open: true,
        first_response_at: Some(t0 + chrono::TimeDelta::minutes(30)),
        first_response_seconds: Some(1800.0),
        first_resolution_at: None,
        source_updated_at: Some(t0 + chrono::TimeDelta::minutes(31)),
        status_since: Some(t0 + chrono::TimeDelta::minutes(30)),
        status_seconds: Some("new=1800/1800".into()),
        facts: None,
        requester_hash: None,
        last_event_at: None,
        timeline: None,
    };
    let answer = AnswerRow {
        relation: "surveys",
        id: "s-1".into(),
        responded_at: t0,
        team: Some("billing".into()),
        question: "csat".into(),
        score: 4,
    };
    let watermark = Watermark {
        last_event_id: Some(42),
        tickets_since: Some(t0),
        responses_since: Some(t0),
        bucket_layout: "layout-1".into(),
        // Ids 3..=4 and 9 awaited (commit order): kept with the watermark.
        pending: Pending::decode("3:4@1764583200000000,9:9@1764583260000000").expect("pending ids"),
    };
    for round in 0..2 {
        // The second commit rewrites the same keys: upserts, not duplicates.
        let (counters, histograms) = cumulative.changed();
        store
            .commit(&Commit {
                watermark: watermark.clone(),
                counters,
                histograms,
                tickets: vec![ticket.clone()],
                answers: vec![answer.clone()],
                label_values: vec![
                    ("team".into(), "Billing".into()),
                    ("team".into(), "billing".into()),
                ],
                // Both signs: the key is a 64-bit hash stored as BIGINT.
                rejected_rows: vec![RowKey(7), RowKey(-9)],
                forget_answers_before: t0 - chrono::TimeDelta::days(1),
                forget_servqual_before: t0 - chrono::TimeDelta::days(1),
                forget_facts_before: None,
                timelines_from: None,
            })
            .await
            .unwrap_or_else(|e| panic!("commit {round}: {e}"));
        cumulative.inc(
            &metrics::CREATED,
            &[
                ("team", "billing".into()),
                ("channel", "email".into()),
                ("priority", "high".into()),
            ],
            1.0,
        );
    }
    let loaded = store.load().await.expect("load");
    assert_eq!(loaded.watermark, Some(watermark));
    let value = |team: &str| {
        let key = SeriesKey::new(
            &metrics::CREATED,
            vec![
                ("team", team.into()),
                ("channel", "email".into()),
                ("priority", "high".into()),
            ],
        );
        loaded.cumulative.counter(&key)
    };
    assert_eq!(value("Billing"), Some(2.0), "{url}");
    // 3, plus the 1 added after the first commit.
    assert_eq!(value("billing"), Some(4.0), "{url}");
    assert_eq!(
        loaded.label_values.get("team").map(|v| v.len()),
        Some(2),
        "{url}"
    );
    assert_eq!(
        store.open_tickets().await.expect("open tickets"),
        vec![(ticket.clone(), String::new())]
    );
    // What incremental runs compare a re-read row with.
    let known = store
        .known_tickets(&["T-1".into(), "T-2".into()])
        .await
        .expect("known tickets");
    assert_eq!(known.len(), 1, "{url}");
    assert_eq!(known.get("T-1"), Some(&ticket.source_updated_at), "{url}");
    let counted = store
        .counted_rejections(&[RowKey(7), RowKey(8), RowKey(-9)])
        .await
        .expect("counted rejections");
    assert_eq!(counted, HashSet::from([RowKey(7), RowKey(-9)]), "{url}");
    let answers = store.answers_since(t0).await.expect("answers");
    assert_eq!(answers, vec![answer]);
    assert_eq!(
        store
            .first_responses_since(t0)
            .await
            .expect("first responses"),
        vec![(t0 + chrono::TimeDelta::minutes(30), 1800.0)]
    );

    // Digest claims: exclusive, final once sent, free again after a failure.
    let key = DigestKey {
        week: "2026-W13".into(),
        scope: "billing".into(),
        recipient: "lead@support.example".into(),
    };
    let other = DigestKey {
        recipient: "Lead@support.example".into(),
        ..key.clone()
    };
    let claim = |k: &DigestKey, owner: &'static str| {
        let (store, k) = (&store, k.clone());
        async move { store.claim_digest(&k, owner, t0).await.expect("claim") }
    };
    assert_eq!(claim(&key, "a").await, Claim::Mine);
    assert_eq!(claim(&key, "b").await, Claim::Busy);
    assert_eq!(claim(&other, "b").await, Claim::Mine, "{url}: case matters");
    store
        .digest_failed(&other, "b", "451 try later", 1)
        .await
        .expect("failed");
    assert_eq!(claim(&other, "a").await, Claim::Mine);
    store
        .digest_sent(&key, "a", "<m1@x>", 2, t0)
        .await
        .expect("sent");
    assert_eq!(claim(&key, "b").await, Claim::AlreadySent);
    let log = store.digest_log("2026-W13").await.expect("log");
    assert_eq!(log.len(), 2);
    let sent = log.iter().find(|r| r.key == key).expect("sent row");
    assert_eq!(
        (
            sent.status.as_str(),
            sent.attempts,
            sent.message_id.as_deref()
        ),
        ("sent", 2, Some("<m1@x>"))
    );

    store.reset().await.expect("reset");
    assert_eq!(store.load().await.expect("load").watermark, None);
}

#[tokio::test]
async fn state_store_round_trip_sqlite() {
    let db = TestDb::sqlite();
    round_trip(&format!(
        "sqlite://{}",
        db.dir.path().join("state.sqlite").display()
    ))
    .await;
}

#[tokio::test]
async fn state_store_round_trip_postgres() {
    let Some(db) = TestDb::postgres("state_pg").await else {
        return;
    };
    round_trip(&db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn state_store_round_trip_mariadb() {
    let Some(db) = TestDb::mysql("state_mysql").await else {
        return;
    };
    round_trip(&db.url).await;
    db.cleanup().await;
}
