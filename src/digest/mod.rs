//! The weekly digest of systemic issues, emailed to each team lead
//! (DESIGN.md §1, §5, §6).
//!
//! - `week`: ISO weeks in the organisation's time zone;
//! - `facts`: what the engine walk yields, flattened for counting;
//! - `analysis` (pure): headline KPIs and ranked systemic issues;
//! - `locale` and `render`: the email in en/fr/it, plain text and HTML;
//! - `send`: SMTP delivery with retries, exactly once per week, team and
//!   recipient thanks to the digest log in the state store.

pub mod analysis;
pub mod facts;
pub mod health;
pub mod locale;
pub mod render;
pub mod send;
pub mod significance;
pub mod week;

use std::collections::BTreeSet;

use crate::config::Settings;
use crate::engine::people::Directory;
use crate::engine::timeline::Timeline;
use crate::model::Period;
use crate::model::UNASSIGNED;
use crate::model::{EngagementResponse, Instant, SurveyResponse, Ticket};
use crate::rejects::RejectCount;
use crate::report::aggregate::{Aggregator, Dimension};
use crate::report::scan::Visitor;
use crate::report::{Metrics, ReportError};
use crate::source::{Source, SourceError};
use crate::state::StateStore;
pub use analysis::{ALL, Findings, Kpi, Monday, Scope, SloRow, Thresholds, Weeks};
pub use week::IsoWeek;

/// One scope's digest for one week.
#[derive(Debug, Clone)]
pub struct Digest {
    pub week: IsoWeek,
    pub period: Period,
    pub scope: Scope,
    pub headline: Vec<Kpi>,
    /// Each headline figure in the five weeks ending with this one, oldest
    /// first: the sparkline.
    pub trend: Vec<Vec<Option<f64>>>,
    /// One row per SLO that applies to the scope.
    pub slos: Vec<SloRow>,
    pub findings: Findings,
    pub monday: Monday,
    /// The team-health section, after everything about customers; `None`
    /// without engagement answers or staff.
    pub health: Option<health::TeamHealth>,
}

/// Every scope's digest for a week.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub digests: Vec<Digest>,
    pub rejected: Vec<RejectCount>,
}

impl Analysis {
    pub fn scope(&self, key: &str) -> Option<&Digest> {
        self.digests.iter().find(|d| d.scope.key() == key)
    }
}

/// Weeks shown in the trend: the baseline's four and the week itself.
const TREND_WEEKS: u32 = analysis::BASELINE_WEEKS + 1;

/// The SERVQUAL answers of the latest wave and of the one before
/// ([`analysis::ServqualWaves`]), read on their own: the scan reads only
/// the weeks the other findings need. Their faults are the collections'
/// and the report's to count (the scan reports those of its weeks).
async fn servqual_waves(
    source: &Source,
    week: IsoWeek,
    tz: chrono_tz::Tz,
    this_week: Period,
) -> Result<analysis::ServqualWaves, SourceError> {
    use crate::model::SurveyScore;
    let wave_from = week
        .minus(analysis::SERVQUAL_WAVE_WEEKS - 1)
        .period(tz)
        .from;
    let before_from = week
        .minus(analysis::SERVQUAL_WAVE_WEEKS + analysis::SERVQUAL_BEFORE_WEEKS - 1)
        .period(tz)
        .from;
    let mut rejects = crate::rejects::Rejects::default();
    let answers = source
        .surveys_matching(
            &crate::source::Rows::ServqualSince(before_from),
            &mut rejects,
        )
        .await?;
    let mut waves = analysis::ServqualWaves::default();
    for a in answers.iter().filter(|a| a.responded_at < this_week.to) {
        let SurveyScore::Servqual {
            side,
            dimension,
            score,
            ..
        } = a.score
        else {
            continue;
        };
        let tally = if a.responded_at >= wave_from {
            &mut waves.wave
        } else {
            &mut waves.before
        };
        tally.add(side, dimension, score);
        waves.this_week += u64::from(this_week.contains(a.responded_at));
    }
    Ok(waves)
}

/// Feeds one scan to the facts, to an aggregator per week and to the
/// new agents' numbers.
struct Collector<'a> {
    facts: facts::Facts<'a>,
    newcomers: Option<health::Newcomers<'a>>,
    /// `TREND_WEEKS` weekly aggregators, oldest first; the last is the
    /// week, the ones before it the baseline (taken as one at the end).
    weekly: Vec<Aggregator<'a>>,
}

