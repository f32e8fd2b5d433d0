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

use crate::digest::analysis::{
    self, Facet, FacetKind, Issue, Kpi, KpiKey, Monday, SloRow, Subject,
};
use crate::digest::locale::Locale;
use crate::digest::{Digest, Scope};
use crate::engine::slo::SloMetric;
use crate::model::{Instant, ServqualDimension, Status};

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
    baseline: String,
    change: String,
    /// `good`, `bad` or `flat`: the colour of the change.
    tone: &'static str,
    /// Bar heights 0–100 for the five weeks, oldest first; `None` = no data.
    trend: Vec<Option<u32>>,
}

#[derive(Serialize)]
struct SloView {
    name: String,
    promise: String,
    week: String,
    usual: String,
    objective: String,
    active: String,
    /// Below its objective this week.
    missed: bool,
}

#[derive(Serialize)]
struct FacetView {
    name: String,
    text: String,
    action: String,
    /// The footnote with its statistics.
    note: usize,
    /// Bar widths 0–100: this week and usual.
    bars: (u32, u32),
    bar_labels: (String, String),
}

#[derive(Serialize)]
struct IssueView {
    rank: usize,
    title: String,
    persistent: bool,
    owner: Option<String>,
    facets: Vec<FacetView>,
    comments: Vec<String>,
    link: Option<String>,
}

#[derive(Serialize)]
struct Labels {
    headline: String,
    this_week: String,
    usual: String,
    change: String,
    trend: String,
    slos: String,
    objective: String,
    active: String,
    monday: String,
    health: String,
    notes: String,
    comments: String,
    owner: String,
    link: String,
    persistent: String,
    below: String,
}

#[derive(Serialize)]
struct View {
    lang: &'static str,
    /// The locale's colon after a label (see [`colon`]).
    colon: &'static str,
    semicolon: &'static str,
    /// Issues found or an SLO below its objective: the summary is red.
    alarm: bool,
    title: String,
    scope: String,
    period: String,
    summary: String,
    basis: String,
    l: Labels,
    kpis: Vec<KpiRow>,
    slos: Vec<SloView>,
    issues_title: String,
    issues: Vec<IssueView>,
    more: Option<String>,
    monday: Vec<String>,
    /// The team-health section's lines; empty: no section.
    health: Vec<String>,
    notes: Vec<String>,
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
                "no issues found",
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
    format!(
        "{head} · {} · {}{} {}",
        scope_name(&d.scope, l),
        week_label(d, l),
        colon(l),
        issues_found(d.findings.issues.len() + d.findings.more, l)
    )
}

fn kpi_label(k: KpiKey, scope: &Scope, l: Locale) -> String {
    let s = match k {
        KpiKey::Volume => {
            return match scope {
                Scope::All => l
                    .pick("Tickets created", "Tickets créés", "Ticket creati")
                    .to_string(),
                Scope::Team(_) => l
                    .pick(
                        "Tickets created that reached the team",
                        "Tickets créés passés par l’équipe",
                        "Ticket creati passati dal team",
                    )
                    .to_string(),
            };
        }
        KpiKey::FirstResponseP50 => l.pick(
            "First response, median (business hours)",
            "Première réponse, médiane (heures ouvrées)",
            "Prima risposta, mediana (ore lavorative)",
        ),
        KpiKey::FirstResponseP90 => l.pick(
            "First response, 90th percentile (business hours)",
            "Première réponse, 90e centile (heures ouvrées)",
            "Prima risposta, 90º percentile (ore lavorative)",
        ),
        KpiKey::ResolutionP50 => l.pick(
            "Resolution, median",
            "Résolution, médiane",
            "Risoluzione, mediana",
        ),
        KpiKey::ResolutionP90 => l.pick(
            "Resolution, 90th percentile",
            "Résolution, 90e centile",
            "Risoluzione, 90º percentile",
        ),
        KpiKey::Csat => l.pick(
            "CSAT (satisfied customers)",
            "CSAT (clients satisfaits)",
            "CSAT (clienti soddisfatti)",
        ),
        KpiKey::Nps => "NPS",
        KpiKey::Ces => l.pick(
            "Customer effort (1 low – 7 high)",
            "Effort client (1 faible – 7 élevé)",
            "Sforzo del cliente (1 basso – 7 alto)",
        ),
        KpiKey::ReopenRate => l.pick(
            "Reopened tickets, per solve",
            "Tickets rouverts, par résolution",
            "Tasso di riapertura",
        ),
        KpiKey::RerouteRate => l.pick(
            "Solved tickets re-routed on the way",
            // A ticket sent on to another team, not reassigned to another
            // agent (réaffectation / riassegnazione).
            "Tickets résolus après transfert entre équipes",
            "Ticket risolti dopo un trasferimento tra team",
        ),
    };
    s.to_string()
}

/// `show` of the value, or `–` without one.
fn or_dash<T>(v: Option<T>, show: impl FnOnce(T) -> String) -> String {
    v.map_or_else(|| "–".to_string(), show)
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
        KpiKey::Csat | KpiKey::ReopenRate | KpiKey::RerouteRate => l.percent(v),
        KpiKey::Nps => l.number(v, 0),
        KpiKey::Ces => l.number(v, 1),
    }
}

/// `+12`, `−3`, `±0`: `text` (a magnitude) with the sign of the change.
fn signed(text: String, positive: bool) -> String {
    if text.chars().all(|c| !c.is_ascii_digit() || c == '0') {
        "±0".to_string()
    } else if positive {
        format!("+{text}")
    } else {
        format!("−{text}")
    }
}

/// The change against the baseline: relative for volumes and durations,
/// in points for ratios and scores.
fn kpi_change(k: &Kpi, l: Locale) -> String {
    let (Some(w), Some(b)) = (k.week, k.baseline) else {
        return String::new();
    };
    match k.key {
        KpiKey::Csat | KpiKey::ReopenRate | KpiKey::RerouteRate => points(w - b, l),
        KpiKey::Nps => signed(l.number((w - b).abs(), 0), w >= b),
        KpiKey::Ces => signed(l.number((w - b).abs(), 1), w >= b),
        _ if b > 0.0 => {
            let rel = (w - b) / b;
            signed(l.percent(rel.abs()), rel >= 0.0)
        }
        _ => String::new(),
    }
}

