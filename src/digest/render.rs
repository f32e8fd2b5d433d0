//! A digest as an email: subject, plain text, HTML (inline CSS, tables and
//! bars, no images), and the MIME message that carries both.
//!
//! The numbers are formatted here, for the locale; the templates in
//! `templates/` only lay them out, so the two parts always say the same.

use chrono::Datelike;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use minijinja::Environment;
use serde::Serialize;

use crate::digest::analysis::{Issue, IssueKind, Kpi, KpiKey, Subject};
use crate::digest::locale::Locale;
use crate::digest::{Digest, Scope};
use crate::model::Instant;

const HTML: &str = include_str!("../../templates/digest.html");
const TEXT: &str = include_str!("../../templates/digest.txt");

/// A rendered digest.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The language both parts are written in (`Content-Language`).
    pub language: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("digest template: {0}")]
    Template(#[from] minijinja::Error),
    #[error("digest message: {0}")]
    Message(#[from] lettre::error::Error),
}

#[derive(Serialize)]
struct KpiRow {
    label: String,
    week: String,
    previous: String,
    baseline: String,
    change: String,
    /// `good`, `bad` or `flat`: the colour of the change.
    tone: &'static str,
    /// Bar heights 0–100 for the five weeks, oldest first; `None` = no data.
    trend: Vec<Option<u32>>,
}

#[derive(Serialize)]
struct IssueView {
    rank: usize,
    title: String,
    explanation: String,
    evidence: String,
    /// Bar widths 0–100: this week and usual (rates only).
    bars: Option<(u32, u32)>,
    bar_labels: (String, String),
    comments: Vec<String>,
}

#[derive(Serialize)]
struct View {
    lang: &'static str,
    /// The locale's colon after a label (see [`colon`]).
    colon: &'static str,
    title: String,
    scope: String,
    period: String,
    summary: String,
    kpi_heads: [String; 6],
    kpis: Vec<KpiRow>,
    issues_title: String,
    issues: Vec<IssueView>,
    more: Option<String>,
    quiet: Option<String>,
    comments_label: String,
    dashboard: Option<(String, String)>,
    method: String,
}

/// The scope as readers name it.
pub fn scope_name(scope: &Scope, l: Locale) -> String {
    match scope {
        Scope::All => l
            .pick("all teams", "toutes les équipes", "tutti i team")
            .to_string(),
        Scope::Team(t) => t.clone(),
    }
}

fn week_label(d: &Digest, l: Locale) -> String {
    let n = d.week.monday().iso_week().week();
    let range = l.date_range(d.week.monday(), d.week.sunday());
    l.pick(
        format!("week {n}, {range}"),
        format!("semaine {n}, {range}"),
        format!("settimana {n}, {range}"),
    )
}

fn issues_found(n: usize, l: Locale) -> String {
    match (n, l) {
        (0, _) => l
            .pick(
                "no issue found",
                "aucun problème détecté",
                "nessun problema rilevato",
            )
            .to_string(),
        (1, _) => l
            .pick("1 issue found", "1 problème détecté", "1 problema rilevato")
            .to_string(),
        (n, _) => l.pick(
            format!("{n} issues found"),
            format!("{n} problèmes détectés"),
            format!("{n} problemi rilevati"),
        ),
    }
}

/// `Support digest · billing · week 47, 16–22 November 2026: 2 issues found`.
pub fn subject(d: &Digest, l: Locale) -> String {
    let head = l.pick("Support digest", "Bilan du support", "Riepilogo assistenza");
    let colon = l.pick(":", " :", ":");
    format!(
        "{head} · {} · {}{colon} {}",
        scope_name(&d.scope, l),
        week_label(d, l),
        issues_found(d.findings.issues.len() + d.findings.more, l)
    )
}

fn kpi_label(k: KpiKey, l: Locale) -> &'static str {
    match k {
        KpiKey::Volume => l.pick("Tickets created", "Tickets créés", "Ticket creati"),
        KpiKey::FirstResponseP50 => l.pick(
            "First response, median (business hours)",
            "Première réponse, médiane (heures ouvrées)",
            "Prima risposta, mediana (orario lavorativo)",
        ),
        KpiKey::FirstResponseP90 => l.pick(
            "First response, 90th percentile (business hours)",
            "Première réponse, 90e centile (heures ouvrées)",
            "Prima risposta, 90° percentile (orario lavorativo)",
        ),
        KpiKey::ResolutionP50 => l.pick(
            "Resolution, median",
            "Résolution, médiane",
            "Risoluzione, mediana",
        ),
        KpiKey::ResolutionP90 => l.pick(
            "Resolution, 90th percentile",
            "Résolution, 90e centile",
            "Risoluzione, 90° percentile",
        ),
        KpiKey::Csat => l.pick(
            "CSAT (satisfied)",
            "CSAT (satisfaits)",
            "CSAT (soddisfatti)",
        ),
        KpiKey::Nps => "NPS",
        KpiKey::Ces => l.pick(
            "Customer effort (1 low – 7 high)",
            "Effort client (1 faible – 7 élevé)",
            "Sforzo cliente (1 basso – 7 alto)",
        ),
        KpiKey::ReopenRate => l.pick("Reopen rate", "Taux de réouverture", "Tasso di riapertura"),
        KpiKey::RerouteRate => l.pick(
            "Re-route rate",
            // A ticket sent on to another team, not reassigned to another
            // agent (réaffectation / riassegnazione).
            "Taux de transfert entre équipes",
            "Tasso di trasferimento tra team",
        ),
        KpiKey::SloAttainment => l.pick("SLO attainment", "Respect des SLO", "Rispetto degli SLO"),
    }
}

