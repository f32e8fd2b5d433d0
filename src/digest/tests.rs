//! The analysis on hand-built weeks: a planted volume spike, a planted
//! misrouting pattern and a planted low-CSAT category are each found with
//! the right numbers and in the right order; a quiet week with ordinary
//! noise raises nothing; a pattern of every week is persistent, not new;
//! one category's findings are one issue; SLOs below objective are issues.

use chrono::Duration;

use super::analysis::{FacetKind, Findings, Scope, SloHistory, Subject, Thresholds, Weeks, issues};
use super::facts::{Comment, Confirmation, Created, Facts, Rating, Reply, Solve, names};
use super::week::IsoWeek;
use crate::model::Period;
use crate::model::{Instant, Seconds, SurveyScore};

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
            each: [4, 3, 2, 1].map(|n| w.minus(n).period(tz)),
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
            teams: names(&["t"]),
            repeat: false,
        });
    }
    for i in 0..solves {
        let route = if i < rerouted {
            names(&["frontline", "t"])
        } else {
            names(&["t"])
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
            teams: names(&["t"]),
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
        window.to,
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
        &[],
        None,
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
            teams: names(&["t"]),
            category: "login".into(),
            score: SurveyScore::Csat(score),
            text: text.into(),
        });
    }
    // the rest as usual.
    fill(&mut f, weeks.week, "billing", 15, 15, 1, 10, 8);
    fill(&mut f, weeks.week, "how-to", 15, 15, 0, 10, 8);

    let th = Thresholds::default();
    let found = issues(
        &f,
        &Scope::Team("t".into()),
        &weeks,
        chrono_tz::UTC,
        &th,
        &[],
        None,
    );
    let kinds: Vec<(&Subject, Vec<FacetKind>)> = found
        .issues
        .iter()
        .map(|i| (&i.subject, i.facets.iter().map(|f| f.kind).collect()))
        .collect();
    let cat = |c: &str| Subject::Category(c.into());
    assert_eq!(
        kinds,
        vec![
            (&cat("refunds"), vec![FacetKind::Volume]),
            (&cat("shipping"), vec![FacetKind::Reroutes]),
            (&cat("login"), vec![FacetKind::LowCsat]),
        ],
        "{:#?}",
        found.issues
    );

    // Spike: 60 this week; the baseline held 4 × 15 = 60, so 15 a week.
    let spike = &found.issues[0].facets[0];
    assert_eq!((spike.count, spike.out_of), (60, 60));
    assert_eq!(spike.usual, 15.0);
    assert_eq!(spike.excess, 45.0);
    assert_eq!(found.issues[0].affected(), 45.0);
    // Under "no change", each of the five weeks holds a ticket with p = 1/5:
    // P(X ≥ 60 | n = 120, p = 0.2), 8 standard deviations out.
    assert!(
        spike.p_value > 0.0 && spike.p_value < 1e-12,
        "{}",
        spike.p_value
    );
    // The day with the most extra tickets, the earliest on a tie: 60
    // tickets put 9 on Monday–Thursday and 8 on Friday–Sunday; a baseline
    // week's 15 put 3 on Monday and 2 on each other day. Tuesday: 9 − 2.
    let peak = spike.peak.expect("a peak day");
    assert_eq!((peak.weekday, peak.count, peak.usual), (1, 9, 2.0));

    // Misrouting, like with like: 12 of 20 against shipping's own usual.
    // Shipping re-routed 2 of its 60 baseline solves; the scope 10 of 300
    // (smoothed 11/302); with 10 pseudo-solves at the scope's rate the
    // usual is (2 + 10 × 11/302) / (60 + 10).
    let mis = &found.issues[1].facets[0];
    let own = (2.0 + 10.0 * 11.0 / 302.0) / 70.0;
    assert_eq!((mis.count, mis.out_of), (12, 20));
    assert_eq!(mis.rate(), Some(0.6));
    assert!((mis.usual - own).abs() < 1e-12, "{}", mis.usual);
    assert_eq!(mis.before, Some(2.0 / 60.0));
    assert!((mis.excess - (12.0 - 20.0 * own)).abs() < 1e-9);
    assert_eq!(mis.persistent, None);
    assert_eq!(
        mis.route,
        Some((vec!["frontline".to_string(), "t".to_string()], 12))
    );

    // Low CSAT: 9 of 12 unsatisfied; login's baseline 8 of 40 unsatisfied,
    // the scope's 40 of 200 (smoothed 41/202): usual (8 + 10 × 41/202) / 50.
    let login = &found.issues[2];
    let csat = &login.facets[0];
    let own = (8.0 + 10.0 * 41.0 / 202.0) / 50.0;
    assert_eq!((csat.count, csat.out_of), (9, 12));
    assert!((csat.usual - own).abs() < 1e-12, "{}", csat.usual);
    assert!((csat.excess - (9.0 - 12.0 * own)).abs() < 1e-9);
    // The three lowest-scored comments, worst first, newest first among equals.
    let quoted: Vec<&str> = login.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        quoted,
        ["Still cannot log in", "Locked out for two days", "Slow"]
    );
    assert_eq!(login.owner.as_deref(), Some("t"));

    // Corrected level: every p-value beat alpha / tests.
    let level = th.alpha / found.tests as f64;
    assert!(
        found
            .issues
            .iter()
            .flat_map(|i| &i.facets)
            .all(|f| f.p_value < level)
    );
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
        &[],
        None,
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
            teams: names(&["t"]),
            slo: 0,
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
            teams: names(&["t"]),
            slo: 0,
            breached: i < 8,
        });
    }
    let found = issues(
        &f,
        &Scope::All,
        &weeks,
        chrono_tz::UTC,
        &Thresholds::default(),
        &[],
        None,
    );
    assert_eq!(found.issues.len(), 1, "{:#?}", found.issues);
    assert_eq!(found.issues[0].owner.as_deref(), Some("t"));
    let subject = &found.issues[0].subject;
    let gap = &found.issues[0].facets[0];
    assert_eq!(gap.kind, FacetKind::BreachHours);
    assert_eq!(
        *subject,
        Subject::Hours {
            weekday: 4,
            from_hour: 18,
            to_hour: 21
        }
    );
    assert_eq!((gap.count, gap.out_of), (8, 10));
    // The rest of the week: 5 of 100 (tested against 6/102, smoothed).
    assert_eq!(gap.before, Some(0.05));
    assert_eq!(gap.usual, 6.0 / 102.0);
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
            teams: names(&["t"]),
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
            teams: names(&["t"]),
            category: "refunds".into(),
            score: SurveyScore::Csat(1),
            text: text.into(),
        });
    }
    // A low-CSAT category whose name is itself an injection attempt.
    fill(&mut f, weeks.week, evil, 15, 15, 1, 12, 2);
    let scope = Scope::Team("t".into());
    let findings = team_t(&weeks, &f, &[]);
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
    let mut findings = team_t(&weeks, &f, &[]);
    assert!(!findings.issues.is_empty());
    findings.issues.truncate(1);
    findings.more = 0;
    let d = week_47(&weeks, scope, findings);
    let en = super::render::render(&d, super::locale::Locale::En, None).expect("render");
    assert!(en.text.contains("1 issue found.\n"), "{}", en.text);
    assert!(!en.text.contains("first."), "{}", en.text);
    let fr = super::render::render(&d, super::locale::Locale::Fr, None).expect("render");
    assert!(fr.text.contains("1 problème détecté.\n"), "{}", fr.text);
    assert!(fr.text.contains("\nIndicateurs ("), "{}", fr.text);
}

