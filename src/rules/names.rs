//! Names of the recorded series, spelled once for the rules that record
//! them and the dashboards that read them (`level:metric:operations`, the
//! Prometheus convention for recording rules).

/// Windows over which each SLO's error ratio is recorded: the burn-rate
/// pairs of the SRE workbook, plus 7d and 30d for the dashboards.
pub const SLO_WINDOWS: [&str; 9] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "7d", "30d"];

/// The SLO period the burn rates are relative to: a burn rate of 1 spends
/// exactly the error budget in 30 days.
pub const SLO_PERIOD: &str = "30d";

/// Windows over which the per-team ratios are recorded.
pub const TEAM_WINDOWS: [&str; 2] = ["1d", "7d"];

/// Share of the tickets an SLO judged that breached it, by `slo`.
pub fn slo_error_ratio(window: &str) -> String {
    format!("slo:support_slo_errors:ratio_rate{window}")
}

/// Tickets an SLO judged in the window, by `slo`.
pub fn slo_measured(window: &str) -> String {
    format!("slo:support_slo_measured:increase{window}")
}

/// The burn-rate alerts' series, by `slo` and `team` (the team at the
/// measurement), so that a page routes to the team: the error ratio over a
/// window of a burn-rate pair ...
pub fn slo_team_error_ratio(window: &str) -> String {
    format!("slo_team:support_slo_errors:ratio_rate{window}")
}

/// ... the tickets judged over a pair's long window ...
pub fn slo_team_measured(window: &str) -> String {
    format!("slo_team:support_slo_measured:increase{window}")
}

/// ... and the breaches in its short window (the minimum-breaches guard).
pub fn slo_team_breaches(window: &str) -> String {
    format!("slo_team:support_slo_breaches:increase{window}")
}

/// Error ratio over the window divided by the error budget (1 − objective).
pub fn slo_burn_rate(window: &str) -> String {
    format!("slo:support_slo_burn_rate:ratio_rate{window}")
}

/// The objective of each SLO (0.95 = 95% within target), a constant series.
pub const SLO_OBJECTIVE: &str = "slo:support_slo_objective:ratio";
/// The target of each SLO in seconds, a constant series.
pub const SLO_TARGET: &str = "slo:support_slo_target:seconds";
/// Share of the 30-day error budget left: 1 − the 30-day burn rate.
pub const SLO_BUDGET_REMAINING: &str = "slo:support_slo_error_budget_remaining:ratio_rate30d";

/// A ratio of two counters recorded per team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRatio {
    /// CSAT answers scoring 4 or 5 / all CSAT answers.
    CsatSatisfied,
    /// CES answers of 3 or less (low effort) / all CES answers.
    CesLowEffort,
    /// Reopen events / solve events.
    ReopensPerSolve,
    /// Re-route events / solve events.
    ReroutesPerSolve,
    /// Solve events with one agent reply / solve events.
    OneTouch,
}

impl TeamRatio {
    pub const ALL: [TeamRatio; 5] = [
        TeamRatio::CsatSatisfied,
        TeamRatio::CesLowEffort,
        TeamRatio::ReopensPerSolve,
        TeamRatio::ReroutesPerSolve,
        TeamRatio::OneTouch,
    ];

    fn stem(self) -> &'static str {
        match self {
            TeamRatio::CsatSatisfied => "support_csat_satisfied",
            TeamRatio::CesLowEffort => "support_ces_low_effort",
            TeamRatio::ReopensPerSolve => "support_reopens_per_solve",
            TeamRatio::ReroutesPerSolve => "support_reroutes_per_solve",
            TeamRatio::OneTouch => "support_one_touch",
        }
    }

    /// The recorded series' name for `window`.
    pub fn name(self, window: &str) -> String {
        format!("team:{}:ratio_rate{window}", self.stem())
    }

    /// Numerator and denominator: counter selectors.
    pub fn parts(self) -> (&'static str, &'static str) {
        match self {
            TeamRatio::CsatSatisfied => (
                r#"support_csat_responses_total{score=~"4|5"}"#,
                "support_csat_responses_total",
            ),
            TeamRatio::CesLowEffort => (
                r#"support_ces_responses_total{score=~"1|2|3"}"#,
                "support_ces_responses_total",
            ),
            TeamRatio::ReopensPerSolve => (
                "support_tickets_reopened_total",
                "support_tickets_solved_total",
            ),
            TeamRatio::ReroutesPerSolve => (
                "support_ticket_reroutes_total",
                "support_tickets_solved_total",
            ),
            TeamRatio::OneTouch => (
                "support_one_touch_resolutions_total",
                "support_tickets_solved_total",
            ),
        }
    }
}
