//! The catalog of exposed series (DESIGN.md §4): names, HELP texts, types,
//! label names and histogram buckets.
//!
//! Every other module refers to a family through these constants, so a name
//! is spelled once. Owns no values: cumulative series live in `state`,
//! the scrape-time rendering in `exposition`.

use crate::engine::slo::Slo;

/// What a family is in the Prometheus data model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram(Layout),
    /// Quantiles over a sliding window, with that window's sum and count:
    /// its series carry a `quantile` label, `"sum"` and `"count"` among
    /// its values ([`SUMMARY_SUM`], [`SUMMARY_COUNT`]) until exposed.
    Summary,
}

/// The `quantile` label value under which a summary's sum is kept.
pub const SUMMARY_SUM: &str = "sum";
/// The `quantile` label value under which a summary's count is kept.
pub const SUMMARY_COUNT: &str = "count";

/// Which bucket bounds a histogram uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Durations of support work, minutes to weeks (plus every SLO target).
    Seconds,
    /// Small counts per ticket (messages, replies).
    Count,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    pub labels: &'static [&'static str],
}

const TCP: &[&str] = &["team", "channel", "priority"];

const fn hist(name: &'static str, help: &'static str, layout: Layout) -> Family {
    Family {
        name,
        help,
        kind: Kind::Histogram(layout),
        labels: TCP,
    }
}

const fn counter(
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
) -> Family {
    Family {
        name,
        help,
        kind: Kind::Counter,
        labels,
    }
}