/// Week 47's digest of `findings`, without headline or trend.
fn week_47(weeks: &Weeks, scope: Scope, findings: super::analysis::Findings) -> super::Digest {
    super::Digest {
        week: "2026-W47".parse().unwrap(),
        period: weeks.week,
        scope,
        headline: Vec::new(),
        trend: Vec::new(),
        slos: Vec::new(),
        findings,
        monday: super::analysis::Monday {
            open: 0,
            older_than_week: 0,
            median_age: None,
            oldest_waiting: None,
            busiest: Vec::new(),
        },
        health: None,
    }
}

/// `t`'s facts with, per week, `shipping` (40 solves, 2 re-routed) and
/// `how-to` (`how_to[w]` = (solves, re-routed) in each baseline week,
/// then `this` in the week itself).
fn routing_weeks(how_to: [(u64, u64); 4], this: (u64, u64)) -> (Weeks, Facts<'static>) {
    let (w, weeks) = weeks();
    let mut f = facts(Period {
        from: weeks.baseline.from,
        to: weeks.week.to,
    });
    for (n, (solves, rerouted)) in (1..=4).rev().zip(how_to) {
        let p = w.minus(n).period(chrono_tz::UTC);
        fill(&mut f, p, "shipping", 0, 40, 2, 0, 0);
        fill(&mut f, p, "how-to", 0, solves, rerouted, 0, 0);
    }
    fill(&mut f, weeks.week, "shipping", 0, 40, 2, 0, 0);
    fill(&mut f, weeks.week, "how-to", 0, this.0, this.1, 0, 0);
    (weeks, f)
}

