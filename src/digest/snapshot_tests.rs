//! The demo's billing digest of week 48, 2026, as its lead reads it, in
//! each language, text and HTML: snapshots (insta) reviewed line by line
//! when accepted. The demo helpdesk is generated from its fixed seed, with
//! the clock fixed at Tuesday 1 December 2026, so the digest only changes
//! when the code does.

use chrono::TimeZone;

use crate::config::{Settings, SourceSettings};
use crate::demo::{EXAMPLE_CONFIG, generate, write};
use crate::digest::{IsoWeek, analyse, locale::Locale, render};
use crate::source::{Access, Source};

#[tokio::test]
async fn the_demo_billing_digest_reads_as_reviewed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
    let settings =
        Settings::from_toml("example", EXAMPLE_CONFIG, Vec::new()).expect("example config");
    let settings = Settings {
        source: SourceSettings::with_url(&url),
        ..settings
    };
    let source = Source::connect(&settings.source, Access::ReadWrite)
        .await
        .expect("sqlite");
    source.migrate_canonical().await.expect("tables");
    let end = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let shape = generate::Shape {
        seed: 42,
        weeks: 13,
        end,
        tickets_per_week: 650,
        total_tickets: None,
    };
    let data = generate::generate(&shape, &settings.calendars);
    write::insert(&source, &data).await.expect("demo rows");
    let week: IsoWeek = "2026-W48".parse().expect("week");
    let now = end + chrono::Duration::days(1) + chrono::Duration::hours(9);
    let analysis = analyse(&source, None, &settings, week, now)
        .await
        .expect("analysis");
    let billing = analysis.scope("billing").expect("billing's digest");
    for locale in [Locale::En, Locale::Fr, Locale::It] {
        let r = render::render(
            billing,
            locale,
            Some("https://grafana.example/d/support-team"),
        )
        .expect("render");
        // An 80-column client, quoted once: only an unbreakable word (a
        // URL) may pass 76 columns.
        for line in r.text.lines() {
            assert!(
                line.chars().count() <= render::TEXT_COLUMNS || !line.trim().contains(' '),
                "{locale}: {line}"
            );
        }
        insta::assert_snapshot!(format!("billing_w48_{locale}_subject"), r.subject);
        insta::assert_snapshot!(format!("billing_w48_{locale}_text"), r.text);
        insta::assert_snapshot!(format!("billing_w48_{locale}_html"), r.html);
    }
}