const fn gauge(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Family {
    Family {
        name,
        help,
        kind: Kind::Gauge,
        labels,
    }
}

// Histograms, observed when the measurement completes (DESIGN.md §3).
pub const FIRST_RESPONSE: Family = hist(
    "support_first_response_seconds",
    "Time from ticket creation to the first agent reply, calendar seconds; observed at the reply.",
    Layout::Seconds,
);
pub const FIRST_RESPONSE_BUSINESS: Family = hist(
    "support_first_response_business_seconds",
    "Time from ticket creation to the first agent reply, seconds inside the team's business hours.",
    Layout::Seconds,
);
pub const FIRST_RESOLUTION: Family = hist(
    "support_first_resolution_seconds",
    "Time from ticket creation to its first solve, calendar seconds.",
    Layout::Seconds,
);
pub const FULL_RESOLUTION: Family = hist(
    "support_full_resolution_seconds",
    "Time from ticket creation to each solve event (the latest resolution), calendar seconds.",
    Layout::Seconds,
);
// Time in status up to each solve event (DESIGN.md §3, §4).
pub const REQUESTER_WAIT: Family = hist(
    "support_requester_wait_seconds",
    "Time the customer waited on us (new, open, on hold) up to each solve event, calendar seconds.",
    Layout::Seconds,
);
pub const REQUESTER_WAIT_BUSINESS: Family = hist(
    "support_requester_wait_business_seconds",
    "Time the customer waited on us (new, open, on hold) up to each solve event, in the business hours of the team holding the ticket at each moment.",
    Layout::Seconds,
);
pub const AGENT_WAIT: Family = hist(
    "support_agent_wait_seconds",
    "Time we waited on the customer (pending) up to each solve event, calendar seconds.",
    Layout::Seconds,
);
pub const ON_HOLD: Family = hist(
    "support_on_hold_seconds",
    "Time we waited on a third party (on hold) up to each solve event, calendar seconds.",
    Layout::Seconds,
);
pub const AGENT_WORK: Family = hist(
    "support_agent_work_seconds",
    "Time the ticket was ours to move (new, open) up to each solve event, calendar seconds.",
    Layout::Seconds,
);
pub const REPLY: Family = hist(
    "support_reply_seconds",
    "Reply time of every exchange: a customer message that starts a wait to the next agent public message, calendar seconds.",
    Layout::Seconds,
);
pub const REPLY_BUSINESS: Family = hist(
    "support_reply_business_seconds",
    "Reply time of every exchange in the business hours of the team at the reply.",
    Layout::Seconds,
);
pub const INTERACTIONS: Family = hist(
    "support_ticket_interactions",
    "Public customer and agent messages up to each solve event.",
    Layout::Count,
);
pub const REPLIES: Family = hist(
    "support_ticket_replies",
    "Public agent messages up to each solve event.",
    Layout::Count,
);

// Counters.
pub const CREATED: Family = counter("support_tickets_created_total", "Tickets opened.", TCP);
pub const SOLVED: Family = counter(
    "support_tickets_solved_total",
    "Solve events (a ticket solved again after a reopen counts again).",
    TCP,
);
pub const REOPENED: Family = counter(
    "support_tickets_reopened_total",
    "Reopen events: a change from solved to a non-closed status.",
    TCP,
);
pub const REROUTES: Family = counter(
    "support_ticket_reroutes_total",
    "Team changes after a ticket's first team assignment.",
    TCP,
);
pub const REASSIGNMENTS: Family = counter(
    "support_ticket_reassignments_total",
    "Assignee changes after a ticket's first assignee.",
    TCP,
);
pub const ONE_TOUCH: Family = counter(
    "support_one_touch_resolutions_total",
    "Solve events with exactly one agent reply.",
    TCP,
);
pub const CUSTOMER_CONFIRMED: Family = counter(
    "support_customer_confirmed_resolutions_total",
    "Solve events the customer confirmed: closed or solved by the customer, or a customer close before any reopen (counted at the confirming event).",
    TCP,
);
pub const SLO_BREACHES: Family = counter(
    "support_slo_breaches_total",
    "Measurements over their SLO target, by SLO name from the configuration and the team at the measurement.",
    &["slo", "team"],
);
pub const SLO_MEASURED: Family = counter(
    "support_slo_measured_total",
    "Measurements an SLO judged, by SLO name from the configuration and the team at the measurement.",
    &["slo", "team"],
);
pub const CSAT: Family = counter(
    "support_csat_responses_total",
    "CSAT answers (1-5) by score.",
    &["team", "channel", "score"],
);
pub const NPS: Family = counter(
    "support_nps_responses_total",
    "NPS answers by class (promoter 9-10, passive 7-8, detractor 0-6).",
    &["score_class"],
);
pub const CES: Family = counter(
    "support_ces_responses_total",
    "CES answers (1 = very low effort ... 7 = very high effort) by score.",
    &["team", "score"],
);
pub const ENGAGEMENT: Family = counter(
    "support_engagement_responses_total",
    "Employee engagement answers by team, question (enps or an item code) and score.",
    &["team", "question", "score"],
);
pub const SERVQUAL: Family = counter(
    "support_servqual_responses_total",
    "SERVQUAL answers (1-7) by dimension, kind (expectation or perception) and score.",
    &["dimension", "kind", "score"],
);
pub const ROWS_REJECTED: Family = counter(
    "support_rows_rejected_total",
    "Source rows skipped because they break the source contract, by relation and reason.",
    &["relation", "reason"],
);

// State gauges, recomputed after each collection.
pub const BACKLOG: Family = gauge(
    "support_backlog_tickets",
    "Tickets not solved or closed, as of the last collection.",
    &["team", "priority", "status"],
);
pub const AWAITING: Family = gauge(
    "support_awaiting_first_response_tickets",
    "Open customer tickets without an agent reply yet, as of the last collection.",
    &["team", "priority"],
);
pub const OLDEST_AWAITING: Family = gauge(
    "support_oldest_awaiting_first_response_seconds",
    "Age of the oldest open ticket without an agent reply, as of the last collection.",
    &["team", "priority"],
);
pub const OLDEST_AWAITING_BUSINESS: Family = gauge(
    "support_oldest_awaiting_first_response_business_seconds",
    "Age of the oldest open ticket without an agent reply in its team's business time (calendar time for a team without a calendar), as of the last collection.",
    &["team", "priority"],
);
pub const TEAM_OPEN: Family = gauge(
    "support_team_open",
    "1 while the team's business calendar is open, 0 while it is closed (always 1 without a calendar), as of the last collection.",
    &["team"],
);
pub const AGENTS: Family = gauge(
    "support_agents",
    "Support agents employed today (support_agents: started_on on or before today, no left_on before it), by home team, as of the last collection.",
    &["team"],
);
/// A counter read whole from the source at each collection (not kept in
/// the state store): leavers only accumulate, so `increase()` over a range
/// is the range's leavers.
pub const AGENTS_LEFT: Family = counter(
    "support_agents_left_total",
    "Support agents who have left (left_on before today), by home team, as of the last collection.",
    &["team"],
);
pub const SLO_ACTIVE: Family = gauge(
    "support_slo_active_breaches",
    "Open tickets whose running clock has passed their SLO target, by SLO and the ticket's team, as of the last collection.",
    &["slo", "team"],
);

// Windowed KPI gauges, recomputed by the `kpi` job.
pub const ARRIVALS_HOUR_OF_WEEK: Family = gauge(
    "support_arrivals_hour_of_week",
    "Customer tickets created per week in each hour of the week (schedule.timezone), on average over the last 28 days, by the team holding them (cached by the kpi job): peak hours, for staffing.",
    &["team", "weekday", "hour"],
);
pub const KPI_CSAT: Family = gauge(
    "support_csat_ratio",
    "Share of CSAT answers scoring 4 or 5 over the window (cached by the kpi job).",
    &["window"],
);
pub const KPI_NPS: Family = gauge(
    "support_nps_score",
    "NPS (-100..100) over the window (cached by the kpi job).",
    &["window"],
);
pub const KPI_CES: Family = gauge(
    "support_ces_average",
    "Mean CES score (1 = very low effort) over the window (cached by the kpi job).",
    &["window"],
);
pub const KPI_ENPS: Family = gauge(
    "support_enps_score",
    "Employee NPS (-100..100) over the window (cached by the kpi job).",
    &["window"],
);
pub const KPI_ENGAGEMENT: Family = gauge(
    "support_engagement_index",
    "Mean engagement Likert item rescaled to 0-100 over the window (cached by the kpi job).",
    &["window"],
);
pub const KPI_SERVQUAL_GAP: Family = gauge(
    "support_servqual_gap",
    "SERVQUAL gap (mean perception minus mean expectation, 1-7 scale) of each dimension over the window (cached by the kpi job); below 0 the service falls short of expectations.",
    &["dimension", "window"],
);
pub const KPI_SERVQUAL_SCORE: Family = gauge(
    "support_servqual_score",
    "SERVQUAL score over the window: the mean of the five dimension gaps (weighting unweighted) or the gaps weighted by [servqual] weights (weighted); cached by the kpi job.",
    &["weighting", "window"],
);
/// A summary, not a gauge: a `quantile` label on a gauge is refused by
/// `promtool check metrics` (and misread by clients).
pub const KPI_FIRST_RESPONSE_QUANTILE: Family = Family {
    name: "support_first_response_quantile_seconds",
    help: "Exact quantiles of first response times (calendar seconds) measured in the window, with their sum and count (cached by the kpi job).",
    kind: Kind::Summary,
    labels: &["window", "quantile"],
};

// Self-metrics.
pub const JOB_RUNS: Family = counter(
    "support_job_runs_total",
    "Job runs by this process, by job and result (ok or error).",
    &["job_name", "result"],
);
pub const JOB_DURATION: Family = gauge(
    "support_job_duration_seconds",
    "Duration of the job's last run.",
    &["job_name"],
);
pub const JOB_LAST_SUCCESS: Family = gauge(
    "support_job_last_success_timestamp_seconds",
    "Unix time of the job's last successful run.",
    &["job_name"],
);
pub const JOB_ROWS_READ: Family = gauge(
    "support_job_rows_read",
    "Source rows the job's last run read, by relation (incremental runs read only what changed).",
    &["job_name", "relation"],
);
pub const SOURCE_UP: Family = gauge(
    "support_source_up",
    "1 when the last collection could read the source, else 0.",
    &[],
);
pub const LEADER: Family = gauge(
    "support_leader",
    "1 when this process leads (runs the jobs and serves the data) among those sharing its state store, else 0.",
    &[],
);
pub const DIGEST_EMAILS: Family = counter(
    "support_digest_emails_total",
    "Weekly digest emails by result.",
    &["result"],
);
pub const BUILD_INFO: Family = gauge(
    "support_build_info",
    "Always 1; the version label tells the build.",
    &["version"],
);

/// Every family, in exposition order.
pub const ALL: &[Family] = &[
    FIRST_RESPONSE,
    FIRST_RESPONSE_BUSINESS,
    FIRST_RESOLUTION,
    FULL_RESOLUTION,
    REQUESTER_WAIT,
    REQUESTER_WAIT_BUSINESS,
    AGENT_WAIT,
    ON_HOLD,
    AGENT_WORK,
    REPLY,
    REPLY_BUSINESS,
    INTERACTIONS,
    REPLIES,
    CREATED,
    SOLVED,
    REOPENED,
    REROUTES,
    REASSIGNMENTS,
    ONE_TOUCH,
    CUSTOMER_CONFIRMED,
    SLO_BREACHES,
    SLO_MEASURED,
    CSAT,
    NPS,
    CES,
    ENGAGEMENT,
    SERVQUAL,
    ROWS_REJECTED,
    BACKLOG,
    AWAITING,
    OLDEST_AWAITING,
    OLDEST_AWAITING_BUSINESS,
    TEAM_OPEN,
    AGENTS,
    AGENTS_LEFT,
    SLO_ACTIVE,
    ARRIVALS_HOUR_OF_WEEK,
    KPI_CSAT,
    KPI_NPS,
    KPI_CES,
    KPI_ENPS,
    KPI_ENGAGEMENT,
    KPI_SERVQUAL_GAP,
    KPI_SERVQUAL_SCORE,
    KPI_FIRST_RESPONSE_QUANTILE,
    JOB_RUNS,
    JOB_DURATION,
    JOB_LAST_SUCCESS,
    JOB_ROWS_READ,
    SOURCE_UP,
    LEADER,
    DIGEST_EMAILS,
    BUILD_INFO,
];

pub fn family(name: &str) -> Option<&'static Family> {
    ALL.iter().find(|f| f.name == name)
}