impl Visitor for Collector<'_> {
    fn ticket(&mut self, ticket: &Ticket, timeline: &Timeline, surveys: &[SurveyResponse]) {
        self.facts.ticket(ticket, timeline, surveys);
        if let Some(n) = &mut self.newcomers {
            n.ticket(timeline, surveys);
        }
        for a in &mut self.weekly {
            a.ticket(ticket, timeline, surveys);
        }
    }
    fn ticketless_survey(&mut self, survey: &SurveyResponse) {
        for a in &mut self.weekly {
            Visitor::ticketless_survey(a, survey);
        }
    }
    fn engagement(&mut self, _answer: &EngagementResponse) {}
}

/// Analyses `week` for all teams, every team with data in the five weeks
/// and every team in `digest.teams` (whose leads expect their Monday email
/// even after a week without tickets).
///
/// With `from_state`, the tickets' walked timelines come from the state
/// store (`report --from-state`): refused, saying why, when the store is
/// not current, or keeps no requester hashes (the repeat contacts compare
/// requesters: `state.requester_salt`).
pub async fn analyse(
    source: &Source,
    from_state: Option<&StateStore>,
    settings: &Settings,
    week: IsoWeek,
    now: Instant,
) -> Result<Analysis, ReportError> {
    if from_state.is_some() && settings.state.requester_salt.is_none() {
        return Err(ReportError::NotCurrent(
            "it keeps no requesters without state.requester_salt, and the digest's repeat \
             contacts compare them"
                .into(),
        ));
    }
    source.begin_job(now).await;
    let thresholds = &settings.digest.thresholds;
    let tz = settings.timezone;
    let weeks = Weeks {
        week: week.period(tz),
        previous: week.minus(1).period(tz),
        baseline: week.minus(1).span(analysis::BASELINE_WEEKS, tz),
        each: [4, 3, 2, 1].map(|n| week.minus(n).period(tz)),
    };
    // Repeat contacts look 7 days behind the baseline's first ticket.
    let window = Period {
        from: weeks.baseline.from - chrono::Duration::days(7),
        to: weeks.week.to,
    };
    // A team's numbers count the tickets that reached it by the week's end,
    // as its issues do (facts' `teams`).
    let as_of = weeks.week.to.min(now);
    let aggregator = |p: Period| {
        Aggregator::new(
            p,
            Some(Dimension::Team),
            p.to.min(now),
            &settings.calendars,
            &settings.slos,
        )
        .by_teams_reached(window.to)
        .servqual_weights(settings.servqual)
    };
    // The staff and the engagement pulses, for the team-health section.
    let mut staff_rejects = crate::rejects::Rejects::default();
    let agents = source.agents(&mut staff_rejects).await?;
    let directory = agents.as_deref().map(|a| Directory::new(a, tz));
    let pulses_from = health::weeks_before(weeks.week.to, 2 * health::PULSE_WEEKS, tz);
    // The pulses' faults are the scan's to report for its weeks (it reads
    // the engagement answers too) and the collections' for the others.
    let engagement: Vec<EngagementResponse> = source
        .engagement_matching(
            &crate::source::Rows::ChangedSince(pulses_from),
            &mut crate::rejects::Rejects::default(),
        )
        .await?
        .into_iter()
        .filter(|e| e.responded_at < weeks.week.to)
        .collect();
    let mut c = Collector {
        facts: facts::Facts::new(window, as_of, &settings.slos),
        newcomers: directory
            .as_ref()
            .map(|d| health::Newcomers::new(weeks.week, d)),
        weekly: (0..TREND_WEEKS)
            .rev()
            .map(|n| aggregator(week.minus(n).period(tz)))
            .collect(),
    };
    // Everything the trend, the baseline and the repeat-contact window need.
    let since = [window.from, week.minus(TREND_WEEKS - 1).period(tz).from]
        .into_iter()
        .min()
        .unwrap_or(window.from);
    let span = Period {
        from: since,
        to: weeks.week.to,
    };
    let mut rejected =
        crate::report::scan_period(source, from_state, settings, span, now, &mut c).await?;
    // The staff's faults are reported with the scan's.
    staff_rejects.log();
    rejected.extend(staff_rejects.summary());
    let servqual = servqual_waves(source, week, tz, weeks.week).await?;
    c.facts.mark_repeat_contacts();

    // The baseline's weeks are the trend's before this one.
    let (weekly, baseline) =
        Aggregator::finish_with_union(c.weekly, 0..analysis::BASELINE_WEEKS as usize);
    let mut teams: BTreeSet<String> = BTreeSet::new();
    for (_, groups) in weekly.iter().chain([&baseline]) {
        teams.extend(groups.iter().flat_map(|g| g.keys().cloned()));
    }
    teams.remove(UNASSIGNED);
    teams.extend(settings.digest.teams.keys().cloned());
    let scopes = std::iter::once(Scope::All).chain(teams.into_iter().map(Scope::Team));

    let empty = Aggregator::new(weeks.week, None, now, &settings.calendars, &settings.slos)
        .finish()
        .0;
    let metrics =
        |(overall, groups): &(Metrics, Option<std::collections::BTreeMap<String, Metrics>>),
         scope: &Scope|
         -> Metrics {
            match scope.team() {
                None => overall.clone(),
                Some(t) => groups
                    .as_ref()
                    .and_then(|g| g.get(t))
                    .cloned()
                    .unwrap_or_else(|| empty.clone()),
            }
        };
    let by_team = c.facts.rows_by_team();
    let no_facts = facts::Facts::new(window, as_of, &settings.slos);
    let digests = scopes
        .map(|scope| {
            // A team's facts are copied out for its digest only, one team
            // at a time.
            let team_facts = scope
                .team()
                .and_then(|t| by_team.get(t))
                .map(|rows| c.facts.select(rows));
            let facts = match (scope.team(), &team_facts) {
                (None, _) => &c.facts,
                (Some(_), Some(f)) => f,
                (Some(_), None) => &no_facts,
            };
            let per_week: Vec<Metrics> = weekly.iter().map(|w| metrics(w, &scope)).collect();
            let baseline_metrics = metrics(&baseline, &scope);
            let n = per_week.len();
            let headline =
                analysis::headline(&per_week[n - 1], &per_week[n - 2], &baseline_metrics);
            let trend = headline
                .iter()
                .map(|k| per_week.iter().map(|m| analysis::value(k.key, m)).collect())
                .collect();
            let history: Vec<analysis::SloHistory> = settings
                .slos
                .iter()
                .enumerate()
                .map(|(i, slo)| {
                    let of =
                        |m: &Metrics| m.slo.get(i).map_or((0, 0), |r| (r.measured, r.breached));
                    analysis::SloHistory {
                        slo: i,
                        name: slo.name.clone(),
                        objective: slo.objective.ratio(),
                        each: [0, 1, 2, 3].map(|w| of(&per_week[w])),
                        week: of(&per_week[n - 1]),
                    }
                })
                .collect();
            // SERVQUAL is a relationship survey: the organisation's digest.
            let servqual = matches!(scope, Scope::All).then_some(&servqual);
            let findings =
                analysis::issues(facts, &scope, &weeks, tz, thresholds, &history, servqual);
            Digest {
                week,
                period: weeks.week,
                slos: analysis::slo_rows(&settings.slos, &per_week[n - 1], &baseline_metrics),
                monday: analysis::monday(facts, &scope, weeks.week, as_of, tz),
                health: Some(health::section(
                    scope.team(),
                    weeks.week,
                    tz,
                    &engagement,
                    agents.as_deref(),
                    c.newcomers.as_ref(),
                ))
                .filter(|h| !h.is_empty()),
                scope,
                headline,
                trend,
                findings,
            }
        })
        .collect();
    Ok(Analysis { digests, rejected })
}