fn kpi_value(k: KpiKey, v: Option<f64>, l: Locale) -> String {
    let Some(v) = v else {
        return "–".to_string();
    };
    match k {
        KpiKey::Volume => l.number(v, if v.fract() == 0.0 { 0 } else { 1 }),
        KpiKey::FirstResponseP50
        | KpiKey::FirstResponseP90
        | KpiKey::ResolutionP50
        | KpiKey::ResolutionP90 => l.duration(v),
        KpiKey::Csat | KpiKey::ReopenRate | KpiKey::RerouteRate | KpiKey::SloAttainment => {
            l.percent(v)
        }
        KpiKey::Nps => l.number(v, 0),
        KpiKey::Ces => l.number(v, 1),
    }
}

/// The change against the baseline: relative for volumes and durations,
/// in points for ratios and scores.
fn kpi_change(k: &Kpi, l: Locale) -> String {
    let (Some(w), Some(b)) = (k.week, k.baseline) else {
        return String::new();
    };
    let signed = |text: String, positive: bool| {
        if text.chars().all(|c| !c.is_ascii_digit() || c == '0') {
            "±0".to_string()
        } else if positive {
            format!("+{text}")
        } else {
            format!("−{text}")
        }
    };
    match k.key {
        KpiKey::Csat | KpiKey::ReopenRate | KpiKey::RerouteRate | KpiKey::SloAttainment => {
            let pts = (w - b) * 100.0;
            let unit = l.pick(" pts", " pts", " pt");
            signed(format!("{}{unit}", l.number(pts.abs(), 1)), pts >= 0.0)
        }
        KpiKey::Nps => signed(l.number((w - b).abs(), 0), w >= b),
        KpiKey::Ces => signed(l.number((w - b).abs(), 1), w >= b),
        _ if b > 0.0 => {
            let rel = (w - b) / b;
            signed(l.percent(rel.abs()), rel >= 0.0)
        }
        _ => String::new(),
    }
}

fn trend_bars(values: &[Option<f64>]) -> Vec<Option<u32>> {
    let max = values.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    values
        .iter()
        .map(|v| {
            v.map(|v| {
                if max > 0.0 {
                    (8.0 + 92.0 * v.abs() / max).round() as u32
                } else {
                    8
                }
            })
        })
        .collect()
}

fn category_name(c: &str, l: Locale) -> String {
    if c == crate::report::aggregate::NONE {
        l.pick("(no category)", "(sans catégorie)", "(senza categoria)")
            .to_string()
    } else {
        quoted(c, l)
    }
}