fn team_t(weeks: &Weeks, f: &Facts, slos: &[SloHistory]) -> Findings {
    let th = Thresholds::default();
    issues(
        f,
        &Scope::Team("t".into()),
        weeks,
        chrono_tz::UTC,
        &th,
        slos,
        None,
    )
}

/// How-to tickets re-routed in every baseline week are a standing routing
/// problem: reported once, as persistent, against the team's rate — not as
/// a spike against their own (always bad) usual.
#[test]
fn a_pattern_of_every_week_is_persistent_not_new() {
    let (weeks, f) = routing_weeks([(10, 10); 4], (10, 10));
    let found = team_t(&weeks, &f, &[]);
    assert_eq!(found.issues.len(), 1, "{:#?}", found.issues);
    let issue = &found.issues[0];
    assert_eq!(issue.subject, Subject::Category("how-to".into()));
    assert!(issue.persistent());
    let routing = &issue.facets[0];
    assert_eq!(routing.kind, FacetKind::Reroutes);
    assert_eq!(routing.persistent, Some(4));
    // The team's baseline: shipping 8 of 160 and how-to 40 of 40, 48 of
    // 200, smoothed 49/202. How-to against its own usual,
    // (40 + 10 × 49/202) / 50 = 0.8485, is no news: 0.8485^10 = 0.19.
    let scope = 49.0 / 202.0;
    assert!((routing.usual - scope).abs() < 1e-12);
    assert_eq!(routing.before, Some(1.0));
    assert!((routing.excess - (10.0 - 10.0 * scope)).abs() < 1e-9);
    // Against the team's rate: P(X = 10 | n = 10, p = 49/202).
    assert!((routing.p_value - scope.powi(10)).abs() < 1e-15);
    // Two tests: how-to's own usual, then the team's rate.
    assert_eq!(found.tests, 2);

    // However many tickets: always at 100% is never "worse than usual"
    // (smoothing toward the team's rate would make it so every week).
    let (weeks, f) = routing_weeks([(30, 30); 4], (30, 30));
    let found = team_t(&weeks, &f, &[]);
    assert_eq!(found.issues.len(), 1, "{:#?}", found.issues);
    assert_eq!(found.issues[0].facets[0].persistent, Some(4));

    // A standing problem that got worse is news: how-to re-routed 5 of 10
    // every week, 10 of 10 this week. Against its own history (20 of 40):
    // P(X = 10 | 10, 0.5) = 0.00098 < 0.01 / 2 tests.
    let (weeks, f) = routing_weeks([(10, 5); 4], (10, 10));
    let found = team_t(&weeks, &f, &[]);
    assert_eq!(found.issues.len(), 1, "{:#?}", found.issues);
    let worse = &found.issues[0].facets[0];
    assert_eq!(worse.persistent, None);
    assert_eq!((worse.usual, worse.excess), (0.5, 5.0));

    // A quiet week without how-to tickets neither makes nor breaks it.
    let (weeks, f) = routing_weeks([(10, 10), (0, 0), (10, 10), (10, 10)], (10, 10));
    let found = team_t(&weeks, &f, &[]);
    assert_eq!(found.issues[0].facets[0].persistent, Some(3));

    // A baseline week when how-to was routed right: not a standing
    // pattern, and no worse than its own usual: nothing to report.
    let (weeks, f) = routing_weeks([(10, 10), (10, 1), (10, 10), (10, 10)], (10, 10));
    let found = team_t(&weeks, &f, &[]);
    assert!(found.issues.is_empty(), "{:#?}", found.issues);

    // A new spike stays new: how-to usually 1 in 10, this week 10 of 10.
    let (weeks, f) = routing_weeks([(10, 1); 4], (10, 10));
    let found = team_t(&weeks, &f, &[]);
    assert_eq!(found.issues.len(), 1, "{:#?}", found.issues);
    assert_eq!(found.issues[0].facets[0].persistent, None);
    assert!(!found.issues[0].persistent());
}