/// A difference of two ratios in percentage points: `+26.8 pts`.
fn points(delta: f64, l: Locale) -> String {
    let pts = delta * 100.0;
    let unit = l.pick(" pts", "\u{a0}pts", "\u{a0}punti");
    signed(format!("{}{unit}", l.number(pts.abs(), 1)), pts >= 0.0)
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
    if c == crate::model::NONE {
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

/// `1 ticket`, `2 tickets`; French keeps 0 and 1 singular.
fn tickets(n: u64, l: Locale) -> String {
    let (one, many) = l.pick(
        ("ticket", "tickets"),
        ("ticket", "tickets"),
        ("ticket", "ticket"),
    );
    format!("{} {}", l.count(n), l.plural(n, one, many))
}

/// A whole number of people or tickets from an expected excess.
fn whole(x: f64) -> u64 {
    x.round().max(0.0) as u64
}

/// The short name of a facet, as listed in an issue's title.
fn facet_name(k: FacetKind, l: Locale) -> &'static str {
    match k {
        FacetKind::Volume => l.pick("more tickets", "plus de tickets", "più ticket"),
        FacetKind::LowCsat => l.pick(
            "unhappy customers",
            "clients insatisfaits",
            "clienti insoddisfatti",
        ),
        FacetKind::Reroutes => l.pick("misrouted", "mal routés", "instradati male"),
        FacetKind::Reopens => l.pick("reopened", "rouverts", "riaperti"),
        FacetKind::RepeatContacts => l.pick(
            "customers writing again",
            "clients qui réécrivent",
            "clienti che riscrivono",
        ),
        FacetKind::Unconfirmed => l.pick(
            "fewer solves confirmed by customers",
            "moins de résolutions confirmées par les clients",
            "meno risoluzioni confermate dai clienti",
        ),
        FacetKind::SlowReplies => l.pick(
            "slower replies",
            "réponses plus lentes",
            "risposte più lente",
        ),
        FacetKind::SloMiss => l.pick("SLO missed", "SLO non respecté", "SLO non rispettato"),
        FacetKind::BreachHours => l.pick(
            "SLO breaches cluster",
            "dépassements de SLO concentrés",
            "violazioni dello SLO concentrate",
        ),
        FacetKind::ServqualGap => l.pick(
            "the gap to what customers expect widened",
            "l’écart avec les attentes des clients s’est creusé",
            "il divario rispetto alle attese dei clienti si è allargato",
        ),
    }
}

/// The label of a facet's line.
fn facet_label(k: FacetKind, l: Locale) -> &'static str {
    match k {
        FacetKind::Volume => "Volume",
        FacetKind::LowCsat => l.pick("Satisfaction", "Satisfaction", "Soddisfazione"),
        FacetKind::Reroutes => l.pick("Routing", "Routage", "Instradamento"),
        FacetKind::Reopens => l.pick("Reopens", "Réouvertures", "Riaperture"),
        FacetKind::RepeatContacts => l.pick("Repeat contacts", "Recontacts", "Ricontatti"),
        FacetKind::Unconfirmed => l.pick("Confirmation", "Confirmation", "Conferma"),
        FacetKind::SlowReplies => l.pick("Replies", "Réponses", "Risposte"),
        FacetKind::SloMiss => "SLO",
        FacetKind::BreachHours => l.pick("Hours", "Créneau", "Fascia oraria"),
        FacetKind::ServqualGap => "SERVQUAL",
    }
}

/// A SERVQUAL dimension in the digest's language.
fn dimension_name(d: ServqualDimension, l: Locale) -> &'static str {
    match d {
        ServqualDimension::Tangibles => {
            l.pick("Tangibles", "Éléments tangibles", "Aspetti tangibili")
        }
        ServqualDimension::Reliability => l.pick("Reliability", "Fiabilité", "Affidabilità"),
        ServqualDimension::Responsiveness => l.pick("Responsiveness", "Réactivité", "Reattività"),
        ServqualDimension::Assurance => l.pick("Assurance", "Assurance", "Rassicurazione"),
        ServqualDimension::Empathy => l.pick("Empathy", "Empathie", "Empatia"),
    }
}

/// A SERVQUAL facet's two gaps, the latest wave's and the one before, as
/// said.
fn compared_gaps(f: &Facet, l: Locale) -> (String, String) {
    let (now, before) = f.compared.unwrap_or_default();
    (gap_points(now, l), gap_points(before, l))
}

/// A SERVQUAL gap in points of the 1–7 scale, signed: `−1.98`, `+0.30`.
fn gap_points(v: f64, l: Locale) -> String {
    signed_level(v, 2, l)
}

/// A level that can be below or above zero (a gap, an eNPS) with its sign:
/// `+43`, `−12`, `0` (a number that shows as zero has none).
fn signed_level(v: f64, decimals: usize, l: Locale) -> String {
    let n = l.number(v, decimals);
    if v > 0.0 && n.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{n}")
    } else {
        n
    }
}

/// What an SLO promises: `first response within 5m (calendar time), chat`.
fn promise(row: &SloRow, l: Locale) -> String {
    let what = match row.metric {
        SloMetric::FirstResponse => l.pick("first response", "première réponse", "prima risposta"),
        SloMetric::Resolution => l.pick("resolution", "résolution", "risoluzione"),
    };
    let within = l.pick("within", "en moins de", "entro");
    let clock = if row.calendar {
        l.pick("calendar time", "temps calendaire", "ore solari")
    } else {
        l.pick("business hours", "heures ouvrées", "ore lavorative")
    };
    let channel = row
        .channel
        .as_deref()
        .map(|c| {
            format!(
                ", {} {}",
                l.pick("channel", "canal", "canale"),
                quoted(c, l)
            )
        })
        .unwrap_or_default();
    let paused = paused_in(&row.pause_on, l);
    format!(
        "{what} {within} {}, {clock}{paused}{channel}",
        l.duration(row.target.0)
    )
}

/// `, paused while pending or on hold`: the statuses a clock stops in.
fn paused_in(statuses: &[Status], l: Locale) -> String {
    if statuses.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = statuses
        .iter()
        .map(|s| match s {
            Status::Pending => l.pick("pending", "en attente du client", "in attesa del cliente"),
            Status::OnHold => l.pick("on hold", "en attente d’un tiers", "in attesa di terzi"),
            Status::Solved => l.pick("solved", "résolu", "risolto"),
            other => other.as_str(),
        })
        .collect();
    let or = l.pick(" or ", " ou ", " o ");
    format!(
        "{}{}",
        l.pick(
            ", paused while ",
            ", décompte suspendu quand le ticket est ",
            ", conteggio sospeso quando il ticket è "
        ),
        names.join(or)
    )
}

fn title(i: &Issue, l: Locale) -> String {
    match &i.subject {
        Subject::Category(c) => {
            let names: Vec<&str> = i.facets.iter().map(|f| facet_name(f.kind, l)).collect();
            format!("{}{} {}", category_name(c, l), colon(l), names.join(", "))
        }
        Subject::Slo { name, .. } => format!(
            "{}{} {name}",
            Locale::capitalise(facet_name(FacetKind::SloMiss, l)),
            colon(l)
        ),
        Subject::Hours {
            weekday,
            from_hour,
            to_hour,
        } => format!(
            "{}{} {}",
            Locale::capitalise(facet_name(FacetKind::BreachHours, l)),
            colon(l),
            hours_name(*weekday, *from_hour, *to_hour, l)
        ),
        Subject::Servqual(d) => format!(
            "{}{} {}",
            dimension_name(*d, l),
            colon(l),
            facet_name(FacetKind::ServqualGap, l)
        ),
    }
}

/// The team that can act, or the scope's name.
fn owner_name(i: &Issue, d: &Digest, l: Locale) -> String {
    i.owner.clone().unwrap_or_else(|| scope_name(&d.scope, l))
}

/// `a usual 37` / `37 a week`: a mean count said to one decimal when small.
fn mean_count(x: f64, l: Locale) -> String {
    l.number(x, if x < 10.0 && x.fract() != 0.0 { 1 } else { 0 })
}

