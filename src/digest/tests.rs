//! The analysis on hand-built weeks: a planted volume spike, a planted
//! misrouting pattern and a planted low-CSAT category are each found with
//! the right numbers and in the right order; a quiet week with ordinary
//! noise raises nothing.

use chrono::Duration;

use super::analysis::{IssueKind, Scope, Subject, Thresholds, Weeks, issues};
use super::facts::{Comment, Created, Facts, Rating, Solve};
use super::week::IsoWeek;
use crate::model::{Instant, SurveyScore};
use crate::report::Period;

const CATEGORIES: [&str; 5] = ["refunds", "shipping", "login", "billing", "how-to"];

fn weeks() -> (IsoWeek, Weeks) {
    let w: IsoWeek = "2026-W47".parse().unwrap();
    let tz = chrono_tz::UTC;
    (
        w,
        Weeks {
            week: w.period(tz),
            previous: w.minus(1).period(tz),
            baseline: w.minus(1).span(4, tz),
        },
    )
}

/// The `i`-th moment of a week: spread over its days, in working hours.
fn at(week: Period, i: u64) -> Instant {
    week.from + Duration::days((i % 7) as i64) + Duration::hours(9 + (i / 7 % 8) as i64)
}

/// One week of one category for team `t`: `created` tickets, `solves`
/// solves of which `rerouted` went frontline → t, `ratings` CSAT answers of
/// which `satisfied` were 4–5.
#[allow(clippy::too_many_arguments)]
fn fill(
    f: &mut Facts,
    week: Period,
    category: &str,
    created: u64,
    solves: u64,
    rerouted: u64,
    ratings: u64,
    satisfied: u64,
) {
    for i in 0..created {
        f.created.push(Created {
            at: at(week, i),
            team: "t".into(),
            category: category.into(),
            requester: format!("{category}-{}-{i}", week.from.timestamp()),
            by_customer: true,
            teams: vec!["t".into()],
            repeat: false,
        });
    }
    for i in 0..solves {
        let route = if i < rerouted {
            vec!["frontline".into(), "t".into()]
        } else {
            vec!["t".into()]
        };
        f.solves.push(Solve {
            at: at(week, i),
            team: "t".into(),
            category: category.into(),
            route,
        });
    }
    for i in 0..ratings {
        f.ratings.push(Rating {
            at: at(week, i),
            team: "t".into(),
            category: category.into(),
            satisfied: i < satisfied,
        });
    }
}

/// Facts spanning the baseline and the week, with four identical baseline
/// weeks: per category 15 tickets, 15 solves (one re-routed every other
/// week), 10 CSAT answers with 8 satisfied. The week itself is empty.
fn with_baseline() -> (Weeks, Facts<'static>) {
    let (w, weeks) = weeks();
    let mut f = facts(Period {
        from: weeks.baseline.from,
        to: weeks.week.to,
    });
    for n in 1..=4 {
        let p = w.minus(n).period(chrono_tz::UTC);
        for c in CATEGORIES {
            fill(&mut f, p, c, 15, 15, u64::from(n % 2 == 1), 10, 8);
        }
    }
    (weeks, f)
}

fn facts(window: Period) -> Facts<'static> {
    Facts::new(
        Period {
            from: window.from - Duration::days(7),
            to: window.to,
        },
        &[],
    )
}

#[test]
fn a_quiet_week_with_normal_noise_raises_nothing() {
    let (weeks, mut f) = with_baseline();
    // Ordinary noise: a little more or less of everything.
    let noise = [
        (18, 16, 2, 11, 8),
        (12, 14, 1, 9, 6),
        (17, 15, 0, 10, 7),
        (13, 13, 2, 8, 7),
        (16, 17, 1, 12, 9),
    ];
    for (c, (cr, so, rr, ra, sa)) in CATEGORIES.iter().zip(noise) {
        fill(&mut f, weeks.week, c, cr, so, rr, ra, sa);
    }
    let found = issues(
        &f,
        &Scope::All,
        &weeks,
        chrono_tz::UTC,
        &Thresholds::default(),
    );
    assert!(found.issues.is_empty(), "{:#?}", found.issues);
    assert!(found.tests > 0, "the quiet week was tested, not skipped");
}