/// A category's volume, misrouting and CSAT in one week are one issue with
/// three facets (most affected first), ranked by its largest excess, with
/// the customers' words under it.
#[test]
fn one_category_is_one_issue_with_its_facets() {
    let (weeks, mut f) = with_baseline();
    // refunds: 60 tickets (15 usual), 12 of 20 solves re-routed, 3 of 12
    // answers satisfied; shipping: 10 of 20 solves re-routed.
    fill(&mut f, weeks.week, "refunds", 60, 20, 12, 12, 3);
    fill(&mut f, weeks.week, "shipping", 15, 20, 10, 10, 8);
    f.comments.push(Comment {
        at: at(weeks.week, 0),
        teams: names(&["t"]),
        category: "refunds".into(),
        score: SurveyScore::Csat(1),
        text: "Charged twice".into(),
    });
    let found = team_t(&weeks, &f, &[]);
    assert_eq!(found.issues.len(), 2, "{:#?}", found.issues);
    let refunds = &found.issues[0];
    assert_eq!(refunds.subject, Subject::Category("refunds".into()));
    let kinds: Vec<FacetKind> = refunds.facets.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [FacetKind::Volume, FacetKind::Reroutes, FacetKind::LowCsat]
    );
    // Excesses: volume 60 − 15 = 45; re-routes 12 − 20 × (2 + 10 × 11/302)
    // / 70; CSAT 9 − 12 × (8 + 10 × 41/202) / 50.
    let reroute_usual = (2.0 + 10.0 * 11.0 / 302.0) / 70.0;
    let csat_usual = (8.0 + 10.0 * 41.0 / 202.0) / 50.0;
    let excess: Vec<f64> = refunds.facets.iter().map(|f| f.excess).collect();
    for (got, want) in
        excess
            .iter()
            .zip([45.0, 12.0 - 20.0 * reroute_usual, 9.0 - 12.0 * csat_usual])
    {
        assert!((got - want).abs() < 1e-9, "{excess:?}");
    }
    assert_eq!(refunds.affected(), 45.0);
    assert_eq!(refunds.comments.len(), 1);
    // shipping: 10 − 20 × the same usual, fewer people: second.
    let shipping = &found.issues[1];
    assert_eq!(shipping.facets.len(), 1);
    assert!((shipping.affected() - (10.0 - 20.0 * reroute_usual)).abs() < 1e-9);
}

/// An SLO below its objective is an issue of its own, ranked by the
/// breaches beyond its error budget; one below it every week is
/// persistent; one that meets it, or has too few breaches, is not.
#[test]
fn slos_below_their_objective_are_issues() {
    let (_, weeks) = weeks();
    let f = facts(weeks.week);
    let slo = |i: usize, objective: f64, each: (u64, u64), week: (u64, u64)| SloHistory {
        slo: i,
        name: format!("slo{i}"),
        objective,
        each: [each; 4],
        week,
    };
    let slos = [
        // 96% in the baseline, 80% this week: 20 breaches, 5 allowed.
        slo(0, 0.95, (100, 4), (100, 20)),
        // 80% every week against 95%: persistent, 10 breaches, 2.5 allowed.
        slo(1, 0.95, (50, 10), (50, 10)),
        // 96% this week (8 breaches of 200): met.
        slo(2, 0.95, (200, 8), (200, 8)),
        // 60% but on 10 tickets: 4 breaches are fewer than min_count 5.
        slo(3, 0.95, (10, 4), (10, 4)),
        // 80% every week, 40% this week: missed every week, but this week
        // is news (30 breaches against its own 40 of 200).
        slo(4, 0.95, (50, 10), (50, 30)),
    ];
    let found = team_t(&weeks, &f, &slos);
    let got: Vec<(&Subject, Option<u32>, f64)> = found
        .issues
        .iter()
        .map(|i| (&i.subject, i.facets[0].persistent, i.affected()))
        .collect();
    let s = |i: usize| Subject::Slo {
        slo: i,
        name: format!("slo{i}"),
    };
    // News first by the breaches beyond the budget, the standing one last.
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!((got[0].0, got[0].1), (&s(4), None));
    assert!((got[0].2 - 27.5).abs() < 1e-9, "30 − 50 × 0.05");
    assert_eq!((got[1].0, got[1].1), (&s(0), None));
    assert!((got[1].2 - 15.0).abs() < 1e-9, "20 − 100 × 0.05");
    assert_eq!((got[2].0, got[2].1), (&s(1), Some(4)));
    assert!((got[2].2 - 7.5).abs() < 1e-9, "10 − 50 × 0.05");
    let first = &found.issues[1].facets[0];
    assert_eq!(first.before, Some(0.96));
    let p = super::significance::upper_tail(20, 100, 0.05);
    assert!((first.p_value - p).abs() < p * 1e-9, "{}", first.p_value);
    // Tested: the four with at least 5 breaches, the two missed every
    // week twice (against their budget, against their own history); slo2
    // met its objective.
    assert_eq!(found.tests, 6);
    assert_eq!(found.issues[0].owner.as_deref(), Some("t"));
}