/// What a facet found, in plain words with units.
fn facet_text(f: &Facet, i: &Issue, d: &Digest, l: Locale) -> String {
    let (k, n) = (l.count(f.count), l.count(f.out_of));
    let excess = whole(f.excess);
    let rate = f.rate().map(|r| l.percent(r)).unwrap_or_default();
    // Said as "usually": what these tickets did in the 4 weeks before (the
    // smoothed rate the test used is in the note); for a standing
    // problem, the scope's rate it is compared with.
    let usual = l.percent(shown_usual(f));
    let scope = scope_name(&d.scope, l);
    // "every week for 4 weeks", or the weeks that had such tickets.
    let every = match f.persistent {
        Some(w) if w < analysis::BASELINE_WEEKS && f.kind == FacetKind::SloMiss => l.pick(
            format!("every week it was measured ({w} of the previous 4)"),
            format!("chaque semaine où il a été mesuré ({w} semaines sur les 4 précédentes)"),
            format!("ogni settimana in cui è stato misurato ({w} settimane su 4)"),
        ),
        Some(w) if w < analysis::BASELINE_WEEKS => l.pick(
            format!("every week this category had tickets ({w} of the previous 4)"),
            format!("chaque semaine où la catégorie a eu des tickets ({w} semaines sur les 4 précédentes)"),
            format!("ogni settimana in cui la categoria ha avuto ticket ({w} settimane su 4)"),
        ),
        _ => l
            .pick(
                "every week for 4 weeks",
                "chaque semaine depuis 4 semaines",
                "ogni settimana da 4 settimane",
            )
            .to_string(),
    };
    match f.kind {
        FacetKind::Volume => {
            let usual_n = mean_count(f.usual, l);
            let peak = f
                .peak
                .filter(|p| p.count > 0)
                .map(|p| {
                    let day = l.weekday(p.weekday);
                    let pu = mean_count(p.usual, l);
                    let t = tickets(p.count, l);
                    l.pick(
                        format!(" Most on {0}: {t}, against {pu} on a usual {0}.", Locale::capitalise(day)),
                        format!(" Pic {day}\u{202f}: {t}, contre {pu} un {day} habituel."),
                        format!(" Picco {day}: {t}, contro {pu} in un {day} normale."),
                    )
                })
                .unwrap_or_default();
            let t = tickets(f.count, l);
            l.pick(
                format!("{t} this week, {excess} more than in a usual week ({usual_n}).{peak}"),
                format!("{t} cette semaine, soit {excess} de plus qu’une semaine habituelle ({usual_n}).{peak}"),
                format!("{t} questa settimana, {excess} in più di una settimana normale ({usual_n}).{peak}"),
            )
        }
        FacetKind::Reroutes => {
            let route = f
                .route
                .as_ref()
                .map(|(r, c)| {
                    let path = r.join(" → ");
                    let t = tickets(*c, l);
                    l.pick(
                        format!(" Most often {path} ({t})."),
                        format!(" Le plus souvent {path} ({t})."),
                        format!(" Più spesso {path} ({t})."),
                    )
                })
                .unwrap_or_default();
            if f.persistent.is_some() {
                l.pick(
                    format!("re-routed {every}: {k} of {n} solved tickets this week ({rate}), against {usual} for all of {scope}’s tickets.{route}"),
                    format!("transferts {every}. Cette semaine, {k} tickets résolus sur {n} ont changé d’équipe ({rate}), contre {usual} pour l’ensemble des tickets de {scope}.{route}"),
                    format!("trasferimenti {every}. Questa settimana {k} ticket risolti su {n} hanno cambiato team ({rate}), contro {} per tutti i ticket di {scope}.{route}", it_the(&usual)),
                )
            } else {
                l.pick(
                    format!("{k} of {n} solved tickets had been re-routed ({rate}, against {usual} usually for these tickets), {excess} more than usual.{route}"),
                    format!("{k} tickets résolus sur {n} avaient changé d’équipe ({rate}, contre {usual} habituellement pour ces tickets), soit {excess} de plus que la normale.{route}"),
                    format!("{k} ticket risolti su {n} avevano cambiato team ({rate}, contro {} abituale per questi ticket), {excess} in più del normale.{route}", it_the(&usual)),
                )
            }
        }
        FacetKind::LowCsat => {
            let satisfied = f.out_of.saturating_sub(f.count);
            let sat = l.percent(1.0 - f.rate().unwrap_or(0.0));
            let usual_sat = l.percent(1.0 - shown_usual(f));
            let s = l.count(satisfied);
            if f.persistent.is_some() {
                l.pick(
                    format!("fewer satisfied customers {every}: {s} of {n} answers positive this week ({sat}), against {usual_sat} for all of {scope}’s tickets."),
                    format!("moins de clients satisfaits {every}. Cette semaine, {s} réponses positives sur {n} ({sat}), contre {usual_sat} pour l’ensemble des tickets de {scope}."),
                    format!("meno clienti soddisfatti {every}. Questa settimana {s} risposte positive su {n} ({sat}), contro {} per tutti i ticket di {scope}.", it_the(&usual_sat)),
                )
            } else {
                l.pick(
                    format!("{s} of {n} customers who answered were satisfied ({sat}, against {usual_sat} usually): {excess} more unhappy customers than usual."),
                    format!("{s} clients satisfaits sur {n} réponses ({sat}, contre {usual_sat} habituellement)\u{202f}: {excess} clients insatisfaits de plus que la normale."),
                    format!("{s} clienti soddisfatti su {n} risposte ({sat}, contro {} abituale): {excess} clienti insoddisfatti in più del normale.", it_the(&usual_sat)),
                )
            }
        }
        FacetKind::Reopens => {
            let t = tickets(f.count, l);
            let one = f.count == 1;
            l.pick(
                format!("{t} {} reopened, out of {n} solves ({rate}, against {usual} usually), {excess} more than usual.", if one { "was" } else { "were" }),
                format!("{t} {}, sur {n} résolutions ({rate}, contre {usual} habituellement), soit {excess} de plus que la normale.", if one { "a été rouvert" } else { "ont été rouverts" }),
                format!("{t} {}, su {n} risoluzioni ({rate}, contro {} abituale), {excess} in più del normale.", if one { "è stato riaperto" } else { "sono stati riaperti" }, it_the(&usual)),
            )
        }
        FacetKind::RepeatContacts => l.pick(
            format!("{k} of {n} customers wrote again about the same thing within 7 days ({rate}, against {usual} usually)."),
            format!("{k} clients sur {n} ont réécrit pour le même sujet en moins de 7 jours ({rate}, contre {usual} habituellement)."),
            format!("{k} clienti su {n} hanno riscritto per lo stesso motivo entro 7 giorni ({rate}, contro {} abituale).", it_the(&usual)),
        ),
        FacetKind::Unconfirmed => {
            let confirmed = l.count(f.out_of.saturating_sub(f.count));
            let c_rate = l.percent(1.0 - f.rate().unwrap_or(0.0));
            let usual_c = l.percent(1.0 - shown_usual(f));
            if f.persistent.is_some() {
                l.pick(
                    format!("fewer confirmations by the customer {every}: {confirmed} for {n} solves this week ({c_rate}), against {usual_c} for all of {scope}’s tickets."),
                    format!("moins de confirmations par le client {every}. Cette semaine, {confirmed} pour {n} résolutions ({c_rate}), contre {usual_c} pour l’ensemble des tickets de {scope}."),
                    format!("meno conferme del cliente {every}. Questa settimana {confirmed} per {n} risoluzioni ({c_rate}), contro {} per tutti i ticket di {scope}.", it_the(&usual_c)),
                )
            } else {
                l.pick(
                    format!("{confirmed} confirmations by the customer for {n} solves ({c_rate}, against {usual_c} usually): {excess} fewer than usual."),
                    format!("{confirmed} confirmations par le client pour {n} résolutions ({c_rate}, contre {usual_c} habituellement)\u{202f}: {excess} de moins que la normale."),
                    format!("{confirmed} conferme del cliente per {n} risoluzioni ({c_rate}, contro {} abituale): {excess} in meno del normale.", it_the(&usual_c)),
                )
            }
        }
        FacetKind::SlowReplies => {
            let (now, usual) = f.compared.unwrap_or_default();
            let (now, usual) = (l.duration(now), l.duration(usual));
            l.pick(
                format!("the median exchange waited {now} of business hours for an agent’s reply, against {usual} usually; {k} of {n} replies were slower than that usual median."),
                format!("l’échange médian a attendu {now} en heures ouvrées la réponse d’un agent, contre {usual} habituellement\u{202f}; {k} réponses sur {n} ont été plus lentes que cette médiane habituelle."),
                format!("lo scambio mediano ha atteso {now} in orario lavorativo la risposta di un operatore, contro {usual} di solito; {k} risposte su {n} sono state più lente di quella mediana abituale."),
            )
        }
        FacetKind::SloMiss => {
            let met = l.percent(1.0 - f.rate().unwrap_or(0.0));
            let objective = l.percent(1.0 - f.usual);
            let before = or_dash(f.before, |b| l.percent(b));
            let row = match &i.subject {
                Subject::Slo { slo, .. } => d.slos.iter().find(|r| r.slo == *slo),
                _ => None,
            };
            let active = row.map_or(0, |r| r.active_breaches);
            let promise = row.map(|r| format!("{}. ", promise(r, l))).unwrap_or_default();
            let active = match active {
                0 => String::new(),
                1 => l
                    .pick(
                        " At the week’s end 1 ticket was still open past the target.",
                        " En fin de semaine, 1 ticket était encore ouvert hors délai.",
                        " A fine settimana 1 ticket era ancora aperto oltre il termine.",
                    )
                    .to_string(),
                a => {
                    let a = l.count(a);
                    l.pick(
                        format!(" At the week’s end {a} tickets were still open past the target."),
                        format!(" En fin de semaine, {a} tickets étaient encore ouverts hors délai."),
                        format!(" A fine settimana {a} ticket erano ancora aperti oltre il termine."),
                    )
                }
            };
            let lead = if f.persistent.is_some() {
                l.pick(
                    format!("{promise}Missed {every}. "),
                    format!("{promise}Objectif non atteint {every}. "),
                    format!("{promise}Obiettivo mancato {every}. "),
                )
            } else {
                promise
            };
            l.pick(
                format!("{lead}{met} of {n} tickets met it this week (objective {objective}; {before} in the previous 4 weeks): {k} breaches, {excess} more than the objective allows.{active}"),
                format!("{lead}{met} des {n} tickets l’ont respecté cette semaine (objectif {objective}\u{202f}; {before} sur les 4 semaines précédentes)\u{202f}: {k} dépassements, {excess} de plus que l’objectif ne le permet.{active}"),
                format!("{lead}{} dei {n} ticket lo ha rispettato questa settimana (obiettivo {objective}; {before} nelle 4 settimane precedenti): {k} violazioni, {excess} in più di quante l’obiettivo ne consenta.{active}", Locale::capitalise(&it_the(&met))),
            )
        }
        FacetKind::BreachHours => {
            let rest = or_dash(f.before, |b| l.percent(b));
            l.pick(
                format!("{k} of {n} tickets that arrived in these hours breached their SLO ({rate}, against {rest} the rest of the week)."),
                format!("{k} tickets sur {n} arrivés sur ce créneau ont dépassé leur SLO ({rate}, contre {rest} le reste de la semaine)."),
                format!("{k} ticket su {n} arrivati in questa fascia oraria hanno violato lo SLO ({rate}, contro {} nel resto della settimana).", it_the(&rest)),
            )
        }
        FacetKind::ServqualGap => {
            let (now, before) = compared_gaps(f, l);
            l.pick(
                format!("in the SERVQUAL answers of the last 4 weeks ({k} answers), what customers got is {now} points from what they expect of excellent support (1–7 scale), against {before} in the 13 weeks before ({n} answers). Below 0, the service falls short."),
                format!("dans les réponses SERVQUAL des 4 dernières semaines ({k} réponses), ce que les clients ont reçu est à {now} points de ce qu’ils attendent d’un excellent support (échelle de 1 à 7), contre {before} sur les 13 semaines précédentes ({n} réponses). Sous 0, le service est en dessous des attentes."),
                format!("nelle risposte SERVQUAL delle ultime 4 settimane ({k} risposte), ciò che i clienti hanno ricevuto è a {now} punti da ciò che si aspettano da un ottimo supporto (scala 1–7), contro {before} nelle 13 settimane precedenti ({n} risposte). Sotto 0 il servizio è al di sotto delle attese."),
            )
        }
    }
}

