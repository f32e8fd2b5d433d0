//! `[[slo]]`: the service-level objectives, each a target on one clock.

use std::time::Duration;

use serde::Deserialize;

use super::parse_duration;
use crate::engine::slo::{Objective, PAUSABLE, Slo, SloClock, SloMetric};
use crate::model::{Priority, Seconds, Status};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSlo {
    name: String,
    metric: String,
    target: String,
    objective: Option<f64>,
    #[serde(default)]
    clock: Option<String>,
    #[serde(default)]
    priority: Option<OneOrMany>,
    team: Option<String>,
    channel: Option<String>,
    #[serde(default)]
    pause_on: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The `[[slo]]` entries validated, in the file's order; an entry with a
/// problem is left out (the problem, with its key path, says why).
pub(super) fn validate(raw: &[RawSlo], problems: &mut Vec<String>) -> Vec<Slo> {
    let mut slos = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, s) in raw.iter().enumerate() {
        let at = format!("slo[{i}]");
        if !names.insert(s.name.clone()) {
            problems.push(format!("{at}.name: `{}` is used by another SLO", s.name));
        }
        if s.name.is_empty()
            || !s
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            problems.push(format!(
                "{at}.name: `{}` must be letters, digits and _ (it becomes a label value)",
                s.name
            ));
        }
        let metric = match s.metric.as_str() {
            "first_response" => Some(SloMetric::FirstResponse),
            "resolution" => Some(SloMetric::Resolution),
            other => {
                problems.push(format!("{at}.metric: `{other}` is not an SLO metric; expected first_response or resolution"));
                None
            }
        };
        let clock = match s.clock.as_deref() {
            None | Some("business") => Some(SloClock::Business),
            Some("calendar") => Some(SloClock::Calendar),
            Some(other) => {
                problems.push(format!(
                    "{at}.clock: `{other}` is not a clock; expected business or calendar"
                ));
                None
            }
        };
        let target = match parse_duration(&s.target) {
            Ok(d) if d > Duration::ZERO => Some(Seconds(d.as_secs_f64())),
            Ok(_) => {
                problems.push(format!("{at}.target: must be longer than zero"));
                None
            }
            Err(e) => {
                problems.push(format!("{at}.target: {e}"));
                None
            }
        };
        let objective = match s.objective {
            None => Some(Objective::DEFAULT),
            Some(r) => Objective::new(r).or_else(|| {
                problems.push(format!(
                    "{at}.objective: `{r}` must be a ratio strictly between 0 and 1 (0.95 = 95% of tickets within the target)"
                ));
                None
            }),
        };
        let priority_names = match &s.priority {
            None => vec![],
            Some(OneOrMany::One(p)) => vec![p.clone()],
            Some(OneOrMany::Many(ps)) => ps.clone(),
        };
        let mut priorities = Vec::new();
        for p in &priority_names {
            match p.parse::<Priority>() {
                Ok(p) => priorities.push(p),
                Err(()) => problems.push(format!(
                    "{at}.priority: `{p}` is not a priority; expected low, normal, high, urgent or none"
                )),
            }
        }
        let mut pause_on = Vec::new();
        let pausable = PAUSABLE.map(Status::as_str).join(", ");
        for (j, name) in s.pause_on.iter().enumerate() {
            match name.parse::<Status>() {
                Ok(st) if PAUSABLE.contains(&st) => pause_on.push(st),
                Ok(st) => problems.push(format!(
                    "{at}.pause_on[{j}]: `{name}` cannot pause an SLO clock: {}; expected one of {pausable}",
                    match st {
                        Status::New | Status::Open =>
                            "the customer is waiting on us then, so the clock must run",
                        _ => "a closed, deleted or spam ticket's clock never runs again",
                    }
                )),
                Err(()) => problems.push(format!(
                    "{at}.pause_on[{j}]: `{name}` is not a status; expected one of {pausable} (the canonical statuses the source's queries map onto)"
                )),
            }
        }
        // Once each, in one order whatever the file's: the stored layout
        // names them.
        pause_on.sort_by_key(|s| Status::ALL.iter().position(|a| a == s));
        pause_on.dedup();
        if let (Some(metric), Some(clock), Some(target), Some(objective)) =
            (metric, clock, target, objective)
        {
            slos.push(Slo {
                name: s.name.clone(),
                metric,
                clock,
                target,
                objective,
                priorities,
                team: s.team.clone(),
                channel: s.channel.clone(),
                pause_on,
            });
        }
    }
    slos
}