/// The Monday view: the backlog at the week's end and its age, the oldest
/// ticket waiting on the team, and the busiest hours of the week.
#[test]
fn the_monday_view_counts_backlog_oldest_and_busiest_hours() {
    use super::facts::Open;
    use crate::model::Status;
    let (_, weeks) = weeks();
    let mut f = facts(weeks.week);
    let end = weeks.week.to;
    let open = |id: &str, age: Duration, status: Status, team: &str| Open {
        ticket: id.into(),
        created_at: end - age,
        teams: names(&[team]),
        status,
        awaiting_first_response: false,
    };
    f.open = vec![
        // Waiting on the customer for 10 days: old, but not waiting on us.
        open("T-1", Duration::days(10), Status::Pending, "t"),
        open("T-2", Duration::days(2), Status::Open, "t"),
        open("T-3", Duration::hours(1), Status::New, "t"),
        open("U-1", Duration::days(20), Status::Open, "u"),
    ];
    let mon = weeks.week.from;
    for (day, hour, n) in [(0, 9, 3), (1, 14, 2), (2, 10, 1), (3, 8, 1)] {
        for i in 0..n {
            f.created.push(Created {
                at: mon + Duration::days(day) + Duration::hours(hour) + Duration::minutes(i * 10),
                team: "t".into(),
                category: "x".into(),
                requester: format!("r{day}{i}"),
                by_customer: true,
                teams: names(&["t"]),
                repeat: false,
            });
        }
    }
    let m = super::analysis::monday(
        &f,
        &Scope::Team("t".into()),
        weeks.week,
        end,
        chrono_tz::UTC,
    );
    assert_eq!(m.open, 3);
    assert_eq!(m.older_than_week, 1);
    assert_eq!(m.median_age, Some(2.0 * 86_400.0));
    assert_eq!(m.oldest_waiting, Some(("T-2".to_string(), 2.0 * 86_400.0)));
    // Most tickets first; on a tie (Wednesday 10:00, Thursday 08:00) the
    // earlier hour of the week.
    assert_eq!(m.busiest, [(0, 9, 3), (1, 14, 2), (2, 10, 1)]);
    // The all-teams view holds u's ticket too: the oldest waiting is U-1.
    let all = super::analysis::monday(&f, &Scope::All, weeks.week, end, chrono_tz::UTC);
    assert_eq!(all.open, 4);
    assert_eq!(
        all.oldest_waiting.map(|(id, _)| id),
        Some("U-1".to_string())
    );
}