/// Who can do what about a facet, in plain words.
fn facet_action(f: &Facet, i: &Issue, d: &Digest, l: Locale) -> String {
    let owner = owner_name(i, d, l);
    match f.kind {
        FacetKind::Volume => {
            let day = f
                .peak
                .map(|p| l.weekday(p.weekday).to_string())
                .unwrap_or_default();
            l.pick(
                format!("{owner}: find out what changed for these customers on or just before {} (a release, a price, a form, an outage) and give agents one answer to use.", Locale::capitalise(&day)),
                format!("{owner}\u{202f}: chercher ce qui a changé pour ces clients {day} ou juste avant (une mise en production, un tarif, un formulaire, une panne) et donner aux agents une réponse commune."),
                format!("{owner}: scoprire cosa è cambiato per questi clienti {day} o poco prima (un rilascio, un prezzo, un modulo, un disservizio) e dare agli operatori una risposta comune."),
            )
        }
        FacetKind::Reroutes => match f.route.as_ref().and_then(|(r, _)| Some((r.first()?, r.last()?))) {
            Some((first, last)) if first != last => l.pick(
                format!("{first}, where these tickets land first: change the routing rule so that they go to {last} directly."),
                format!("{first}, où ces tickets arrivent d’abord\u{202f}: modifier la règle de routage pour qu’ils aillent directement à {last}."),
                format!("{first}, dove questi ticket arrivano per primi: cambiare la regola di instradamento perché vadano direttamente a {last}."),
            ),
            _ => l.pick(
                format!("{owner}: fix the routing rule for these tickets."),
                format!("{owner}\u{202f}: corriger la règle de routage de ces tickets."),
                format!("{owner}: correggere la regola di instradamento di questi ticket."),
            ),
        },
        FacetKind::LowCsat => l.pick(
            format!("{owner}: read the customers’ words below and a sample of the tickets rated unhappy."),
            format!("{owner}\u{202f}: lire les verbatims ci-dessous et un échantillon des tickets notés négativement."),
            format!("{owner}: leggere le parole dei clienti qui sotto e un campione dei ticket con valutazione negativa."),
        ),
        FacetKind::Reopens => l.pick(
            format!("{owner}: review a sample of the reopened tickets: the first answer did not settle them."),
            format!("{owner}\u{202f}: relire un échantillon des tickets rouverts\u{202f}: la première réponse n’a pas suffi à les régler."),
            format!("{owner}: rivedere un campione dei ticket riaperti: la prima risposta non è bastata a risolverli."),
        ),
        FacetKind::RepeatContacts => l.pick(
            format!("{owner}: check what these customers were told the first time."),
            format!("{owner}\u{202f}: vérifier ce qui a été répondu à ces clients la première fois."),
            format!("{owner}: verificare cosa è stato risposto a questi clienti la prima volta."),
        ),
        FacetKind::Unconfirmed => l.pick(
            format!("{owner}: before solving, ask the customer to confirm that the problem is fixed; review a sample of the solves they did not confirm."),
            format!("{owner}\u{202f}: avant de résoudre, demander au client de confirmer que le problème est réglé\u{202f}; relire un échantillon des résolutions non confirmées."),
            format!("{owner}: prima di risolvere, chiedere al cliente di confermare che il problema è risolto; rivedere un campione delle risoluzioni non confermate."),
        ),
        FacetKind::SlowReplies => l.pick(
            format!("{owner}: find where these conversations wait for a reply (a queue, certain hours, an answer agents have to look up) and add cover or a saved reply."),
            format!("{owner}\u{202f}: repérer où ces échanges attendent une réponse (une file, certains horaires, une réponse que les agents doivent chercher) et renforcer l’effectif ou préparer une réponse type."),
            format!("{owner}: individuare dove queste conversazioni aspettano una risposta (una coda, certi orari, una risposta che gli operatori devono cercare) e aggiungere personale o una risposta pronta."),
        ),
        FacetKind::SloMiss if matches!(d.scope, Scope::All) => l.pick(
            format!("{owner} has the most breaches; each team with these tickets: look at its open tickets past the target and at the hours they arrived."),
            format!("{owner} a le plus de dépassements\u{202f}; chaque équipe concernée\u{202f}: traiter ses tickets ouverts hors délai et regarder à quelles heures ils arrivent."),
            format!("{owner} è il team con più violazioni; ogni team con questi ticket: gestire i ticket aperti oltre il termine e guardare a che ora arrivano."),
        ),
        FacetKind::SloMiss if f.persistent.is_some() => l.pick(
            format!("{owner}, who owns this SLO for its tickets: a target missed every week needs a decision: more cover or a new target."),
            format!("{owner}, responsable de ce SLO pour ses tickets\u{202f}: une cible manquée chaque semaine demande une décision, renforcer l’effectif ou revoir le délai cible."),
            format!("{owner}, responsabile di questo SLO per i suoi ticket: un obiettivo mancato ogni settimana richiede una decisione, più personale o un nuovo obiettivo."),
        ),
        FacetKind::SloMiss => l.pick(
            format!("{owner}, who owns this SLO for its tickets: look at the open tickets past the target first, then at the hours they arrived."),
            format!("{owner}, responsable de ce SLO pour ses tickets\u{202f}: traiter d’abord les tickets ouverts hors délai, puis regarder à quelles heures ils arrivent."),
            format!("{owner}, responsabile di questo SLO per i suoi ticket: gestire prima i ticket aperti oltre il termine, poi guardare a che ora arrivano."),
        ),
        FacetKind::ServqualGap => match &i.subject {
            Subject::Servqual(ServqualDimension::Responsiveness) => l.pick(
                format!("{owner}: customers find help slower or less willing than they expect: look at first response and reply times, and at the queues behind them."),
                format!("{owner}\u{202f}: les clients trouvent l’aide moins rapide ou moins disponible qu’ils ne l’attendent\u{202f}: regarder les délais de première réponse et de réponse, et les files qui les expliquent."),
                format!("{owner}: i clienti trovano l’aiuto meno rapido o disponibile di quanto si aspettino: guardare i tempi di prima risposta e di risposta e le code che li spiegano."),
            ),
            Subject::Servqual(ServqualDimension::Reliability) => l.pick(
                format!("{owner}: customers find promises kept less than they expect: look at reopens and at the solves customers did not confirm."),
                format!("{owner}\u{202f}: les clients trouvent les engagements moins bien tenus qu’ils ne l’attendent\u{202f}: regarder les réouvertures et les résolutions non confirmées par le client."),
                format!("{owner}: i clienti trovano le promesse mantenute meno di quanto si aspettino: guardare le riaperture e le risoluzioni non confermate dal cliente."),
            ),
            _ => l.pick(
                format!("{owner}: read this dimension’s survey items with the team and agree on one change to try before the next wave."),
                format!("{owner}\u{202f}: relire avec l’équipe les questions de cette dimension et convenir d’un changement à essayer avant la prochaine vague."),
                format!("{owner}: rileggere con il team le domande di questa dimensione e concordare un cambiamento da provare prima della prossima ondata."),
            ),
        },
        FacetKind::BreachHours => l.pick(
            format!("{owner}: add cover in these hours: tickets arriving then wait longest."),
            format!("{owner}\u{202f}: renforcer l’effectif sur ce créneau, c’est là que les tickets attendent le plus longtemps."),
            format!("{owner}: rafforzare il personale in questa fascia oraria, i ticket che arrivano in queste ore aspettano più a lungo."),
        ),
    }
}