#[test]
fn planted_spike_misrouting_and_low_csat_are_found_with_their_numbers() {
    let (weeks, mut f) = with_baseline();
    // refunds: 60 tickets instead of 15 (a spike);
    fill(&mut f, weeks.week, "refunds", 60, 15, 1, 10, 8);
    // shipping: 12 of 20 solves came through frontline (misrouting);
    fill(&mut f, weeks.week, "shipping", 15, 20, 12, 10, 8);
    // login: 3 of 12 satisfied (low CSAT), with comments;
    fill(&mut f, weeks.week, "login", 15, 15, 1, 12, 3);
    for (i, (score, text)) in [
        (1, "Locked out for two days"),
        (2, "Reset link expired"),
        (5, "fine"),
        (1, "Still cannot log in"),
        (2, "Slow"),
    ]
    .into_iter()
    .enumerate()
    {
        f.comments.push(Comment {
            at: at(weeks.week, i as u64),
            team: "t".into(),
            category: "login".into(),
            score: SurveyScore::Csat(score),
            text: text.into(),
        });
    }
    // the rest as usual.
    fill(&mut f, weeks.week, "billing", 15, 15, 1, 10, 8);
    fill(&mut f, weeks.week, "how-to", 15, 15, 0, 10, 8);

    let th = Thresholds::default();
    let found = issues(&f, &Scope::Team("t".into()), &weeks, chrono_tz::UTC, &th);
    let kinds: Vec<(IssueKind, &Subject)> =
        found.issues.iter().map(|i| (i.kind, &i.subject)).collect();
    let cat = |c: &str| Subject::Category(c.into());
    assert_eq!(
        kinds,
        vec![
            (IssueKind::VolumeRise, &cat("refunds")),
            (IssueKind::Reroutes, &cat("shipping")),
            (IssueKind::LowCsat, &cat("login")),
        ],
        "{:#?}",
        found.issues
    );

    // Spike: 60 this week; the baseline held 4 × 15 = 60, so 15 a week.
    let spike = &found.issues[0];
    assert_eq!((spike.count, spike.out_of), (60, 60));
    assert_eq!(spike.usual, 15.0);
    assert_eq!(spike.excess, 45.0);
    // Under "no change", each of the five weeks holds a ticket with p = 1/5:
    // P(X ≥ 60 | n = 120, p = 0.2), 8 standard deviations out.
    assert!(
        spike.p_value > 0.0 && spike.p_value < 1e-12,
        "{}",
        spike.p_value
    );

    // Misrouting: 12 of 20; the baseline re-routed 2 of 60 solves per
    // category, 10 of 300 in all: usual 1/30, smoothed (10+1)/(300+2).
    let mis = &found.issues[1];
    assert_eq!((mis.count, mis.out_of), (12, 20));
    assert_eq!(mis.rate, Some(0.6));
    assert!((mis.usual - 10.0 / 300.0).abs() < 1e-12);
    assert!((mis.excess - (12.0 - 20.0 * 11.0 / 302.0)).abs() < 1e-9);
    assert_eq!(
        mis.route,
        Some((vec!["frontline".to_string(), "t".to_string()], 12))
    );

    // Low CSAT: 3 of 12 satisfied against 160 of 200 (80%) in the baseline.
    let csat = &found.issues[2];
    assert_eq!((csat.count, csat.out_of), (3, 12));
    assert_eq!(csat.usual, 0.8);
    assert!((csat.excess - (12.0 * 161.0 / 202.0 - 3.0)).abs() < 1e-9);
    // The three lowest-scored comments, worst first, newest first among equals.
    let quoted: Vec<&str> = csat.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        quoted,
        ["Still cannot log in", "Locked out for two days", "Slow"]
    );

    // Corrected level: every p-value beat alpha / tests.
    let level = th.alpha / found.tests as f64;
    assert!(found.issues.iter().all(|i| i.p_value < level));
}

