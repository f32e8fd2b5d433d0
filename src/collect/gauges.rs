//! State gauges (DESIGN.md §4): backlog, tickets awaiting a first response
//! and the oldest one's age, active SLO breaches — from the open tickets the
//! state store holds, as of the collection's `now`.

use std::collections::BTreeMap;

use crate::collect::labels::{Dimension, LabelFolder};
use crate::config::Settings;
use crate::engine::backlog;
use crate::engine::timeline::TicketState;
use crate::metrics;
use crate::model::{Creator, Instant, Priority, Status, Ticket};
use crate::report::aggregate::UNASSIGNED;
use crate::state::TicketRow;
use crate::state::series::SeriesKey;

/// The engine's view of a stored open ticket; `None` for a row this
/// version cannot read back (it is left out of the gauges).
fn engine_view(row: &TicketRow) -> Option<(Ticket, TicketState)> {
    let status: Status = row.status.parse().ok()?;
    let priority: Priority = row.priority.parse().ok()?;
    let created_by = match row.created_by.as_str() {
        "agent" => Creator::Agent,
        _ => Creator::Customer,
    };
    let ticket = Ticket {
        id: row.id.clone(),
        created_at: row.created_at,
        channel: row.channel.clone(),
        priority,
        category: None,
        requester_id: String::new(),
        created_by,
        status,
        updated_at: Some(row.created_at),
    };
    let state = TicketState {
        status,
        team: row.team.clone(),
        first_response_at: row.first_response_at,
        first_resolution_at: row.first_resolution_at,
    };
    Some((ticket, state))
}

pub fn state_gauges<'a>(
    open: impl IntoIterator<Item = &'a TicketRow>,
    settings: &Settings,
    labels: &mut LabelFolder,
    now: Instant,
) -> Vec<(SeriesKey, f64)> {
    let mut backlog_counts: BTreeMap<(String, &'static str, &'static str), f64> = BTreeMap::new();
    let mut awaiting: BTreeMap<(String, &'static str), (f64, f64)> = BTreeMap::new();
    let mut active = vec![0.0; settings.slos.len()];
    for row in open {
        let Some((ticket, state)) = engine_view(row) else {
            continue;
        };
        let team = labels.fold(Dimension::Team, state.team.as_deref().unwrap_or(UNASSIGNED));
        let priority = ticket.priority.as_str();
        if let Some(entry) = backlog::entry(&ticket, &state, now) {
            *backlog_counts
                .entry((team.clone(), priority, entry.status.as_str()))
                .or_default() += 1.0;
            if let Some(age) = entry.awaiting_first_response {
                let a = awaiting.entry((team, priority)).or_insert((0.0, 0.0));
                a.0 += 1.0;
                a.1 = a.1.max(age.0);
            }
        }
        for (i, slo) in settings.slos.iter().enumerate() {
            if slo.is_active_breach(&ticket, &state, now, &settings.calendars) {
                active[i] += 1.0;
            }
        }
    }
    let mut out = Vec::new();
    for ((team, priority, status), n) in backlog_counts {
        out.push((
            SeriesKey::new(
                &metrics::BACKLOG,
                vec![
                    ("team", team),
                    ("priority", priority.to_string()),
                    ("status", status.to_string()),
                ],
            ),
            n,
        ));
    }
    for ((team, priority), (n, oldest)) in awaiting {
        let l = vec![("team", team), ("priority", priority.to_string())];
        out.push((SeriesKey::new(&metrics::AWAITING, l.clone()), n));
        out.push((SeriesKey::new(&metrics::OLDEST_AWAITING, l), oldest));
    }
    // Every SLO has a series, 0 included, so alerts always have one to read.
    for (slo, n) in settings.slos.iter().zip(active) {
        out.push((
            SeriesKey::new(&metrics::SLO_ACTIVE, vec![("slo", slo.name.clone())]),
            n,
        ));
    }
    out
}