/// `text` in the locale's quotation marks: “…” in English and Italian,
/// « … » (with no-break spaces) in French.
fn quoted(text: &str, l: Locale) -> String {
    match l {
        Locale::Fr => format!("«\u{a0}{text}\u{a0}»"),
        Locale::En | Locale::It => format!("“{text}”"),
    }
}

/// The colon of a label: French sets a narrow no-break space before it.
fn colon(l: Locale) -> &'static str {
    l.pick(":", "\u{202f}:", ":")
}

/// `Monday 09:00–12:00`; in French and Italian the weekday keeps its
/// lower case (`lundi`, `lunedì`), as it follows the title's colon.
fn hours_name(weekday: u32, from: u32, to: u32, l: Locale) -> String {
    let day = match l {
        Locale::En => Locale::capitalise(l.weekday(weekday)),
        Locale::Fr | Locale::It => l.weekday(weekday).to_string(),
    };
    format!("{day} {from:02}:00–{to:02}:00")
}

fn title(i: &Issue, l: Locale) -> String {
    let what = match &i.subject {
        Subject::Category(c) => category_name(c, l),
        Subject::Hours {
            weekday,
            from_hour,
            to_hour,
        } => hours_name(*weekday, *from_hour, *to_hour, l),
    };
    let kind = match i.kind {
        IssueKind::VolumeRise => l.pick("Volume spike", "Pic de volume", "Picco di volume"),
        IssueKind::LowCsat => l.pick(
            "Low satisfaction",
            "Satisfaction faible",
            "Soddisfazione bassa",
        ),
        IssueKind::Reroutes => l.pick("Misrouting", "Mauvais routage", "Instradamento errato"),
        IssueKind::Reopens => l.pick("Reopened tickets", "Tickets rouverts", "Ticket riaperti"),
        IssueKind::RepeatContacts => {
            l.pick("Repeat contacts", "Contacts répétés", "Contatti ripetuti")
        }
        IssueKind::SloBreachHours => l.pick(
            "SLO breaches cluster",
            "Dépassements de SLO concentrés",
            "Violazioni dello SLO concentrate",
        ),
    };
    format!("{kind}{} {what}", colon(l))
}