#[test]
fn small_numbers_raise_nothing() {
    let (weeks, mut f) = with_baseline();
    // A category never seen before, with 4 tickets (< min_count 5), all
    // re-routed, and 4 unhappy answers (< min_responses 5).
    fill(&mut f, weeks.week, "brand-new", 4, 4, 4, 4, 0);
    let found = issues(
        &f,
        &Scope::All,
        &weeks,
        chrono_tz::UTC,
        &Thresholds::default(),
    );
    assert!(found.issues.is_empty(), "{:#?}", found.issues);
}

#[test]
fn slo_breaches_concentrated_in_friday_evening_are_a_staffing_gap() {
    use super::facts::Judgment;
    let (_, weeks) = weeks();
    let mut f = facts(weeks.week);
    // 100 tickets spread over the week, 5% breached …
    for i in 0..100u64 {
        f.judgments.push(Judgment {
            at: at(weeks.week, i),
            arrived: at(weeks.week, i),
            team: "t".into(),
            breached: i % 20 == 0,
        });
    }
    // … and 10 arriving Friday 18:00–21:00 (UTC here), 8 breached.
    let friday_evening = weeks.week.from + Duration::days(4) + Duration::hours(18);
    for i in 0..10 {
        f.judgments.push(Judgment {
            at: friday_evening + Duration::minutes(15 * i),
            arrived: friday_evening + Duration::minutes(15 * i),
            team: "t".into(),
            breached: i < 8,
        });
    }
    let found = issues(
        &f,
        &Scope::All,
        &weeks,
        chrono_tz::UTC,
        &Thresholds::default(),
    );
    assert_eq!(found.issues.len(), 1, "{:#?}", found.issues);
    let gap = &found.issues[0];
    assert_eq!(gap.kind, IssueKind::SloBreachHours);
    assert_eq!(
        gap.subject,
        Subject::Hours {
            weekday: 4,
            from_hour: 18,
            to_hour: 21
        }
    );
    assert_eq!((gap.count, gap.out_of), (8, 10));
    // The rest of the week: 5 of 100.
    assert_eq!(gap.usual, 0.05);
}

#[test]
fn repeat_contacts_are_the_same_customer_and_category_within_7_days() {
    let (_, weeks) = weeks();
    let mut f = facts(weeks.week);
    let day = |d: i64| weeks.week.from - Duration::days(7) + Duration::days(d);
    // (day, requester, category, opened by the customer)
    let opened = [
        (0, "ann", "login", true),
        (1, "ann", "login", false), // an agent's outbound ticket: not a contact
        (5, "ann", "login", true),  // 5 days after day 0: repeat
        (6, "ann", "billing", true), // another category: not a repeat
        (13, "ann", "login", true), // 8 days after day 5: not a repeat
        (14, "bob", "login", true), // another customer
        (9, "ann", "billing", true), // out of order in the list; 3 days after day 6: repeat
    ];
    for (d, who, category, by_customer) in opened {
        f.created.push(Created {
            at: day(d),
            team: "t".into(),
            category: category.into(),
            requester: who.into(),
            by_customer,
            teams: vec!["t".into()],
            repeat: false,
        });
    }
    f.mark_repeat_contacts();
    let flags: Vec<bool> = f.created.iter().map(|c| c.repeat).collect();
    assert_eq!(flags, [false, false, true, false, false, false, true]);
}

#[test]
fn outcome_labels_lists_every_outcome() {
    // The exporter starts each of these at 0; a new outcome must be listed.
    use crate::digest::send::Outcome;
    let all = [
        Outcome::Sent {
            message_id: String::new(),
            attempts: 1,
        },
        Outcome::AlreadySent,
        Outcome::Busy,
        Outcome::Failed {
            error: String::new(),
            attempts: 1,
        },
        Outcome::Refused {
            error: String::new(),
        },
    ];
    let labels: Vec<&str> = all.iter().map(Outcome::label).collect();
    assert_eq!(labels, Outcome::LABELS);
}