/// Support work spans minutes to weeks: 1m 5m 15m 30m 1h 2h 4h 8h 12h 1d 2d
/// 3d 5d 1w 2w 4w.
const SECONDS_BUCKETS: &[f64] = &[
    60.0,
    300.0,
    900.0,
    1_800.0,
    3_600.0,
    7_200.0,
    14_400.0,
    28_800.0,
    43_200.0,
    86_400.0,
    172_800.0,
    259_200.0,
    432_000.0,
    604_800.0,
    1_209_600.0,
    2_419_200.0,
];
const COUNT_BUCKETS: &[f64] = &[
    1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0,
];

/// The bucket bounds of both layouts. Every SLO target is a seconds bound,
/// so `_bucket{le="<target>"}` answers an SLO without interpolation.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    pub seconds: Vec<f64>,
    pub count: Vec<f64>,
}

impl Buckets {
    pub fn for_slos(slos: &[Slo]) -> Buckets {
        let mut seconds: Vec<f64> = SECONDS_BUCKETS.to_vec();
        seconds.extend(slos.iter().map(|s| s.target.0));
        seconds.sort_by(f64::total_cmp);
        seconds.dedup();
        Buckets {
            seconds,
            count: COUNT_BUCKETS.to_vec(),
        }
    }

    pub fn bounds(&self, layout: Layout) -> &[f64] {
        match layout {
            Layout::Seconds => &self.seconds,
            Layout::Count => &self.count,
        }
    }