/// The plain-words sentence under an issue's title.
fn explanation(i: &Issue, l: Locale) -> String {
    let (k, n) = (l.count(i.count), l.count(i.out_of));
    let rate = i.rate.map(|r| l.percent(r)).unwrap_or_default();
    let usual = l.percent(i.usual);
    match i.kind {
        IssueKind::VolumeRise => {
            let usual_n = l.number(i.usual, if i.usual < 10.0 { 1 } else { 0 });
            let rise = if i.usual > 0.0 {
                format!(" (+{})", l.percent((i.count as f64 - i.usual) / i.usual))
            } else {
                String::new()
            };
            l.pick(
                format!("{k} tickets this week against a usual {usual_n} a week{rise}. Something changed for these customers: a release, an outage, a policy or a campaign."),
                format!("{k} tickets cette semaine contre {usual_n} d’habitude{rise}. Quelque chose a changé pour ces clients : une version, une panne, une règle ou une campagne."),
                format!("{k} ticket questa settimana contro i soliti {usual_n}{rise}. Qualcosa è cambiato per questi clienti: un rilascio, un disservizio, una regola o una campagna."),
            )
        }
        IssueKind::LowCsat => l.pick(
            format!("Only {rate} of customers were satisfied ({k} of {n} answers), against {usual} usually."),
            format!("Seuls {rate} des clients étaient satisfaits ({k} réponses sur {n}), contre {usual} d’habitude."),
            format!("Solo {} dei clienti era soddisfatto ({k} risposte su {n}), contro {} abituale.", it_the(&rate), it_the(&usual)),
        ),
        IssueKind::Reroutes => {
            let route = i
                .route
                .as_ref()
                .map(|(r, c)| {
                    let path = r.join(" → ");
                    l.pick(
                        format!(" Most often {path} ({}).", l.count(*c)),
                        format!(" Le plus souvent {path} ({}).", l.count(*c)),
                        format!(" Più spesso {path} ({}).", l.count(*c)),
                    )
                })
                .unwrap_or_default();
            l.pick(
                format!("{k} of {n} solved tickets were re-routed ({rate}, against {usual} usually).{route} A routing rule to fix."),
                format!("{k} tickets résolus sur {n} ont changé d’équipe ({rate}, contre {usual} d’habitude).{route} Une règle de routage à corriger."),
                format!("{k} ticket risolti su {n} hanno cambiato team ({rate}, contro {} abituale).{route} Una regola di instradamento da correggere.", it_the(&usual)),
            )
        }
        IssueKind::Reopens => l.pick(
            format!("{k} tickets came back after being solved, for {n} solves ({rate}, against {usual} usually): the first answer did not fix it."),
            format!("{k} tickets sont revenus après résolution, pour {n} résolutions ({rate}, contre {usual} d’habitude) : la première réponse n’a pas réglé le problème."),
            format!("{k} ticket sono tornati dopo la risoluzione, su {n} risoluzioni ({rate}, contro {} abituale): la prima risposta non ha risolto.", it_the(&usual)),
        ),
        IssueKind::RepeatContacts => l.pick(
            format!("{k} of {n} customers wrote again about the same thing within 7 days ({rate}, against {usual} usually)."),
            format!("{k} clients sur {n} ont réécrit pour le même sujet en moins de 7 jours ({rate}, contre {usual} d’habitude)."),
            format!("{k} clienti su {n} hanno riscritto per lo stesso motivo entro 7 giorni ({rate}, contro {} abituale).", it_the(&usual)),
        ),
        IssueKind::SloBreachHours => l.pick(
            format!("{k} of {n} tickets that arrived in these hours breached their SLO ({rate}, against {usual} the rest of the week): a staffing gap."),
            format!("{k} tickets sur {n} arrivés sur ce créneau ont dépassé leur SLO ({rate}, contre {usual} le reste de la semaine) : un creux d’effectif."),
            format!("{k} ticket su {n} arrivati in questa fascia hanno violato lo SLO ({rate}, contro {} nel resto della settimana): una carenza di personale.", it_the(&usual)),
        ),
    }
}

fn evidence(i: &Issue, l: Locale) -> String {
    let p = if i.p_value < 0.0001 {
        format!("p < {}", l.number(0.0001, 4))
    } else {
        format!("p = {}", l.number(i.p_value, 4))
    };
    let excess = l.number(i.excess, 0);
    l.pick(
        format!("{excess} more than usual · {p}"),
        format!("{excess} de plus que d’habitude · {p}"),
        format!("{excess} in più del solito · {p}"),
    )
}

fn comment_line(c: &crate::digest::facts::Comment, l: Locale) -> String {
    use crate::model::SurveyScore::*;
    let score = match c.score {
        Csat(v) => format!("CSAT {v}/5"),
        Nps(v) => format!("NPS {v}/10"),
        Ces(v) => format!("{} {v}/7", l.pick("effort", "effort", "sforzo")),
    };
    format!("{} ({score})", quoted(&c.text, l))
}