/// The usual a facet's sentence and bars show: the category's own rate in
/// the 4 weeks before when it is news, the scope's rate it is compared
/// with when it is a standing problem.
fn shown_usual(f: &Facet) -> f64 {
    match (f.persistent, f.before) {
        (None, Some(before)) => before,
        _ => f.usual,
    }
}

/// A facet's bars: this week against the usual, on one scale.
fn facet_bars(f: &Facet, l: Locale) -> ((u32, u32), (String, String)) {
    let (now, usual, labels) = match f.kind {
        FacetKind::Volume => (
            f.count as f64,
            f.usual,
            (tickets(f.count, l), mean_count(f.usual, l)),
        ),
        // Satisfaction, confirmations and SLOs as the share that went well.
        FacetKind::LowCsat | FacetKind::Unconfirmed | FacetKind::SloMiss => {
            let now = 1.0 - f.rate().unwrap_or(0.0);
            let usual = match f.kind {
                FacetKind::SloMiss => f.before.unwrap_or(1.0 - f.usual),
                _ => 1.0 - shown_usual(f),
            };
            (now, usual, (l.percent(now), l.percent(usual)))
        }
        FacetKind::BreachHours => {
            let (now, rest) = (f.rate().unwrap_or(0.0), f.before.unwrap_or(f.usual));
            (now, rest, (l.percent(now), l.percent(rest)))
        }
        // How far below expectations, in points: a bar for a shortfall.
        FacetKind::ServqualGap => {
            let (now, before) = f.compared.unwrap_or_default();
            (
                (-now).max(0.0),
                (-before).max(0.0),
                (gap_points(now, l), gap_points(before, l)),
            )
        }
        // The two medians, in time.
        FacetKind::SlowReplies => {
            let (now, usual) = f.compared.unwrap_or_default();
            (now, usual, (l.duration(now), l.duration(usual)))
        }
        _ => {
            let (now, usual) = (f.rate().unwrap_or(0.0), shown_usual(f));
            (now, usual, (l.percent(now), l.percent(usual)))
        }
    };
    let max = now.max(usual).max(f64::EPSILON);
    let width = |v: f64| (100.0 * v / max).round().clamp(0.0, 100.0) as u32;
    // A SERVQUAL wave against the one before, not a week against usual.
    let (this, other) = match f.kind {
        FacetKind::ServqualGap => (
            l.pick("Last 4 weeks", "4 dernières semaines", "Ultime 4 settimane"),
            l.pick("13 weeks before", "13 semaines avant", "13 settimane prima"),
        ),
        _ => (
            l.pick("This week", "Cette semaine", "Questa settimana"),
            l.pick("Usual", "D’habitude", "Di solito"),
        ),
    };
    (
        (width(now), width(usual)),
        (
            format!("{this} {}", labels.0),
            format!("{other} {}", labels.1),
        ),
    )
}