/// One concept, one count: over a generated helpdesk with misroutes, the
/// headline's numbers for a team (`Aggregator::by_teams_reached`) and the
/// facts its issues count agree exactly, week by week, for every team.
#[test]
fn headline_and_issues_count_the_same_tickets() {
    use crate::demo::generate::{Shape, TEAMS, generate};
    use crate::engine::calendar::Calendars;
    use crate::engine::timeline::walk;
    use crate::report::aggregate::{Aggregator, Dimension};
    use std::collections::HashMap;

    let (w, weeks) = weeks();
    let calendars = Calendars::default();
    let data = generate(
        &Shape {
            seed: 7,
            weeks: 6,
            end: weeks.week.to,
            tickets_per_week: 300,
            total_tickets: None,
        },
        &calendars,
    );
    let mut events: HashMap<&str, Vec<crate::model::Event>> = HashMap::new();
    for e in &data.events {
        events
            .entry(e.ticket_id.as_str())
            .or_default()
            .push(e.clone());
    }
    let mut surveys: HashMap<&str, Vec<crate::model::SurveyResponse>> = HashMap::new();
    for s in &data.surveys {
        if let Some(t) = s.ticket_id.as_deref() {
            surveys.entry(t).or_default().push(s.clone());
        }
    }
    let window = Period {
        from: weeks.baseline.from - Duration::days(7),
        to: weeks.week.to,
    };
    let mut f = Facts::new(window, weeks.week.to, &[]);
    let periods: Vec<Period> = (0..5).map(|n| w.minus(n).period(chrono_tz::UTC)).collect();
    let mut aggs: Vec<Aggregator> = periods
        .iter()
        .map(|p| {
            Aggregator::new(*p, Some(Dimension::Team), p.to, &calendars, &[])
                .by_teams_reached(window.to)
        })
        .collect();
    for t in &data.tickets {
        let tl = walk(
            t,
            events.remove(t.id.as_str()).unwrap_or_default(),
            &calendars,
        );
        let s = surveys.remove(t.id.as_str()).unwrap_or_default();
        crate::report::scan::Visitor::ticket(&mut f, t, &tl, &s);
        for a in &mut aggs {
            a.ticket(t, &tl, &s);
        }
    }
    let by_team = f.rows_by_team();
    let mut rerouted_seen = 0;
    for (p, a) in periods.iter().zip(aggs) {
        let (_, groups) = a.finish();
        let groups = groups.expect("by team");
        for team in TEAMS {
            let m = &groups[team];
            let tf = &f.select(&by_team[team]);
            let scope = Scope::Team(team.into());
            let created = tf
                .created
                .iter()
                .filter(|c| p.contains(c.at) && scope.holds_created(c))
                .count() as u64;
            let solves: Vec<_> = tf.solves.iter().filter(|s| p.contains(s.at)).collect();
            let rerouted = solves.iter().filter(|s| s.rerouted()).count() as u64;
            let ratings: Vec<_> = tf.ratings.iter().filter(|r| p.contains(r.at)).collect();
            let satisfied = ratings.iter().filter(|r| r.satisfied).count() as u64;
            let reopened: std::collections::HashSet<&str> = tf
                .reopens
                .iter()
                .filter(|r| p.contains(r.at))
                .map(|r| r.ticket.as_str())
                .collect();
            assert_eq!(m.tickets_created, created, "{team} {p:?} created");
            assert_eq!(m.tickets_solved, solves.len() as u64, "{team} solves");
            assert_eq!(m.reroutes.tickets, rerouted, "{team} re-routed solves");
            assert_eq!(
                m.csat.responses,
                ratings.len() as u64,
                "{team} CSAT answers"
            );
            assert_eq!(m.csat.satisfied, satisfied, "{team} satisfied");
            assert_eq!(m.reopens.tickets, reopened.len() as u64, "{team} reopened");
            rerouted_seen += rerouted;
        }
    }
    assert!(rerouted_seen > 0, "the data has misroutes to count");
}

/// `t`'s facts with `weekly` replies (business seconds) in each baseline
/// week of `category`, and `this` in the week.
fn reply_weeks(category: &str, weekly: &[f64], this: &[f64]) -> (Weeks, Facts<'static>) {
    let (w, weeks) = weeks();
    let mut f = facts(Period {
        from: weeks.baseline.from,
        to: weeks.week.to,
    });
    let mut push = |p: Period, values: &[f64]| {
        for (i, v) in values.iter().enumerate() {
            f.replies.push(Reply {
                at: at(p, i as u64),
                teams: names(&["t"]),
                category: category.into(),
                business: Seconds(*v),
            });
        }
    };
    for n in 1..=4 {
        push(w.minus(n).period(chrono_tz::UTC), weekly);
    }
    push(weeks.week, this);
    (weeks, f)
}

/// Replies that slowed: the baseline's replies took 1…20 minutes each
/// week, so their median is 10.5 min and 40 of 80 were slower than it
/// (smoothed 41/82 = ½); this week's 20 all took 30 min: 20 of 20 slower,
/// P = ½²⁰ ≈ 9.5e-7, the only test run. The same minutes as usual (a
/// median that did not rise) run no test. Nor do replies tied at a median
/// of 0 business seconds (answered outside open hours) when this week's
/// median is 0 too.
#[test]
fn replies_that_took_longer_are_found_by_a_sign_test_on_the_usual_median() {
    let minutes: Vec<f64> = (1..=20).map(|m| f64::from(m) * 60.0).collect();
    let (weeks, f) = reply_weeks("how-to", &minutes, &[1800.0; 20]);
    let found = team_t(&weeks, &f, &[]);
    assert_eq!(found.tests, 1);
    assert_eq!(found.issues.len(), 1, "{:#?}", found.issues);
    let facet = &found.issues[0].facets[0];
    assert_eq!(found.issues[0].subject, Subject::Category("how-to".into()));
    assert_eq!(facet.kind, FacetKind::SlowReplies);
    assert_eq!((facet.count, facet.out_of), (20, 20));
    assert_eq!(facet.compared, Some((1800.0, 630.0)));
    assert_eq!(facet.usual, 0.5);
    assert_eq!(facet.before, Some(0.5));
    assert!((facet.p_value - 0.5f64.powi(20)).abs() < 1e-15);
    assert_eq!(facet.excess, 10.0);
    let d = week_47(&weeks, Scope::Team("t".into()), found);
    let en = super::render::render(&d, super::locale::Locale::En, None).expect("render");
    assert!(
        en.text
            .contains("the median exchange waited 30m of business hours for an"),
        "{}",
        en.text
    );

    let (weeks, f) = reply_weeks("how-to", &minutes, &minutes);
    let found = team_t(&weeks, &f, &[]);
    assert_eq!(found.tests, 0);
    assert!(found.issues.is_empty(), "{:#?}", found.issues);

    // Mostly answered outside open hours: 12 of 20 at 0 s every week, the
    // median 0. This week the same, plus a few more slow ones: no rise of
    // the median, no test (a sign test against ½ would fire every week).
    let mut tied = vec![0.0; 12];
    tied.extend((1..=8).map(|m| f64::from(m) * 60.0));
    let mut this = vec![0.0; 11];
    this.extend((1..=9).map(|m| f64::from(m) * 600.0));
    let (weeks, f) = reply_weeks("how-to", &tied, &this);
    let found = team_t(&weeks, &f, &[]);
    assert_eq!(found.tests, 0);
    assert!(found.issues.is_empty(), "{:#?}", found.issues);
}