fn view(d: &Digest, l: Locale, dashboard_url: Option<&str>) -> View {
    let kpis = d
        .headline
        .iter()
        .zip(&d.trend)
        .map(|(k, trend)| {
            let change = kpi_change(k, l);
            KpiRow {
                label: kpi_label(k.key, l).to_string(),
                week: kpi_value(k.key, k.week, l),
                previous: kpi_value(k.key, k.previous, l),
                baseline: kpi_value(k.key, k.baseline, l),
                // A change too small to show is no change.
                tone: match k.improved() {
                    _ if change == "±0" => "flat",
                    Some(true) => "good",
                    Some(false) => "bad",
                    None => "flat",
                },
                change,
                trend: trend_bars(trend),
            }
        })
        .collect();
    let issues = d
        .findings
        .issues
        .iter()
        .enumerate()
        .map(|(n, i)| {
            // Rates, or for volume the week's count against the usual week.
            let shown = i.rate.unwrap_or(i.count as f64);
            let bars = Some(shown).map(|r| {
                let max = r.max(i.usual).max(f64::EPSILON);
                (
                    (100.0 * r / max).round() as u32,
                    (100.0 * i.usual / max).round() as u32,
                )
            });
            IssueView {
                rank: n + 1,
                title: title(i, l),
                explanation: explanation(i, l),
                evidence: evidence(i, l),
                bars,
                bar_labels: {
                    // A rate against the usual rate; a volume (no rate) as
                    // this week's count against the usual week's count.
                    let (now, usual) = match i.rate {
                        Some(r) => (l.percent(r), l.percent(i.usual)),
                        None => (
                            l.number(i.count as f64, 0),
                            l.number(i.usual, if i.usual < 10.0 { 1 } else { 0 }),
                        ),
                    };
                    (
                        format!(
                            "{} {now}",
                            l.pick("This week", "Cette semaine", "Questa settimana")
                        ),
                        format!("{} {usual}", l.pick("Usual", "D’habitude", "Di solito")),
                    )
                },
                comments: i.comments.iter().map(|c| comment_line(c, l)).collect(),
            }
        })
        .collect::<Vec<_>>();
    let found = d.findings.issues.len() + d.findings.more;
    let scope = scope_name(&d.scope, l);
    View {
        lang: l.code(),
        colon: colon(l),
        title: l.pick("Weekly support digest", "Bilan hebdomadaire du support", "Riepilogo settimanale dell’assistenza").to_string(),
        scope: scope.clone(),
        period: Locale::capitalise(&week_label(d, l)),
        summary: if found == 0 {
            l.pick(
                "No systemic issue this week: nothing stood out from normal variation.",
                "Aucun problème systémique cette semaine : rien ne sort de la variation habituelle.",
                "Nessun problema sistemico questa settimana: niente si discosta dalla normale variabilità.",
            )
            .to_string()
        } else if found == 1 {
            // One issue: nothing to rank.
            format!("{}.", Locale::capitalise(&issues_found(found, l)))
        } else {
            l.pick(
                format!("{}, the most important first.", Locale::capitalise(&issues_found(found, l))),
                format!("{}, le plus important en premier.", Locale::capitalise(&issues_found(found, l))),
                format!("{}, il più importante per primo.", Locale::capitalise(&issues_found(found, l))),
            )
        },
        kpi_heads: [
            l.pick("Headline", "Indicateurs", "Indicatori").to_string(),
            l.pick("This week", "Cette semaine", "Questa settimana").to_string(),
            l.pick("Previous", "Précédente", "Precedente").to_string(),
            l.pick("4-week baseline", "Base 4 semaines", "Base 4 settimane").to_string(),
            l.pick("Change", "Écart", "Variazione").to_string(),
            l.pick("5 weeks", "5 semaines", "5 settimane").to_string(),
        ],
        kpis,
        issues_title: l.pick("Systemic issues", "Problèmes systémiques", "Problemi sistemici").to_string(),
        issues,
        more: (d.findings.more > 0).then(|| {
            l.pick(
                format!("…and {} more, smaller.", d.findings.more),
                format!("…et {} autres, moindres.", d.findings.more),
                format!("…e altri {}, minori.", d.findings.more),
            )
        }),
        quiet: (found == 0).then(|| l.pick("Nothing to flag.", "Rien à signaler.", "Niente da segnalare.").to_string()),
        comments_label: l.pick("In customers’ words", "Verbatims clients", "Parole dei clienti").to_string(),
        dashboard: dashboard_url.map(|u| {
            (
                l.pick("Open the dashboard for this week", "Ouvrir le tableau de bord de la semaine", "Apri la dashboard della settimana").to_string(),
                dashboard_link(u, d),
            )
        }),
        method: l.pick(
            format!("How issues are found: each count is compared with the usual rate (its 4-week baseline) by an exact one-sided binomial test; {} tests were run and an issue must reach p < {} after Bonferroni correction, with at least a minimum count, so small numbers raise nothing. Issues are ranked by how many tickets or customers were affected beyond the usual.", d.findings.tests, l.number(d.findings.alpha, 3).trim_end_matches('0')),
            format!("Méthode : chaque compte est comparé au taux habituel (base des 4 semaines) par un test binomial exact unilatéral ; {} tests ont été faits et un problème doit atteindre p < {} après correction de Bonferroni, avec un effectif minimum, pour que les petits nombres ne déclenchent rien. Les problèmes sont classés par le nombre de tickets ou de clients touchés au-delà de l’habituel.", d.findings.tests, l.number(d.findings.alpha, 3).trim_end_matches('0')),
            format!("Metodo: ogni conteggio è confrontato con il tasso abituale (base di 4 settimane) con un test binomiale esatto unilaterale; sono stati eseguiti {} test e un problema deve raggiungere p < {} dopo la correzione di Bonferroni, con un conteggio minimo, così i piccoli numeri non fanno scattare nulla. I problemi sono ordinati per numero di ticket o clienti colpiti oltre il solito.", d.findings.tests, l.number(d.findings.alpha, 3).trim_end_matches('0')),
        ),
    }
}