/// A facet's statistics, for the notes at the end.
fn facet_note(n: usize, f: &Facet, l: Locale) -> String {
    // No-break spaces: "p < 0.0001" is never split across lines.
    let p = if f.p_value < 0.0001 {
        format!("p\u{a0}<\u{a0}{}", l.number(0.0001, 4))
    } else {
        format!("p\u{a0}=\u{a0}{}", l.number(f.p_value, 4))
    };
    let (k, m) = (l.count(f.count), l.count(f.out_of));
    let e = l.percent(f.usual);
    let against = match f.kind {
        FacetKind::Volume => l.pick(
            format!("{k} tickets against {m} in the 4 weeks before"),
            format!("{k} tickets contre {m} sur les 4 semaines précédentes"),
            format!("{k} ticket contro {m} nelle 4 settimane precedenti"),
        ),
        FacetKind::LowCsat => l.pick(
            format!("{k} of {m} answers negative, {e} expected"),
            format!("{k} réponses négatives sur {m}, attendu\u{202f}: {e}"),
            format!("{k} risposte negative su {m}, atteso {}", it_the(&e)),
        ),
        FacetKind::Reroutes => l.pick(
            format!("{k} of {m} solved tickets re-routed, {e} expected"),
            format!("{k} tickets résolus sur {m} transférés, attendu\u{202f}: {e}"),
            format!(
                "{k} ticket risolti su {m} trasferiti, atteso {}",
                it_the(&e)
            ),
        ),
        FacetKind::Reopens => l.pick(
            format!("{k} tickets reopened for {m} solves, {e} expected"),
            format!("{k} tickets rouverts pour {m} résolutions, attendu\u{202f}: {e}"),
            format!(
                "{k} ticket riaperti su {m} risoluzioni, atteso {}",
                it_the(&e)
            ),
        ),
        FacetKind::RepeatContacts => l.pick(
            format!("{k} of {m} customer tickets were repeat contacts, {e} expected"),
            format!("{k} tickets clients sur {m} étaient des recontacts, attendu\u{202f}: {e}"),
            format!(
                "{k} ticket di clienti su {m} erano ricontatti, atteso {}",
                it_the(&e)
            ),
        ),
        FacetKind::Unconfirmed => {
            let c = f.out_of.saturating_sub(f.count);
            l.pick(
                format!("{m} solves less the period’s {c} customer confirmations: {k}, {e} expected"),
                format!("{m} résolutions moins les {c} confirmations du client de la période\u{202f}: {k}, attendu\u{202f}: {e}"),
                format!("{m} risoluzioni meno le {c} conferme del cliente del periodo: {k}, atteso {}", it_the(&e)),
            )
        }
        FacetKind::SlowReplies => {
            let usual = l.duration(f.compared.map_or(0.0, |(_, u)| u));
            l.pick(
                format!("{k} of {m} replies slower than the usual median of {usual}, {e} expected"),
                format!("{k} réponses sur {m} plus lentes que la médiane habituelle de {usual}, attendu\u{202f}: {e}"),
                format!("{k} risposte su {m} più lente della mediana abituale di {usual}, atteso {}", it_the(&e)),
            )
        }
        FacetKind::SloMiss => l.pick(
            format!("{k} of {m} tickets breached, {e} allowed"),
            format!("{k} tickets sur {m} hors délai, toléré\u{202f}: {e}"),
            format!(
                "{k} ticket su {m} oltre il termine, tollerato {}",
                it_the(&e)
            ),
        ),
        FacetKind::BreachHours => l.pick(
            format!("{k} of {m} tickets breached, {e} expected"),
            format!("{k} tickets sur {m} hors délai, attendu\u{202f}: {e}"),
            format!("{k} ticket su {m} oltre il termine, atteso {}", it_the(&e)),
        ),
        FacetKind::ServqualGap => {
            let (now, before) = compared_gaps(f, l);
            l.pick(
                format!("SERVQUAL gap {now} in {k} answers against {before} in {m}, one-sided normal test on the difference of the two gaps (the means’ standard errors)"),
                format!("écart SERVQUAL {now} sur {k} réponses contre {before} sur {m}, test normal unilatéral sur la différence des deux écarts (erreurs types des moyennes)"),
                format!("divario SERVQUAL {now} su {k} risposte contro {before} su {m}, test normale unilaterale sulla differenza dei due divari (errori standard delle medie)"),
            )
        }
    };
    format!("[{n}] {against}{} {p}", l.pick(";", "\u{202f};", ";"))
}

fn comment_line(c: &crate::digest::facts::Comment, l: Locale) -> String {
    use crate::model::SurveyScore::*;
    let score = match c.score {
        Csat(v) => format!("CSAT {v}/5"),
        Nps(v) => format!("NPS {v}/10"),
        Ces(v) => format!("{} {v}/7", l.pick("effort", "effort", "sforzo")),
        Servqual { score, .. } => format!("SERVQUAL {score}/7"),
    };
    format!("{} ({score})", quoted(&c.text, l))
}

fn slo_view(r: &SloRow, l: Locale) -> SloView {
    SloView {
        name: r.name.clone(),
        promise: promise(r, l),
        week: or_dash(r.week, |w| l.percent_against(w, r.objective)),
        usual: or_dash(r.usual, |v| l.percent(v)),
        objective: l.percent(r.objective),
        active: l.count(r.active_breaches),
        missed: r.week.is_some_and(|w| w < r.objective),
    }
}

/// The team-health section: the pulse, leavers, new agents — numbers of
/// groups only (see `health::MIN_PEOPLE`).
fn health_lines(h: &crate::digest::health::TeamHealth, l: Locale) -> Vec<String> {
    use crate::digest::health::MIN_PEOPLE;
    let c = colon(l);
    let signed = |v: Option<f64>| or_dash(v, |v| signed_level(v, 0, l));
    let index = |v: Option<f64>| or_dash(v, |v| l.number(v, 0));
    let mut out = Vec::new();
    if let Some((now, before)) = &h.pulse {
        let (enps, idx, n) = (
            signed(now.enps),
            index(now.index),
            l.count(now.people as u64),
        );
        let before = before.map_or_else(
            || {
                l.pick(
                    "no pulse in the 4 weeks before",
                    "pas de baromètre les 4 semaines précédentes",
                    "nessun sondaggio nelle 4 settimane precedenti",
                )
                .to_string()
            },
            |b| {
                let (e, i) = (signed(b.enps), index(b.index));
                l.pick(
                    format!("the 4 weeks before: eNPS {e}, engagement {i}"),
                    format!("4 semaines précédentes\u{202f}: eNPS {e}, engagement {i}"),
                    format!("4 settimane precedenti: eNPS {e}, coinvolgimento {i}"),
                )
            },
        );
        out.push(l.pick(
            format!("Engagement pulse, last 4 weeks ({n} people){c} eNPS {enps}, engagement index {idx} of 100 ({before})."),
            format!("Baromètre d’engagement des 4 dernières semaines ({n} personnes){c} eNPS {enps}, indice d’engagement {idx} sur 100 ({before})."),
            format!("Sondaggio di coinvolgimento, ultime 4 settimane ({n} persone){c} eNPS {enps}, indice di coinvolgimento {idx} su 100 ({before})."),
        ));
    }
    if let Some(leavers) = h.leavers {
        let (left, employed) = (l.count(leavers.left), l.count(leavers.employed));
        let when = if leavers.this_week {
            l.pick(
                "Left this week",
                "Départs cette semaine",
                "Uscite questa settimana",
            )
        } else {
            l.pick(
                "Left this month",
                "Départs ce mois-ci",
                "Uscite questo mese",
            )
        };
        out.push(l.pick(
            format!("{when}{c} {left}; {employed} agents at the week’s end."),
            format!("{when}{c} {left}\u{202f}; {employed} agents en fin de semaine."),
            format!("{when}{c} {left}; {employed} operatori a fine settimana."),
        ));
    }
    match &h.newcomers {
        Some(Ok((new, others))) => {
            let median = |v: &Option<f64>| or_dash(*v, |v| l.duration(v));
            let csat = |v: Option<f64>| or_dash(v, |v| l.percent(v));
            let n = l.count(new.agents as u64);
            let (fr1, fr0) = (median(&new.first_response), median(&others.first_response));
            let (r1, r0) = (median(&new.reply), median(&others.reply));
            let (c1, c0) = (csat(new.csat), csat(others.csat));
            out.push(l.pick(
                format!("New agents (first 90 days, {n} with tickets) this week{c} median first response {fr1} against {fr0} for the others, median reply {r1} against {r0} (business hours), CSAT {c1} against {c0}."),
                format!("Nouveaux agents (90 premiers jours, {n} avec des tickets) cette semaine{c} première réponse médiane {fr1} contre {fr0} pour les autres, réponse médiane {r1} contre {r0} (heures ouvrées), CSAT {c1} contre {c0}."),
                format!("Nuovi operatori (primi 90 giorni, {n} con ticket) questa settimana{c} prima risposta mediana {fr1} contro {fr0} per gli altri, risposta mediana {r1} contro {r0} (ore lavorative), CSAT {c1} contro {c0}."),
            ));
        }
        Some(Err(n)) => {
            let (n, min) = (l.count(*n as u64), l.count(MIN_PEOPLE as u64));
            out.push(l.pick(
                format!("New agents (first 90 days){c} {n} had tickets this week; the comparison needs at least {min} agents on each side, so that no one’s own numbers are shown."),
                format!("Nouveaux agents (90 premiers jours){c} {n} avec des tickets cette semaine\u{202f}; la comparaison demande au moins {min} agents de chaque côté, pour ne jamais montrer les chiffres d’une seule personne."),
                format!("Nuovi operatori (primi 90 giorni){c} {n} con ticket questa settimana; il confronto richiede almeno {min} operatori per parte, per non mostrare mai i numeri di una sola persona."),
            ));
        }
        None => {}
    }
    out
}

