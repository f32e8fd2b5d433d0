//! State gauges (DESIGN.md §4): backlog, tickets awaiting a first response
//! and the oldest one's age (calendar and business time), whether each
//! team's calendar is open, active SLO breaches — from the open tickets the
//! state store holds, as of the collection's `now`.

use std::collections::{BTreeMap, HashMap};

use crate::collect::labels::{CappedLabel, LabelFolder};
use crate::config::Settings;
use crate::engine::backlog;
use crate::engine::calendar::Calendar;
use crate::engine::facts::{join_breached, with_breaches};
use crate::engine::people;
use crate::engine::time_in_status::{ByStatus, TimeInStatus};
use crate::engine::timeline::TicketState;
use crate::metrics;
use crate::model::{Agent, Creator, Instant, Priority, Status, Ticket, UNASSIGNED};
use crate::state::TicketRow;
use crate::state::series::SeriesKey;

/// An open ticket as the gauges read it: the engine's view of its stored
/// row, decoded once when the row is stored, not at every collection.
#[derive(Debug, Clone)]
pub struct OpenTicket {
    ticket: Ticket,
    state: TicketState,
    /// Its facts' `slo_breached` as stored: a running clock that passes
    /// its target between two walks of the ticket is added to it.
    breached: String,
}

impl OpenTicket {
    /// `None` for a row this version cannot read back (it is left out of
    /// the gauges). `breached`: the facts' `slo_breached` as stored.
    pub fn from_row(row: &TicketRow, breached: String) -> Option<OpenTicket> {
        engine_view(row).map(|(ticket, state)| OpenTicket {
            ticket,
            state,
            breached,
        })
    }

    /// The row of this run (its facts' breaches as written).
    pub fn from_walked(row: &TicketRow) -> Option<OpenTicket> {
        let breached = row
            .facts
            .as_ref()
            .map(|f| join_breached(&f.slo_breached))
            .unwrap_or_default();
        OpenTicket::from_row(row, breached)
    }

    /// Records that the stored facts now say `breached`.
    pub fn set_breached(&mut self, breached: String) {
        self.breached = breached;
    }
}

/// The engine's view of a stored open ticket; `None` for a row this
/// version cannot read back.
fn engine_view(row: &TicketRow) -> Option<(Ticket, TicketState)> {
    let status: Status = row.status.parse().ok()?;
    let priority: Priority = row.priority.parse().ok()?;
    let created_by = Creator::from_stored(&row.created_by);
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
    let clocks = match (row.status_since, row.status_seconds.as_deref()) {
        (Some(since), Some(text)) => ByStatus::decode(text)
            .map(|totals| TimeInStatus::resume(status, since, row.team.clone(), totals)),
        _ => None,
    };
    let state = TicketState {
        status,
        team: row.team.clone(),
        // Neither is read by the gauges.
        agent: None,
        interactions: 0,
        replies: 0,
        first_response_at: row.first_response_at,
        first_resolution_at: row.first_resolution_at,
        clocks,
    };
    Some((ticket, state))
}

/// Headcount and leavers so far per home team (folded as the other team
/// labels), today in `tz`; never per agent. Every team with staff has
/// both series, zeros included.
pub fn people_gauges(
    agents: &[Agent],
    now: Instant,
    tz: chrono_tz::Tz,
    labels: &mut LabelFolder,
) -> Vec<(SeriesKey, f64)> {
    let today = now.with_timezone(&tz).date_naive();
    let mut by_team: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for a in agents {
        let t = by_team
            .entry(labels.fold(CappedLabel::Team, &a.team))
            .or_default();
        t.0 += f64::from(u8::from(people::employed(a, today)));
        t.1 += f64::from(u8::from(a.left_on.is_some_and(|l| l < today)));
    }
    by_team
        .into_iter()
        .flat_map(|(team, (employed, left))| {
            [
                (
                    SeriesKey::new(&metrics::AGENTS, vec![("team", team.clone())]),
                    employed,
                ),
                (
                    SeriesKey::new(&metrics::AGENTS_LEFT, vec![("team", team)]),
                    left,
                ),
            ]
        })
        .collect()
}