/// The dashboard URL with the week's time range and the team selected.
pub fn dashboard_link(base: &str, d: &Digest) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut url = format!(
        "{base}{sep}from={}&to={}",
        d.period.from.timestamp_millis(),
        d.period.to.timestamp_millis()
    );
    if let Some(t) = d.scope.team() {
        url.push_str("&var-team=");
        url.push_str(&crate::config::percent_encode(t));
    }
    url
}

/// Renders `d` in `locale`.
pub fn render(
    d: &Digest,
    locale: Locale,
    dashboard_url: Option<&str>,
) -> Result<Rendered, RenderError> {
    let mut env = Environment::new();
    env.add_template("digest.html", HTML)?;
    env.add_template("digest.txt", TEXT)?;
    let v = view(d, locale, dashboard_url);
    Ok(Rendered {
        language: locale.code(),
        subject: subject(d, locale),
        html: env.get_template("digest.html")?.render(&v)?,
        text: wrap(&env.get_template("digest.txt")?.render(&v)?, TEXT_COLUMNS),
    })
}

/// The Message-ID of `week`'s digest of `scope` for `to`: the same on every
/// try, so a receiving server can also spot a duplicate.
pub fn message_id(d: &Digest, to: &Mailbox, from: &Mailbox) -> String {
    // FNV-1a: stable across builds, unlike the std hasher.
    let h = to
        .email
        .to_string()
        .to_ascii_lowercase()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let scope: String = d
        .scope
        .key()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "<digest.{}.{scope}.{:016x}@{}>",
        d.week,
        h,
        from.email.domain()
    )
}

/// A percentage with its Italian article: `il 5 %`, but `l’11 %`, `l’8 %`,
/// `l’1,5 %` — elided before a number said with a vowel (uno, otto,
/// undici, ottanta…).
fn it_the(percent: &str) -> String {
    let digits: String = percent.chars().take_while(|c| c.is_ascii_digit()).collect();
    let vowel = digits.starts_with('8') || digits == "1" || digits == "11";
    if vowel {
        format!("l’{percent}")
    } else {
        format!("il {percent}")
    }
}

/// The plain-text part's width: read in an 80-column client, quoted once.
pub const TEXT_COLUMNS: usize = 76;