/// The Monday view's lines.
fn monday_lines(m: &Monday, l: Locale) -> Vec<String> {
    let c = colon(l);
    let mut out = Vec::new();
    let age = or_dash(m.median_age, |a| l.duration(a));
    let (open, old) = (l.count(m.open), m.older_than_week);
    let older = match old {
        0 => l.pick(
            "none older than 7 days".to_string(),
            "dont aucun créé il y a plus de 7 jours".to_string(),
            "nessuno aperto da più di 7 giorni".to_string(),
        ),
        1 => l.pick(
            "1 older than 7 days".to_string(),
            "dont 1 créé il y a plus de 7 jours".to_string(),
            "1 aperto da più di 7 giorni".to_string(),
        ),
        n => {
            let n = l.count(n);
            l.pick(
                format!("{n} older than 7 days"),
                format!("dont {n} créés il y a plus de 7 jours"),
                format!("{n} aperti da più di 7 giorni"),
            )
        }
    };
    let semicolon = l.pick(";", "\u{202f};", ";");
    out.push(l.pick(
        format!(
            "Backlog{c} {} {}, {older}{semicolon} median age {age}.",
            open,
            l.plural(m.open, "open ticket", "open tickets")
        ),
        format!(
            "Stock{c} {} {}, {older}{semicolon} âge médian {age}.",
            open,
            l.plural(m.open, "ticket ouvert", "tickets ouverts")
        ),
        format!("Ticket aperti{c} {open}, {older}{semicolon} età mediana {age}."),
    ));
    if let Some((id, a)) = &m.oldest_waiting {
        let a = l.duration(*a);
        out.push(l.pick(
            format!("Oldest ticket waiting on the team{c} ticket {id}, open for {a}."),
            format!(
                "Ticket le plus ancien en attente de l’équipe{c} n°\u{a0}{id}, ouvert depuis {a}."
            ),
            format!("Ticket in attesa da più tempo{c} n.\u{a0}{id}, aperto da {a}."),
        ));
    }
    if !m.busiest.is_empty() {
        let hours: Vec<String> = m
            .busiest
            .iter()
            // "(7 tickets)" stays on one line.
            .map(|&(d, h, n)| {
                let t = tickets(n, l).replace(' ', "\u{a0}");
                format!("{} ({t})", hours_name(d, h, h + 1, l))
            })
            .collect();
        out.push(format!(
            "{}{c} {}.",
            l.pick("Busiest hours", "Heures les plus chargées", "Ore di punta"),
            hours.join(", ")
        ));
    }
    out
}