#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error(transparent)]
    Render(#[from] render::RenderError),
    #[error(transparent)]
    Send(#[from] send::SendError),
    #[error("{0}")]
    Config(String),
    #[error("no digest for team `{team}` in {week}; teams with data or in digest.teams: {known}")]
    UnknownTeam {
        team: String,
        week: IsoWeek,
        known: String,
    },
    #[error("cannot write {path}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl Analysis {
    /// Keeps only `team`'s digest (`all`: the all-teams one), if given.
    pub fn only(mut self, team: Option<&str>, week: IsoWeek) -> Result<Analysis, DigestError> {
        let Some(team) = team else {
            return Ok(self);
        };
        let known: Vec<String> = self
            .digests
            .iter()
            .map(|d| d.scope.key().to_string())
            .collect();
        self.digests.retain(|d| d.scope.key() == team);
        if self.digests.is_empty() {
            return Err(DigestError::UnknownTeam {
                team: team.to_string(),
                week,
                known: known.join(", "),
            });
        }
        Ok(self)
    }
}

/// Files written by [`preview`].
#[derive(Debug, Clone)]
pub struct PreviewFile {
    pub scope: String,
    pub issues: usize,
    pub eml: std::path::PathBuf,
    pub html: std::path::PathBuf,
    pub text: std::path::PathBuf,
}

/// Writes each digest as `WEEK-SCOPE.eml`, `.html` and `.txt` in `dir`,
/// addressed to its configured recipients (or a placeholder), sending
/// nothing.
pub fn preview(
    analysis: &Analysis,
    settings: &crate::config::DigestSettings,
    dir: &std::path::Path,
    now: Instant,
) -> Result<Vec<PreviewFile>, DigestError> {
    let write = |path: std::path::PathBuf, bytes: &[u8]| {
        std::fs::write(&path, bytes)
            .map(|_| path.clone())
            .map_err(|source| DigestError::Write { path, source })
    };
    std::fs::create_dir_all(dir).map_err(|source| DigestError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for d in &analysis.digests {
        let r = render::render(d, settings.locale, settings.dashboard_url.as_deref())?;
        let mut to = send::recipients(settings, &d.scope).to_vec();
        if to.is_empty() {
            let placeholder = format!("{}-lead@example.invalid", file_safe(d.scope.key()));
            to.push(placeholder.parse().map_err(|e| {
                DigestError::Config(format!("cannot address a preview to {placeholder}: {e}"))
            })?);
        }
        let id = render::message_id(d, &to[0], &settings.from);
        let msg = render::message(&r, &settings.from, &to, id, now)?;
        let stem = format!("{}-{}", d.week, file_safe(d.scope.key()));
        out.push(PreviewFile {
            scope: d.scope.key().to_string(),
            issues: d.findings.issues.len() + d.findings.more,
            eml: write(dir.join(format!("{stem}.eml")), &msg.formatted())?,
            html: write(dir.join(format!("{stem}.html")), r.html.as_bytes())?,
            text: write(dir.join(format!("{stem}.txt")), r.text.as_bytes())?,
        });
    }
    Ok(out)
}

/// `s` as a file name part: letters, digits, `-` and `_` kept, anything
/// else `_`, at most 48 characters. A name changed on the way (or cut) gets
/// a hash of the original, so that two teams never write one file ("a b"
/// and "a_b") and a 10,000-character team name still fits a file system.
fn file_safe(s: &str) -> String {
    const MAX: usize = 48;
    let safe: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(MAX)
        .collect();
    if safe == s {
        safe
    } else {
        format!("{safe}-{:08x}", crate::rejects::fnv1a64(&[s]) as u32)
    }
}

/// Sends `analysis`'s digests over the configured SMTP server.
pub async fn send_all(
    analysis: &Analysis,
    settings: &crate::config::DigestSettings,
    store: &crate::state::StateStore,
    owner: &str,
    now: Instant,
) -> Result<Vec<send::Delivery>, DigestError> {
    let Some(smtp) = &settings.smtp else {
        return Err(DigestError::Config(
            "digest.smtp is not configured: set digest.smtp.host (and port, security, username) \
             to send, or use --preview DIR"
                .to_string(),
        ));
    };
    let transport = send::transport(smtp).map_err(DigestError::Config)?;
    Ok(send::deliver(
        analysis,
        settings,
        store,
        &transport,
        send::Retry::of(smtp),
        owner,
        now,
    )
    .await?)
}

/// Names this process in the digest log: host, process id and start time.
pub fn owner_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_string());
    format!(
        "{host}/{}/{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    )
}

#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod file_name_tests {
    use super::file_safe;

    #[test]
    fn team_names_become_distinct_bounded_file_names() {
        assert_eq!(file_safe("billing"), "billing");
        assert_ne!(file_safe("a b"), file_safe("a_b"));
        assert!(file_safe("a b").starts_with("a_b-"));
        let long = file_safe(&"é".repeat(10_000));
        assert!(long.len() <= 48 + 9, "{long}");
    }
}