/// The state gauges at `now`; `breaches` receives (ticket id, new
/// `slo_breached`) for each open ticket whose stored facts lack an active
/// breach found now.
pub fn state_gauges<'a>(
    open: impl IntoIterator<Item = &'a OpenTicket>,
    settings: &Settings,
    labels: &mut LabelFolder,
    now: Instant,
    breaches: &mut Vec<(String, String)>,
) -> Vec<(SeriesKey, f64)> {
    // Counted per team as the tickets name it (a few dozen keys, no label
    // string copied per ticket), then gathered under each team's label: a
    // folded label (`other`) holds several teams, each with its calendar.
    struct Team<'t> {
        label: String,
        calendar: &'t Calendar,
        open: bool,
    }
    let mut team_index: HashMap<Option<&str>, usize> = HashMap::new();
    let mut teams: Vec<Team> = Vec::new();
    let mut backlog_by: HashMap<(usize, &'static str, &'static str), f64> = HashMap::new();
    // (tickets, oldest age, earliest creation) of those awaiting a first
    // response: business time since the earliest creation is the oldest
    // wait in business time (a later start never holds more business time
    // under the same calendar), walked once per team rather than per ticket.
    let mut awaiting_by: HashMap<(usize, &'static str), (f64, f64, Instant)> = HashMap::new();
    let mut active_by: HashMap<(usize, usize), f64> = HashMap::new();
    let mut active_now: Vec<&str> = Vec::new();
    for OpenTicket {
        ticket,
        state,
        breached,
    } in open
    {
        let of = state.team.as_deref();
        let t = *team_index.entry(of).or_insert_with(|| {
            let calendar = settings.calendars.for_team(of);
            teams.push(Team {
                label: labels.fold(CappedLabel::Team, of.unwrap_or(UNASSIGNED)),
                calendar,
                open: calendar.is_open(now),
            });
            teams.len() - 1
        });
        let priority = ticket.priority.as_str();
        if let Some(entry) = backlog::entry(ticket, state, now) {
            *backlog_by
                .entry((t, priority, entry.status.as_str()))
                .or_default() += 1.0;
            if let Some(age) = entry.awaiting_first_response {
                let a = awaiting_by
                    .entry((t, priority))
                    .or_insert((0.0, 0.0, ticket.created_at));
                a.0 += 1.0;
                a.1 = a.1.max(age.0);
                a.2 = a.2.min(ticket.created_at);
            }
        }
        active_now.clear();
        for (i, slo) in settings.slos.iter().enumerate() {
            if slo.is_active_breach(ticket, state, now, &settings.calendars) {
                *active_by.entry((i, t)).or_default() += 1.0;
                active_now.push(&slo.name);
            }
        }
        if let Some(new) = with_breaches(breached, &active_now) {
            breaches.push((ticket.id.clone(), new));
        }
    }
    let mut backlog_counts: BTreeMap<(String, &'static str, &'static str), f64> = BTreeMap::new();
    for ((t, priority, status), n) in backlog_by {
        *backlog_counts
            .entry((teams[t].label.clone(), priority, status))
            .or_default() += n;
    }
    // (tickets, oldest age, oldest age in business time)
    let mut awaiting: BTreeMap<(String, &'static str), (f64, f64, f64)> = BTreeMap::new();
    for ((t, priority), (n, oldest, earliest)) in awaiting_by {
        let business = teams[t].calendar.business_seconds(earliest, now).0;
        let a = awaiting
            .entry((teams[t].label.clone(), priority))
            .or_insert((0.0, 0.0, 0.0));
        a.0 += n;
        a.1 = a.1.max(oldest);
        a.2 = a.2.max(business);
    }
    // A folded label is open when any team under it is.
    let mut open_teams: BTreeMap<String, bool> = BTreeMap::new();
    for team in &teams {
        *open_teams.entry(team.label.clone()).or_default() |= team.open;
    }
    let mut active: BTreeMap<(usize, String), f64> = BTreeMap::new();
    for ((i, t), n) in active_by {
        *active.entry((i, teams[t].label.clone())).or_default() += n;
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
    for ((team, priority), (n, oldest, business)) in awaiting {
        let l = vec![("team", team), ("priority", priority.to_string())];
        out.push((SeriesKey::new(&metrics::AWAITING, l.clone()), n));
        out.push((SeriesKey::new(&metrics::OLDEST_AWAITING, l.clone()), oldest));
        out.push((
            SeriesKey::new(&metrics::OLDEST_AWAITING_BUSINESS, l),
            business,
        ));
    }
    // Waiting alerts page only while the team is open.
    let open_teams_seen: Vec<String> = open_teams.keys().cloned().collect();
    for (team, open) in open_teams {
        out.push((
            SeriesKey::new(&metrics::TEAM_OPEN, vec![("team", team)]),
            if open { 1.0 } else { 0.0 },
        ));
    }
    // Every SLO has a series for every team with open tickets, 0 included
    // (and one for `unassigned` when nothing is open), so that a panel or
    // alert always has one to read.
    let mut teams: Vec<String> = open_teams_seen;
    if teams.is_empty() {
        teams.push(UNASSIGNED.to_string());
    }
    for (i, slo) in settings.slos.iter().enumerate() {
        for team in &teams {
            let n = active.get(&(i, team.clone())).copied().unwrap_or(0.0);
            out.push((
                SeriesKey::new(
                    &metrics::SLO_ACTIVE,
                    vec![("slo", slo.name.clone()), ("team", team.clone())],
                ),
                n,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(id: &str, team: &str, created_at: Instant) -> TicketRow {
        TicketRow {
            id: id.into(),
            created_at,
            created_by: "customer".into(),
            priority: "urgent".into(),
            channel: "email".into(),
            team: Some(team.into()),
            status: "open".into(),
            is_open: true,
            first_response_at: None,
            first_response_seconds: None,
            first_resolution_at: None,
            source_updated_at: None,
            status_since: None,
            status_seconds: None,
            facts: None,
            requester_hash: None,
            last_event_at: None,
            timeline: None,
        }
    }

    /// Billing works Fridays 09:00–17:00 in Paris; every other team is
    /// always open. `labels` adds a `[labels]` section.
    fn gauges(labels: &str, rows: &[TicketRow], now: Instant) -> Vec<(SeriesKey, f64)> {
        let toml = format!(
            "[source]\nurl = \"sqlite::memory:\"\n[calendars.paris]\ntimezone = \"Europe/Paris\"\n\
             hours = {{ fri = \"09:00-17:00\" }}\n[team_calendars]\nbilling = \"paris\"\n{labels}"
        );
        let settings = Settings::from_toml("t", &toml, Vec::new()).expect("settings");
        let open: Vec<OpenTicket> = rows.iter().filter_map(OpenTicket::from_walked).collect();
        let mut folder = LabelFolder::new(settings.labels, &Default::default());
        state_gauges(open.iter(), &settings, &mut folder, now, &mut Vec::new())
    }

    /// The value of series `name` for `team`.
    fn value(out: &[(SeriesKey, f64)], name: &str, team: &str) -> Option<f64> {
        out.iter()
            .find(|(k, _)| {
                k.name == name && k.labels.iter().any(|(l, v)| *l == "team" && v == team)
            })
            .map(|(_, v)| *v)
    }

    /// Friday 27 November 2026, 16:00 Paris = 15:00 UTC.
    fn friday() -> Instant {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 15, 0, 0)
            .unwrap()
    }

    /// Waiting in business time: a ticket that arrived on Friday at 16:00
    /// in Paris has, on Saturday at 10:00, waited 18 hours of calendar time
    /// but one business hour (Friday 16:00–17:00), and its team is closed;
    /// a team without a calendar has waited the 18 hours and is open.
    #[test]
    fn waiting_is_measured_in_business_time_and_teams_closed_say_so() {
        let friday = friday();
        let now = friday + chrono::Duration::hours(18);
        let rows = [row("1", "billing", friday), row("2", "night-shift", friday)];
        let out = gauges("", &rows, now);
        let value = |name: &str, team: &str| value(&out, name, team);
        let oldest = metrics::OLDEST_AWAITING.name;
        let business = metrics::OLDEST_AWAITING_BUSINESS.name;
        let open = metrics::TEAM_OPEN.name;
        assert_eq!(value(oldest, "billing"), Some(18.0 * 3600.0));
        assert_eq!(value(business, "billing"), Some(3600.0));
        assert_eq!(value(open, "billing"), Some(0.0));
        assert_eq!(value(business, "night-shift"), Some(18.0 * 3600.0));
        assert_eq!(value(open, "night-shift"), Some(1.0));
    }

    /// Teams folded under one label (`other`) keep their own calendars:
    /// the oldest wait in business time is the longest of each team's,
    /// not the label's earliest ticket on one calendar. At Saturday 10:00
    /// Paris, billing's ticket of Friday 16:00 has waited 18 hours of which
    /// one is business time (Friday 16:00–17:00), night-shift's of Saturday
    /// 09:30 half an hour, all of it business time (always open).
    #[test]
    fn folded_teams_wait_each_on_its_own_calendar() {
        let friday = friday();
        let now = friday + chrono::Duration::hours(18);
        let rows = [
            row("1", "frontline", now - chrono::Duration::minutes(10)),
            row("2", "billing", friday),
            row("3", "night-shift", now - chrono::Duration::minutes(30)),
        ];
        let out = gauges("[labels]\nmax_teams = 1\n", &rows, now);
        let value = |name: &str, team: &str| value(&out, name, team);
        assert_eq!(value(metrics::AWAITING.name, "other"), Some(2.0));
        assert_eq!(
            value(metrics::OLDEST_AWAITING.name, "other"),
            Some(18.0 * 3600.0)
        );
        assert_eq!(
            value(metrics::OLDEST_AWAITING_BUSINESS.name, "other"),
            Some(3600.0)
        );
        // Open: night-shift is, billing is not.
        assert_eq!(value(metrics::TEAM_OPEN.name, "other"), Some(1.0));
        assert_eq!(value(metrics::AWAITING.name, "frontline"), Some(1.0));
    }
}