    /// A fingerprint stored with the state: histograms persisted under one
    /// layout cannot be continued under another.
    pub fn fingerprint(&self) -> String {
        let join = |b: &[f64]| {
            b.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        // `v2`: the SLO series carry `team`; `v3`: SERVQUAL answers are
        // counted (an older version rejected them, and an incremental run
        // never reads those rows again). A stored state of another layout
        // is recounted from the source by a full backfill, so that a new
        // series never starts from zero against history.
        format!("s:{};c:{};v3", join(&self.seconds), join(&self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::slo::{SloClock, SloMetric};
    use crate::model::Seconds;

    #[test]
    fn names_are_unique_and_follow_prometheus_conventions() {
        let mut names: Vec<&str> = ALL.iter().map(|f| f.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "duplicate family name");
        for f in ALL {
            assert!(f.name.starts_with("support_"), "{}", f.name);
            assert_eq!(
                f.kind == Kind::Counter,
                f.name.ends_with("_total"),
                "{}: counters and only counters end in _total",
                f.name
            );
        }
    }

    #[test]
    fn slo_targets_become_bucket_bounds() {
        let slo = |target: f64| Slo {
            name: "x".into(),
            metric: SloMetric::FirstResponse,
            clock: SloClock::Calendar,
            objective: crate::engine::slo::Objective::DEFAULT,
            target: Seconds(target),
            priorities: vec![],
            team: None,
            channel: None,
            pause_on: vec![],
        };
        let b = Buckets::for_slos(&[slo(5_400.0), slo(3_600.0)]);
        assert!(b.seconds.contains(&5_400.0));
        assert_eq!(b.seconds.iter().filter(|v| **v == 3_600.0).count(), 1);
        assert!(b.seconds.windows(2).all(|w| w[0] < w[1]));
        assert_ne!(b.fingerprint(), Buckets::for_slos(&[]).fingerprint());
    }
}