/// Customers stopped confirming billing's solves: 15 of 20 confirmed in
/// each baseline week (5 unconfirmed), 3 of 20 this week (17 unconfirmed).
/// The team's baseline: 20 of 80 unconfirmed, smoothed 21/82; billing's
/// own usual (20 + 10 × 21/82) / 90 = 0.2507. Not persistent (5 of 20 is
/// under 1.5 × 21/82 × 20 = 7.7). Without any confirmation in the
/// baseline the helpdesk does not record them: nothing is tested.
#[test]
fn a_drop_in_customer_confirmed_solves_is_an_issue() {
    let (w, weeks) = weeks();
    let mut f = facts(Period {
        from: weeks.baseline.from,
        to: weeks.week.to,
    });
    let week = |f: &mut Facts, p: Period, confirmed: u64| {
        fill(f, p, "billing", 0, 20, 0, 0, 0);
        for i in 0..confirmed {
            f.confirmations.push(Confirmation {
                at: at(p, i),
                teams: names(&["t"]),
                category: "billing".into(),
            });
        }
    };
    for n in 1..=4 {
        week(&mut f, w.minus(n).period(chrono_tz::UTC), 15);
    }
    let quiet = f.clone();
    week(&mut f, weeks.week, 3);
    let found = team_t(&weeks, &f, &[]);
    assert_eq!(found.tests, 1);
    assert_eq!(found.issues.len(), 1, "{:#?}", found.issues);
    let facet = &found.issues[0].facets[0];
    assert_eq!(facet.kind, FacetKind::Unconfirmed);
    assert_eq!((facet.count, facet.out_of), (17, 20));
    assert_eq!(facet.before, Some(0.25));
    let own = (20.0 + 10.0 * 21.0 / 82.0) / 90.0;
    assert!((facet.usual - own).abs() < 1e-12, "{}", facet.usual);
    assert_eq!(facet.persistent, None);
    let d = week_47(&weeks, Scope::Team("t".into()), found);
    let en = super::render::render(&d, super::locale::Locale::En, None).expect("render");
    assert!(
        en.text
            .contains("3 confirmations by the customer for 20 solves (15%, against"),
        "{}",
        en.text
    );

    // As usual: no issue.
    let mut same = quiet.clone();
    week(&mut same, weeks.week, 15);
    assert!(team_t(&weeks, &same, &[]).issues.is_empty());
    // No confirmations ever: not tested.
    let mut never = quiet;
    never.confirmations.clear();
    fill(&mut never, weeks.week, "billing", 0, 20, 0, 0, 0);
    assert_eq!(team_t(&weeks, &never, &[]).tests, 0);
}

/// The all-teams findings of `weeks` with SERVQUAL `waves`.
fn all_teams(
    f: &Facts,
    weeks: &Weeks,
    th: &Thresholds,
    waves: &super::analysis::ServqualWaves,
) -> Findings {
    issues(f, &Scope::All, weeks, chrono_tz::UTC, th, &[], Some(waves))
}