/// `text` with each line longer than `width` characters wrapped at spaces;
/// a continuation keeps the line's indentation and its `> ` quote mark. A
/// word longer than the line (a URL) is left whole.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width);
    for line in text.split('\n') {
        if line.chars().count() <= width {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let body = line.trim_start_matches(' ');
        let indent = &line[..line.len() - body.len()];
        let prefix = if body.starts_with("> ") {
            format!("{indent}> ")
        } else {
            indent.to_string()
        };
        let mut current = String::from(indent);
        let mut first = true;
        for word in body.split(' ').filter(|w| !w.is_empty()) {
            let used = current.chars().count();
            let fresh = used == prefix.chars().count() || (first && used == indent.chars().count());
            if !fresh && used + 1 + word.chars().count() > width {
                out.push_str(current.trim_end());
                out.push('\n');
                current = prefix.clone();
                first = false;
            } else if !fresh {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push_str(current.trim_end());
        out.push('\n');
    }
    // The loop added one line break per line: the text's own last one.
    out.pop();
    out
}

/// Headers lettre has no type for: a name and a plain text value.
macro_rules! plain_header {
    ($type_name:ident, $name:expr) => {
        #[derive(Debug, Clone)]
        struct $type_name(String);

        impl lettre::message::header::Header for $type_name {
            fn name() -> lettre::message::header::HeaderName {
                lettre::message::header::HeaderName::new_from_ascii_str($name)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($type_name(s.to_string()))
            }

            fn display(&self) -> lettre::message::header::HeaderValue {
                lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

plain_header!(AutoSubmitted, "Auto-Submitted");
plain_header!(AutoResponseSuppress, "X-Auto-Response-Suppress");
plain_header!(ContentLanguage, "Content-Language");

/// The MIME message: multipart/alternative with the text and HTML parts.
pub fn message(
    r: &Rendered,
    from: &Mailbox,
    to: &[Mailbox],
    message_id: String,
    date: Instant,
) -> Result<Message, RenderError> {
    // A robot's message: no out-of-office or read-receipt replies to it
    // (RFC 3834; Exchange's own header), and the language it is in.
    let mut b = Message::builder()
        .from(from.clone())
        .subject(r.subject.clone())
        .message_id(Some(message_id))
        .date(date.into())
        .header(AutoSubmitted("auto-generated".into()))
        .header(AutoResponseSuppress("All".into()))
        .header(ContentLanguage(r.language.into()));
    for m in to {
        b = b.to(m.clone());
    }
    Ok(b.multipart(MultiPart::alternative_plain_html(
        r.text.clone(),
        r.html.clone(),
    ))?)
}

#[cfg(test)]
mod wrap_tests {
    use super::wrap;

    #[test]
    fn long_lines_wrap_at_words_keeping_indent_and_quotes() {
        let text = "   122 tickets this week against a usual 37 a week (+230%). Something changed.\n\
                    short\n\
                    \u{20}  > “Transferred three times for a simple refund, and again.” (CSAT 1/5)\n\
                    https://grafana.example/d/support?var-team=billing&from=now-7d&to=now&orgId=1";
        let w = wrap(text, 40);
        assert_eq!(
            w,
            "   122 tickets this week against a usual\n   37 a week (+230%). Something changed.\n\
             short\n\
             \u{20}  > “Transferred three times for a\n   > simple refund, and again.” (CSAT\n   > 1/5)\n\
             https://grafana.example/d/support?var-team=billing&from=now-7d&to=now&orgId=1"
        );
        assert_eq!(wrap("a\nb\n", 76), "a\nb\n");
    }
}

#[cfg(test)]
mod italian_tests {
    use super::it_the;

    #[test]
    fn the_article_elides_before_numbers_said_with_a_vowel() {
        for (p, want) in [
            ("5 %", "il 5 %"),
            ("11 %", "l’11 %"),
            ("8,5 %", "l’8,5 %"),
            ("80 %", "l’80 %"),
            ("1 %", "l’1 %"),
            ("1,5 %", "l’1,5 %"),
            ("10 %", "il 10 %"),
            ("18 %", "il 18 %"),
            ("100 %", "il 100 %"),
        ] {
            assert_eq!(it_the(p), want, "{p}");
        }
    }
}

#[cfg(test)]
mod hours_tests {
    use super::{Locale, hours_name};

    #[test]
    fn weekdays_are_capitalised_in_english_only() {
        assert_eq!(hours_name(0, 9, 12, Locale::En), "Monday 09:00–12:00");
        assert_eq!(hours_name(0, 9, 12, Locale::Fr), "lundi 09:00–12:00");
        assert_eq!(hours_name(0, 9, 12, Locale::It), "lunedì 09:00–12:00");
    }
}