fn view(d: &Digest, l: Locale, dashboard_url: Option<&str>) -> View {
    let tests = d.findings.tests;
    let alpha = l
        .number(d.findings.alpha, 3)
        .trim_end_matches('0')
        .to_string();
    let kpis = d
        .headline
        .iter()
        .zip(&d.trend)
        // A figure with no data in five weeks (NPS without surveys) is noise.
        .filter(|(_, trend)| trend.iter().any(Option::is_some))
        .map(|(k, trend)| {
            let change = kpi_change(k, l);
            KpiRow {
                label: kpi_label(k.key, &d.scope, l),
                week: kpi_value(k.key, k.week, l),
                // Counts as integers: a usual week of 143.2 tickets is 143.
                baseline: kpi_value(
                    k.key,
                    k.baseline.map(|b| {
                        if k.key == KpiKey::Volume {
                            b.round()
                        } else {
                            b
                        }
                    }),
                    l,
                ),
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
    let mut notes = Vec::new();
    let issues = d
        .findings
        .issues
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let facets = i
                .facets
                .iter()
                .map(|f| {
                    notes.push(facet_note(notes.len() + 1, f, l));
                    let (bars, bar_labels) = facet_bars(f, l);
                    FacetView {
                        name: facet_label(f.kind, l).to_string(),
                        text: facet_text(f, i, d, l),
                        action: facet_action(f, i, d, l),
                        note: notes.len(),
                        bars,
                        bar_labels,
                    }
                })
                .collect();
            IssueView {
                rank: n + 1,
                title: title(i, l),
                persistent: i.persistent(),
                owner: i.owner.clone(),
                facets,
                comments: i.comments.iter().map(|c| comment_line(c, l)).collect(),
                // The tickets behind the issue, on the drill-down dashboard.
                // (The dashboard itself when its URL names no Grafana dashboard.)
                link: dashboard_url
                    .map(|u| tickets_link(u, d, i).unwrap_or_else(|| dashboard_link(u, d))),
            }
        })
        .collect::<Vec<_>>();
    let found = d.findings.issues.len() + d.findings.more;
    let scope = scope_name(&d.scope, l);
    let before = l.date_range(
        d.week.minus(analysis::BASELINE_WEEKS).monday(),
        d.week.minus(1).sunday(),
    );
    let missed: Vec<&SloRow> = d
        .slos
        .iter()
        .filter(|r| r.week.is_some_and(|w| w < r.objective))
        .collect();
    View {
        lang: l.code(),
        colon: colon(l),
        semicolon: l.pick(";", "\u{202f};", ";"),
        alarm: found > 0 || !missed.is_empty(),
        title: l.pick("Weekly support digest", "Bilan hebdomadaire du support", "Riepilogo settimanale dell’assistenza").to_string(),
        scope: scope.clone(),
        period: Locale::capitalise(&week_label(d, l)),
        summary: match found {
            // Quiet is only green when every SLO held too.
            0 if missed.is_empty() => l.pick(
                "No systemic issue this week: nothing stood out from normal variation.",
                "Aucun problème systémique cette semaine\u{202f}: rien ne sort de la variation habituelle.",
                "Nessun problema sistemico questa settimana: niente si discosta dalla normale variabilità.",
            )
            .to_string(),
            0 => l.pick(
                format!("No systemic issue stood out this week, but {} below {} objective: see the SLO table.", l.plural(missed.len() as u64, "1 SLO is", &format!("{} SLOs are", missed.len())), l.plural(missed.len() as u64, "its", "their")),
                format!("Aucun problème systémique ne ressort cette semaine, mais {} sous {} objectif\u{202f}: voir le tableau des SLO.", l.plural(missed.len() as u64, "1 SLO est", &format!("{} SLO sont", missed.len())), l.plural(missed.len() as u64, "son", "leur")),
                format!("Nessun problema sistemico questa settimana, ma {} sotto l’obiettivo: vedi la tabella degli SLO.", l.plural(missed.len() as u64, "1 SLO è", &format!("{} SLO sono", missed.len()))),
            ),
            // One issue: nothing to rank.
            1 => format!("{}.", Locale::capitalise(&issues_found(found, l))),
            _ => l.pick(
                format!("{}, the one affecting most people first.", Locale::capitalise(&issues_found(found, l))),
                format!("{}, en commençant par celui qui touche le plus de personnes.", Locale::capitalise(&issues_found(found, l))),
                format!("{}, a partire da quello che colpisce più persone.", Locale::capitalise(&issues_found(found, l))),
            ),
        },
        basis: match &d.scope {
            Scope::All => l.pick(
                format!("All tickets, compared with the 4 weeks before ({before})."),
                format!("Tous les tickets, comparés aux 4 semaines précédentes ({before})."),
                format!("Tutti i ticket, confrontati con le 4 settimane precedenti ({before})."),
            ),
            Scope::Team(t) => l.pick(
                format!("Every number counts the tickets that reached {t}, first or after a transfer (a new ticket: within 24 hours), and compares them with the 4 weeks before ({before})."),
                format!("Chaque chiffre compte les tickets passés par {t}, d’emblée ou après un transfert (un nouveau ticket\u{202f}: dans les 24 heures), et les compare aux 4 semaines précédentes ({before})."),
                format!("Ogni numero conta i ticket passati da {t}, direttamente o dopo un trasferimento (un nuovo ticket: entro 24 ore), e li confronta con le 4 settimane precedenti ({before})."),
            ),
        },
        l: Labels {
            headline: l.pick("Key figures", "Indicateurs", "Indicatori").to_string(),
            this_week: l.pick("This week", "Cette semaine", "Questa settimana").to_string(),
            usual: l.pick("Previous 4 weeks", "4 semaines précédentes", "4 settimane precedenti").to_string(),
            change: l.pick("Change", "Écart", "Variazione").to_string(),
            trend: l.pick("5 weeks", "5 semaines", "5 settimane").to_string(),
            slos: l.pick("Service-level objectives", "Objectifs de niveau de service (SLO)", "Obiettivi di livello di servizio (SLO)").to_string(),
            objective: l.pick("Objective", "Objectif", "Obiettivo").to_string(),
            active: l.pick("Open past target", "Ouverts hors délai", "Aperti oltre il termine").to_string(),
            monday: l.pick("At the week’s end", "En fin de semaine", "A fine settimana").to_string(),
            health: l.pick("Team health", "Santé de l’équipe", "Salute del team").to_string(),
            notes: l.pick("Notes", "Notes", "Note").to_string(),
            comments: l.pick("In customers’ words", "Verbatims clients", "Le parole dei clienti").to_string(),
            owner: l.pick("Who can act", "Qui peut agir", "Chi può intervenire").to_string(),
            link: l.pick("The tickets behind this issue", "Les tickets concernés", "I ticket interessati").to_string(),
            persistent: l.pick("Persistent", "Persistant", "Persistente").to_string(),
            below: l.pick("below objective", "sous l’objectif", "sotto l’obiettivo").to_string(),
        },
        kpis,
        slos: d.slos.iter().map(|r| slo_view(r, l)).collect(),
        issues_title: l.pick("Systemic issues", "Problèmes systémiques", "Problemi sistemici").to_string(),
        issues,
        more: (d.findings.more > 0).then(|| {
            let n = d.findings.more;
            match n {
                1 => l.pick("…and 1 smaller one.", "…et 1 autre, de moindre ampleur.", "…e un altro, minore.").to_string(),
                n => l.pick(
                    format!("…and {n} smaller ones."),
                    format!("…et {n} autres, de moindre ampleur."),
                    format!("…e altri {n}, minori."),
                ),
            }
        }),
        monday: monday_lines(&d.monday, l),
        health: d.health.as_ref().map(|h| health_lines(h, l)).unwrap_or_default(),
        notes,
        dashboard: dashboard_url.map(|u| {
            (
                l.pick("Open the dashboard for this week", "Ouvrir le tableau de bord de la semaine", "Apri la dashboard della settimana").to_string(),
                dashboard_link(u, d),
            )
        }),
        method: l.pick(
            format!("How issues are found: each count is compared with its usual level (for a category, its own 4 weeks before) by an exact one-sided binomial test; {tests} tests were run; an issue must reach p\u{a0}<\u{a0}{alpha} after Bonferroni correction and a minimum count, so small numbers raise nothing. Issues are ranked by how many tickets or customers were affected beyond the usual."),
            format!("Méthode\u{202f}: chaque compte est comparé à sa valeur habituelle (pour une catégorie, ses propres 4 semaines précédentes) par un test binomial exact unilatéral\u{202f}; {tests} tests ont été effectués\u{202f}; un problème doit atteindre p\u{a0}<\u{a0}{alpha} après correction de Bonferroni et porter sur un effectif minimal, afin que les petits nombres ne déclenchent pas d’alerte. Les problèmes sont classés selon le nombre de tickets ou de clients touchés au-delà de la normale."),
            format!("Metodo: ogni conteggio è confrontato con il suo valore abituale (per una categoria, le sue 4 settimane precedenti) mediante un test binomiale esatto unilaterale; sono stati eseguiti {tests} test; un problema deve raggiungere p\u{a0}<\u{a0}{alpha} dopo la correzione di Bonferroni e un conteggio minimo, così che i numeri piccoli non facciano scattare segnalazioni. I problemi sono ordinati per numero di ticket o clienti colpiti oltre il normale."),
        ),
    }
}

/// The ticket drill-down (`support-tickets`) beside the dashboard at
/// `base` (`…/d/<uid>…`), for the week, the digest's team, and what the
/// issue is about: its category or its SLO. `None` when `base` is not a
/// Grafana dashboard URL.
pub fn tickets_link(base: &str, d: &Digest, issue: &analysis::Issue) -> Option<String> {
    let at = base.find("/d/")?;
    // The overview's own query (`?orgId=2`) names the Grafana organisation
    // the tickets dashboard lives in too.
    let query = base.find('?').map_or("", |q| &base[q..]);
    let tickets = format!(
        "{}/d/{}{query}",
        &base[..at],
        crate::model::TICKETS_DASHBOARD
    );
    let mut url = dashboard_link(&tickets, d);
    let (var, value) = match &issue.subject {
        Subject::Category(c) => ("category", c.as_str()),
        Subject::Slo { name, .. } => ("slo", name.as_str()),
        Subject::Hours { .. } => return Some(url),
        // Not about tickets: the surveys dashboard, over the two waves.
        Subject::Servqual(_) => {
            let surveys = format!(
                "{}/d/{}{query}",
                &base[..at],
                crate::model::SURVEYS_DASHBOARD
            );
            let sep = if surveys.contains('?') { '&' } else { '?' };
            let from = d.period.to
                - chrono::Duration::weeks(i64::from(
                    analysis::SERVQUAL_WAVE_WEEKS + analysis::SERVQUAL_BEFORE_WEEKS,
                ));
            return Some(format!(
                "{surveys}{sep}from={}&to={}",
                from.timestamp_millis(),
                d.period.to.timestamp_millis()
            ));
        }
    };
    url.push_str(&format!(
        "&var-{var}={}",
        crate::config::percent_encode(value)
    ));
    Some(url)
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
            // A hanging indent under `1. `, `[1] ` and `→ `.
            let marker = marker_width(body);
            format!("{indent}{}", " ".repeat(marker))
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

/// The width of a list marker that starts `line` (`12. `, `[3] `, `→ `),
/// or 0.
fn marker_width(line: &str) -> usize {
    let digits = |s: &str| s.chars().take_while(char::is_ascii_digit).count();
    if line.starts_with("→ ") {
        return 2;
    }
    let n = digits(line);
    if n > 0 && line[n..].starts_with(". ") {
        return n + 2;
    }
    if let Some(rest) = line.strip_prefix('[') {
        let n = digits(rest);
        if n > 0 && rest[n..].starts_with("] ") {
            return n + 3;
        }
    }
    0
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