/// SERVQUAL waves by hand. Responsiveness before: E = 6 (10 answers), P =
/// 5 and 6 alternately (mean 5.5): gap −0.5. The latest wave: E = 6, P = 4
/// and 5 (mean 4.5): gap −1.5, widened by 1 point. Each P side has sample
/// variance 10 · 0.25 / 9 = 0.2778 over 10 answers (the mean's: 0.02778),
/// E none: z = 1 / √(2 · 0.02778) = 4.243, p = 1.1e−5. The other
/// dimensions keep E 6, P 5.
fn servqual_waves(this_week: u64) -> super::analysis::ServqualWaves {
    use crate::model::{ServqualDimension, ServqualSide};
    let mut w = super::analysis::ServqualWaves {
        this_week,
        ..Default::default()
    };
    for d in ServqualDimension::ALL {
        for i in 0..10u8 {
            for (tally, p) in [(&mut w.before, 5), (&mut w.wave, 4)] {
                tally.add(ServqualSide::Expectation, d, 6);
                let p = if d == ServqualDimension::Responsiveness {
                    p + i % 2
                } else {
                    5
                };
                tally.add(ServqualSide::Perception, d, p);
            }
        }
    }
    w
}

#[test]
fn a_widened_servqual_gap_is_an_issue_of_its_dimension_after_the_ticket_issues() {
    let (weeks, f) = with_baseline();
    let waves = servqual_waves(40);
    let found = all_teams(&f, &weeks, &Thresholds::default(), &waves);
    let i = found
        .issues
        .iter()
        .find(|i| i.subject == Subject::Servqual(crate::model::ServqualDimension::Responsiveness))
        .expect("responsiveness widened");
    let facet = &i.facets[0];
    assert_eq!(facet.kind, FacetKind::ServqualGap);
    let (now, before) = facet.compared.expect("gaps");
    assert!((now + 1.5).abs() < 1e-12 && (before + 0.5).abs() < 1e-12);
    assert_eq!((facet.count, facet.out_of), (20, 20));
    let z = 1.0 / (2.0 * (10.0 * 0.25 / 9.0) / 10.0_f64).sqrt();
    assert!((z - 4.2426).abs() < 1e-3, "{z}");
    assert!(
        (facet.p_value - super::significance::normal_upper_tail(z)).abs() < 1e-12
            && facet.p_value < 2e-5,
        "{}",
        facet.p_value
    );
    // Only responsiveness changed; and it ranks after what the tickets say.
    assert_eq!(
        found
            .issues
            .iter()
            .filter(|i| matches!(i.subject, Subject::Servqual(_)))
            .count(),
        1
    );
    assert!(matches!(
        found.issues.last().map(|i| &i.subject),
        Some(Subject::Servqual(_))
    ));
}

#[test]
fn a_servqual_wave_is_news_only_in_weeks_with_answers_and_past_the_minimum_widening() {
    let (weeks, f) = with_baseline();
    let run =
        |waves: &super::analysis::ServqualWaves, th: &Thresholds| all_teams(&f, &weeks, th, waves);
    let servqual = |found: &Findings| {
        found
            .issues
            .iter()
            .filter(|i| matches!(i.subject, Subject::Servqual(_)))
            .count()
    };
    let base = run(&servqual_waves(0), &Thresholds::default());
    assert_eq!(servqual(&base), 0, "no answers this week: not news");
    // A widening of 1 point under a 1.5-point minimum is not tested.
    let strict = Thresholds {
        min_gap_widening: 1.5,
        ..Thresholds::default()
    };
    let found = run(&servqual_waves(40), &strict);
    assert_eq!(servqual(&found), 0);
    assert_eq!(found.tests, base.tests, "nothing was tested for SERVQUAL");
    // Too few answers: each side needs min_responses in both waves.
    let few = Thresholds {
        min_responses: 11,
        ..Thresholds::default()
    };
    assert_eq!(servqual(&run(&servqual_waves(40), &few)), 0);
}

/// A lead that shrank from +1.5 to +0.5 points is not a shortfall: no issue.
#[test]
fn a_servqual_gap_still_above_expectations_is_no_issue() {
    use crate::model::{ServqualDimension, ServqualSide};
    let (weeks, f) = with_baseline();
    let mut w = super::analysis::ServqualWaves {
        this_week: 40,
        ..Default::default()
    };
    for d in ServqualDimension::ALL {
        for i in 0..10u8 {
            for (tally, p) in [(&mut w.before, 6), (&mut w.wave, 5)] {
                tally.add(ServqualSide::Expectation, d, 5);
                tally.add(ServqualSide::Perception, d, p + i % 2);
            }
        }
    }
    let found = all_teams(&f, &weeks, &Thresholds::default(), &w);
    assert!(
        !found
            .issues
            .iter()
            .any(|i| matches!(i.subject, Subject::Servqual(_))),
        "{:#?}",
        found.issues
    );
}