/// Values taken from the data — a category, survey comments — arrive in
/// the email as text: HTML is escaped in the HTML part, and a line break
/// in a value cannot start a header.
#[test]
fn values_from_the_data_are_escaped_and_cannot_inject_headers() {
    let (weeks, mut f) = with_baseline();
    let evil = "login<script>alert(1)</script>\r\nBcc: victim@evil.example";
    fill(&mut f, weeks.week, "refunds", 60, 15, 1, 10, 8);
    for (i, text) in [
        "<img src=x onerror=alert(1)> never again",
        "bad\r\nBcc: victim@evil.example",
        "<b>worst</b> & rudest",
    ]
    .into_iter()
    .enumerate()
    {
        f.comments.push(Comment {
            at: at(weeks.week, i as u64),
            team: "t".into(),
            category: "refunds".into(),
            score: SurveyScore::Csat(1),
            text: text.into(),
        });
    }
    // A low-CSAT category whose name is itself an injection attempt.
    fill(&mut f, weeks.week, evil, 15, 15, 1, 12, 2);
    let scope = Scope::Team("t".into());
    let findings = issues(&f, &scope, &weeks, chrono_tz::UTC, &Thresholds::default());
    assert!(!findings.issues.is_empty());
    let d = week_47(&weeks, scope, findings);
    let r = super::render::render(&d, super::locale::Locale::En, None).expect("render");
    assert!(!r.html.contains("<script>"), "{}", r.html);
    assert!(!r.html.contains("<img"), "{}", r.html);
    assert!(!r.html.contains("<b>worst"), "{}", r.html);
    assert!(r.html.contains("&lt;b&gt;worst"), "{}", r.html);
    assert!(
        r.html.contains("login&lt;script&gt;"),
        "the category is listed, escaped"
    );
    let from: lettre::message::Mailbox = "Support metrics <sm@support.example>".parse().unwrap();
    let to: lettre::message::Mailbox = "Lead <lead@support.example>".parse().unwrap();
    let id = super::render::message_id(&d, &to, &from);
    let m = super::render::message(&r, &from, &[to], id, weeks.week.to).expect("message");
    let raw = String::from_utf8(m.formatted()).expect("utf-8");
    let headers = raw.split("\r\n\r\n").next().unwrap_or_default();
    assert!(
        !headers
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{headers}"
    );
    // Only the body may hold the text, where it is a line of a quote.
    assert_eq!(
        raw.matches("victim@evil.example").count(),
        raw[headers.len()..].matches("victim@evil.example").count()
    );
    assert!(
        r.text.contains("<b>worst</b> & rudest"),
        "the text part quotes as written"
    );
}

/// One issue is not ranked ("the most important first" is for several);
/// the headline table's heading is plural in French and Italian.
#[test]
fn a_single_issue_is_not_ranked() {
    let (weeks, mut f) = with_baseline();
    fill(&mut f, weeks.week, "refunds", 60, 15, 1, 10, 8);
    let scope = Scope::Team("t".into());
    let mut findings = issues(&f, &scope, &weeks, chrono_tz::UTC, &Thresholds::default());
    assert!(!findings.issues.is_empty());
    findings.issues.truncate(1);
    findings.more = 0;
    let d = week_47(&weeks, scope, findings);
    let en = super::render::render(&d, super::locale::Locale::En, None).expect("render");
    assert!(en.text.contains("1 issue found.\n"), "{}", en.text);
    assert!(!en.text.contains("most important"), "{}", en.text);
    let fr = super::render::render(&d, super::locale::Locale::Fr, None).expect("render");
    assert!(fr.text.contains("1 problème détecté.\n"), "{}", fr.text);
    assert!(fr.text.contains("\nIndicateurs\n"), "{}", fr.text);
}

/// Week 47's digest of `findings`, without headline or trend.
fn week_47(weeks: &Weeks, scope: Scope, findings: super::analysis::Findings) -> super::Digest {
    super::Digest {
        week: "2026-W47".parse().unwrap(),
        period: weeks.week,
        scope,
        headline: Vec::new(),
        trend: Vec::new(),
        findings,
    }
}
