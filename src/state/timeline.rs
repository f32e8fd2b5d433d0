//! A ticket's walked timeline as the state store keeps it: a compact
//! binary form in `ticket_state.timeline`, written by `collect` with the
//! ticket's other columns and read back by `report --from-state`.
//!
//! Layout (version 1): the version byte; the ticket's distinct team and
//! agent names, each once; then the observations, the team and assignee
//! changes and the state checkpoints, each checkpoint only what changed
//! since the one before (a bit per field, then the new values; the clocks'
//! totals as what was added). Integers are LEB128 varints (signed ones
//! zig-zagged; event ids and counts as the difference from the one before);
//! an instant is its offset from the one before it (the ticket's creation
//! first) in whole seconds and nanoseconds; a number of seconds is a varint when
//! it is a whole number (nearly always: the sources count in seconds) and
//! its eight bytes otherwise, so every value reads back bit for bit. A
//! name is its place in the table plus one, 0 for none. The rejections
//! are not kept: they were counted when the ticket was walked.

use std::collections::HashMap;

use crate::engine::time_in_status::{ByStatus, StatusTimes, TimeInStatus};
use crate::engine::timeline::{
    Checkpoint, Elapsed, Measure, Observation, SolveShape, TicketState, Timeline, initial_state,
};
use crate::model::{Instant, Seconds, Status};

const VERSION: u8 = 1;

/// Why stored bytes are not a timeline this build can read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("stored timeline unreadable at byte {at}: {what}")]
pub struct CodecError {
    pub at: usize,
    pub what: &'static str,
}

/// What a checkpoint changes, one bit each (the others are as in the
/// checkpoint before, or the ticket's initial state).
const STATUS: u8 = 1;
const TEAM: u8 = 1 << 1;
const AGENT: u8 = 1 << 2;
const INTERACTIONS: u8 = 1 << 3;
const REPLIES: u8 = 1 << 4;
const FIRST_RESPONSE: u8 = 1 << 5;
const FIRST_RESOLUTION: u8 = 1 << 6;
const CLOCKS: u8 = 1 << 7;

/// How changed clocks are written, one bit each: no clocks at all; their
/// status, start and team are the checkpoint's own; their totals are the
/// previous ones plus what changed.
const NO_CLOCKS: u8 = 1;
const SAME_STATUS: u8 = 1 << 1;
const SINCE_AT: u8 = 1 << 2;
const SAME_TEAM: u8 = 1 << 3;
const TOTALS_ADDED: u8 = 1 << 4;

/// The bytes of `tl`, a ticket created at `created_at`.
pub fn encode(tl: &Timeline, created_at: Instant) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::with_capacity(192),
        prev: created_at,
        names: HashMap::new(),
    };
    // The name table first: gather every name in first-use order.
    let mut table: Vec<String> = Vec::new();
    {
        let mut add = |n: Option<&str>| {
            if let Some(n) = n
                && !w.names.contains_key(n)
            {
                w.names.insert(n.to_string(), table.len() + 1);
                table.push(n.to_string());
            }
        };
        for o in &tl.observations {
            add(o.team.as_deref());
            add(o.agent.as_deref());
        }
        for (_, n) in tl.team_changes.iter().chain(&tl.agent_changes) {
            add(Some(n));
        }
        for c in &tl.history {
            add(c.state.team.as_deref());
            add(c.state.agent.as_deref());
            if let Some(clocks) = &c.state.clocks {
                add(clocks.parts().2);
            }
        }
    }
    w.out.push(VERSION);
    w.uint(table.len() as u64);
    for n in &table {
        w.uint(n.len() as u64);
        w.out.extend_from_slice(n.as_bytes());
    }
    w.uint(tl.observations.len() as u64);
    let mut last_id = 0i64;
    for o in &tl.observations {
        w.instant(o.at);
        match o.event_id {
            None => w.uint(0),
            Some(id) => {
                w.uint(1);
                w.int(id.wrapping_sub(last_id));
                last_id = id;
            }
        }
        w.name(o.team.as_deref());
        w.name(o.agent.as_deref());
        w.measure(&o.measure);
    }
    for changes in [&tl.team_changes, &tl.agent_changes] {
        w.uint(changes.len() as u64);
        for (at, n) in changes {
            w.instant(*at);
            w.name(Some(n));
        }
    }
    w.uint(tl.history.len() as u64);
    let mut last = initial_state(created_at);
    for c in &tl.history {
        w.checkpoint(c, &last);
        last = c.state.clone();
    }
    w.out
}

/// The timeline `bytes` hold, of a ticket created at `created_at`.
pub fn decode(bytes: &[u8], created_at: Instant) -> Result<Timeline, CodecError> {
    read(bytes, created_at, None)
}

/// What [`Timeline::until`] gives of the timeline `bytes` hold, but
/// without the history of states that only a further cut reads: a
/// period's report visits the cut timeline and nothing more, and not
/// cloning a state per checkpoint is most of what reading one costs.
///
/// [`Timeline::until`]: crate::engine::timeline::Timeline::until
pub fn decode_until(
    bytes: &[u8],
    created_at: Instant,
    upto: Instant,
) -> Result<Timeline, CodecError> {
    read(bytes, created_at, Some(upto))
}

/// With `upto`, the cut without its history; without, the whole timeline.
fn read(bytes: &[u8], created_at: Instant, upto: Option<Instant>) -> Result<Timeline, CodecError> {
    let before = |t: Instant| upto.is_none_or(|u| t < u);
    let mut r = Reader {
        bytes,
        at: 0,
        prev: created_at,
        names: Vec::new(),
    };
    if r.byte()? != VERSION {
        return Err(r.fail("a version this build does not know"));
    }
    let n = r.len()?;
    for _ in 0..n {
        let len = r.len()?;
        let raw = r.take(len)?;
        let name = std::str::from_utf8(raw).map_err(|_| r.fail("a name that is not UTF-8"))?;
        r.names.push(name.to_string());
    }
    let n = r.len()?;
    let mut observations = Vec::with_capacity(n.min(64));
    let mut last_id = 0i64;
    for _ in 0..n {
        let at = r.instant()?;
        let event_id = match r.uint()? {
            0 => None,
            _ => {
                last_id = last_id.wrapping_add(r.int()?);
                Some(last_id)
            }
        };
        let team = r.name()?;
        let agent = r.name()?;
        let measure = r.measure()?;
        if before(at) {
            observations.push(Observation {
                at,
                event_id,
                team,
                agent,
                measure,
            });
        }
    }
    // Changes and checkpoints are in time order: a cut keeps a prefix.
    let mut changes = || -> Result<Vec<(Instant, String)>, CodecError> {
        let n = r.len()?;
        let mut out = Vec::with_capacity(n.min(64));
        let mut cut = false;
        for _ in 0..n {
            let at = r.instant()?;
            let name = r.name()?.ok_or_else(|| r.fail("a change to no name"))?;
            cut |= !before(at);
            if !cut {
                out.push((at, name));
            }
        }
        Ok(out)
    };
    let team_changes = changes()?;
    let agent_changes = changes()?;
    let n = r.len()?;
    let mut history: Vec<Checkpoint> = Vec::new();
    let mut state = initial_state(created_at);
    // The states after the cut are read (the bytes are checked to the
    // end) into a scratch copy, made once.
    let mut after: Option<TicketState> = None;
    for _ in 0..n {
        let at = r.instant()?;
        match after.as_mut() {
            Some(scratch) => r.checkpoint(at, scratch)?,
            None if before(at) => {
                r.checkpoint(at, &mut state)?;
                if upto.is_none() {
                    history.push(Checkpoint {
                        at,
                        state: state.clone(),
                    });
                }
            }
            None => {
                let mut scratch = state.clone();
                r.checkpoint(at, &mut scratch)?;
                after = Some(scratch);
            }
        }
    }
    if r.at != bytes.len() {
        return Err(r.fail("bytes after the end"));
    }
    // `state` is the last checkpoint's (before the cut), or the initial one.
    let mut timeline = Timeline::with_state(observations, team_changes, agent_changes, state);
    timeline.history = history;
    Ok(timeline)
}

/// `totals` as `before` plus an amount per status, when that reads back
/// bit for bit (always, for whole seconds): the statuses that changed
/// and the amounts.
fn added(before: &ByStatus, totals: &ByStatus) -> Option<Vec<(usize, Elapsed)>> {
    let mut out = Vec::new();
    for (i, s) in Status::ALL.iter().enumerate() {
        let (b, t) = (before.get(*s), totals.get(*s));
        if b == t && b.calendar.0.to_bits() == t.calendar.0.to_bits() {
            continue;
        }
        let d = Elapsed {
            calendar: Seconds(t.calendar.0 - b.calendar.0),
            business: Seconds(t.business.0 - b.business.0),
        };
        let same = |x: f64, dx: f64, y: f64| (x + dx).to_bits() == y.to_bits();
        if !(same(b.calendar.0, d.calendar.0, t.calendar.0)
            && same(b.business.0, d.business.0, t.business.0))
        {
            return None;
        }
        out.push((i, d));
    }
    Some(out)
}

struct Writer {
    out: Vec<u8>,
    /// The instant written last (the ticket's creation at first): each is
    /// written as its offset from it.
    prev: Instant,
    names: HashMap<String, usize>,
}

impl Writer {
    fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    fn int(&mut self, v: i64) {
        self.uint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn instant(&mut self, t: Instant) {
        let d = t.signed_duration_since(self.prev);
        self.prev = t;
        // Whole seconds towards minus infinity, so the nanoseconds are
        // never negative.
        let secs = d.num_seconds() - i64::from(d.subsec_nanos() < 0);
        let nanos = (d.subsec_nanos()
            + if d.subsec_nanos() < 0 {
                1_000_000_000
            } else {
                0
            }) as u64;
        self.int(secs);
        self.uint(nanos);
    }

    fn opt_instant(&mut self, t: Option<Instant>) {
        match t {
            None => self.uint(0),
            Some(t) => {
                self.uint(1);
                self.instant(t);
            }
        }
    }

    fn seconds(&mut self, s: Seconds) {
        let v = s.0;
        // Whole and exactly representable: tag bit 0. (-0.0 is kept raw.)
        let exact = v.abs() < 9.0e15 && v.fract() == 0.0 && (v != 0.0 || v.is_sign_positive());
        let whole = v as i64;
        if exact {
            self.uint(((whole << 1) ^ (whole >> 63)) as u64 * 2);
        } else {
            self.uint(1);
            self.out.extend_from_slice(&v.to_bits().to_le_bytes());
        }
    }

    fn elapsed(&mut self, e: Elapsed) {
        self.seconds(e.calendar);
        self.seconds(e.business);
    }

    fn status(&mut self, s: Status) {
        let slot = Status::ALL.iter().position(|x| *x == s).unwrap_or(0);
        self.out.push(slot as u8);
    }

    fn name(&mut self, n: Option<&str>) {
        let i = n.and_then(|n| self.names.get(n).copied()).unwrap_or(0);
        self.uint(i as u64);
    }

    fn by_status(&mut self, by: &ByStatus) {
        let zero = |e: Elapsed| e.calendar.0.to_bits() == 0 && e.business.0.to_bits() == 0;
        let mut mask = 0u8;
        for (i, s) in Status::ALL.iter().enumerate() {
            if !zero(by.get(*s)) {
                mask |= 1 << i;
            }
        }
        self.out.push(mask);
        for s in Status::ALL.iter().filter(|s| !zero(by.get(**s))) {
            self.elapsed(by.get(*s));
        }
    }

    fn checkpoint(&mut self, c: &Checkpoint, last: &TicketState) {
        self.instant(c.at);
        let s = &c.state;
        let mut mask = 0u8;
        let mut flag = |changed: bool, bit: u8| {
            if changed {
                mask |= bit;
            }
        };
        flag(s.status != last.status, STATUS);
        flag(s.team != last.team, TEAM);
        flag(s.agent != last.agent, AGENT);
        flag(s.interactions != last.interactions, INTERACTIONS);
        flag(s.replies != last.replies, REPLIES);
        flag(
            s.first_response_at != last.first_response_at,
            FIRST_RESPONSE,
        );
        flag(
            s.first_resolution_at != last.first_resolution_at,
            FIRST_RESOLUTION,
        );
        flag(s.clocks != last.clocks, CLOCKS);
        self.out.push(mask);
        if mask & STATUS != 0 {
            self.status(s.status);
        }
        if mask & TEAM != 0 {
            self.name(s.team.as_deref());
        }
        if mask & AGENT != 0 {
            self.name(s.agent.as_deref());
        }
        if mask & INTERACTIONS != 0 {
            self.int(i64::from(s.interactions) - i64::from(last.interactions));
        }
        if mask & REPLIES != 0 {
            self.int(i64::from(s.replies) - i64::from(last.replies));
        }
        if mask & FIRST_RESPONSE != 0 {
            self.opt_instant(s.first_response_at);
        }
        if mask & FIRST_RESOLUTION != 0 {
            self.opt_instant(s.first_resolution_at);
        }
        if mask & CLOCKS != 0 {
            self.clocks(c, last.clocks.as_ref());
        }
    }

    fn clocks(&mut self, c: &Checkpoint, last: Option<&TimeInStatus>) {
        let Some(clocks) = &c.state.clocks else {
            self.out.push(NO_CLOCKS);
            return;
        };
        let (status, since, team, totals) = clocks.parts();
        let before = last.map(|l| l.parts().3);
        let delta = before.and_then(|b| added(b, totals));
        let mut how = 0u8;
        if status == c.state.status {
            how |= SAME_STATUS;
        }
        if since == c.at {
            how |= SINCE_AT;
        }
        if team == c.state.team.as_deref() {
            how |= SAME_TEAM;
        }
        if delta.is_some() {
            how |= TOTALS_ADDED;
        }
        self.out.push(how);
        if how & SAME_STATUS == 0 {
            self.status(status);
        }
        if how & SINCE_AT == 0 {
            // Written apart: the offsets go on from the instant before.
            let base = self.prev;
            self.instant(since);
            self.prev = base;
        }
        if how & SAME_TEAM == 0 {
            self.name(team);
        }
        match delta {
            Some(changes) => {
                let mut slots = 0u8;
                for (i, _) in &changes {
                    slots |= 1 << i;
                }
                self.out.push(slots);
                for (_, e) in changes {
                    self.elapsed(e);
                }
            }
            None => self.by_status(totals),
        }
    }

    fn status_times(&mut self, t: &StatusTimes) {
        self.elapsed(t.requester_wait);
        self.elapsed(t.agent_wait);
        self.elapsed(t.on_hold);
        self.elapsed(t.agent_work);
    }

    fn measure(&mut self, m: &Measure) {
        match m {
            Measure::Created => self.out.push(0),
            Measure::FirstAcknowledgement(e) => {
                self.out.push(1);
                self.elapsed(*e);
            }
            Measure::FirstResponse(e, by) => {
                self.out.push(2);
                self.elapsed(*e);
                self.by_status(by);
            }
            Measure::FirstResolution(e, by) => {
                self.out.push(3);
                self.elapsed(*e);
                self.by_status(by);
            }
            Measure::Solve(s) => {
                self.out.push(4);
                self.elapsed(s.full_resolution);
                self.uint(u64::from(s.interactions));
                self.uint(u64::from(s.replies));
                self.uint(u64::from(s.reroutes));
                self.uint(u64::from(s.reassignments));
                self.status_times(&s.status_times);
            }
            Measure::Reopen => self.out.push(5),
            Measure::Reroute => self.out.push(6),
            Measure::Reassignment => self.out.push(7),
            Measure::CustomerConfirmed => self.out.push(8),
            Measure::Reply(e) => {
                self.out.push(9);
                self.elapsed(*e);
            }
        }
    }
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
    /// The instant read last (see [`Writer::prev`]).
    prev: Instant,
    names: Vec<String>,
}

impl<'b> Reader<'b> {
    fn fail(&self, what: &'static str) -> CodecError {
        CodecError { at: self.at, what }
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or_else(|| self.fail("the end came early"))?;
        self.at += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'b [u8], CodecError> {
        let bytes: &'b [u8] = self.bytes;
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| self.fail("the end came early"))?;
        let out = &bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn uint(&mut self) -> Result<u64, CodecError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.fail("a number longer than 64 bits"))
    }

    fn len(&mut self) -> Result<usize, CodecError> {
        let v = self.uint()?;
        // No list is longer than the bytes left: a count read from broken
        // bytes must not make us reserve gigabytes.
        usize::try_from(v)
            .ok()
            .filter(|n| *n <= self.bytes.len() - self.at)
            .ok_or_else(|| self.fail("a count larger than the timeline"))
    }

    fn count(&mut self) -> Result<u32, CodecError> {
        let v = self.uint()?;
        u32::try_from(v).map_err(|_| self.fail("a count beyond 32 bits"))
    }

    fn int(&mut self) -> Result<i64, CodecError> {
        let v = self.uint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn instant(&mut self) -> Result<Instant, CodecError> {
        let secs = self.int()?;
        let nanos = self.uint()?;
        let nanos = i64::try_from(nanos)
            .ok()
            .filter(|n| *n < 1_000_000_000)
            .ok_or_else(|| self.fail("nanoseconds beyond a second"))?;
        let t = chrono::Duration::try_seconds(secs)
            .and_then(|d| d.checked_add(&chrono::Duration::nanoseconds(nanos)))
            .and_then(|d| self.prev.checked_add_signed(d))
            .ok_or_else(|| self.fail("an instant out of range"))?;
        self.prev = t;
        Ok(t)
    }

    fn opt_instant(&mut self) -> Result<Option<Instant>, CodecError> {
        match self.uint()? {
            0 => Ok(None),
            _ => self.instant().map(Some),
        }
    }

    fn seconds(&mut self) -> Result<Seconds, CodecError> {
        let v = self.uint()?;
        if v & 1 == 0 {
            let z = v >> 1;
            let whole = ((z >> 1) as i64) ^ -((z & 1) as i64);
            Ok(Seconds(whole as f64))
        } else {
            let raw = self.take(8)?;
            let mut b = [0u8; 8];
            b.copy_from_slice(raw);
            Ok(Seconds(f64::from_bits(u64::from_le_bytes(b))))
        }
    }

    fn elapsed(&mut self) -> Result<Elapsed, CodecError> {
        Ok(Elapsed {
            calendar: self.seconds()?,
            business: self.seconds()?,
        })
    }

    fn status(&mut self) -> Result<Status, CodecError> {
        let b = self.byte()?;
        Status::ALL
            .get(usize::from(b))
            .copied()
            .ok_or_else(|| self.fail("an unknown status"))
    }

    fn name(&mut self) -> Result<Option<String>, CodecError> {
        match self.uint()? {
            0 => Ok(None),
            i => usize::try_from(i - 1)
                .ok()
                .and_then(|i| self.names.get(i))
                .cloned()
                .map(Some)
                .ok_or_else(|| self.fail("a name not in the table")),
        }
    }

    fn by_status(&mut self) -> Result<ByStatus, CodecError> {
        let mask = self.byte()?;
        let mut by = ByStatus::default();
        for (i, s) in Status::ALL.iter().enumerate() {
            if mask & (1 << i) != 0 {
                by.count(*s, self.elapsed()?);
            }
        }
        Ok(by)
    }

    /// Reads the changes of the checkpoint at `at` (its instant read)
    /// into `s`, the state before it.
    fn checkpoint(&mut self, at: Instant, s: &mut TicketState) -> Result<(), CodecError> {
        let mask = self.byte()?;
        if mask & STATUS != 0 {
            s.status = self.status()?;
        }
        if mask & TEAM != 0 {
            s.team = self.name()?;
        }
        if mask & AGENT != 0 {
            s.agent = self.name()?;
        }
        let count = |r: &mut Self, was: u32| -> Result<u32, CodecError> {
            let d = r.int()?;
            u32::try_from(i64::from(was) + d).map_err(|_| r.fail("a count out of range"))
        };
        if mask & INTERACTIONS != 0 {
            s.interactions = count(self, s.interactions)?;
        }
        if mask & REPLIES != 0 {
            s.replies = count(self, s.replies)?;
        }
        if mask & FIRST_RESPONSE != 0 {
            s.first_response_at = self.opt_instant()?;
        }
        if mask & FIRST_RESOLUTION != 0 {
            s.first_resolution_at = self.opt_instant()?;
        }
        if mask & CLOCKS != 0 {
            let before = s.clocks.take();
            s.clocks = self.clocks(at, s, before.as_ref())?;
        }
        Ok(())
    }

    fn clocks(
        &mut self,
        at: Instant,
        s: &TicketState,
        last: Option<&TimeInStatus>,
    ) -> Result<Option<TimeInStatus>, CodecError> {
        let how = self.byte()?;
        if how & NO_CLOCKS != 0 {
            return Ok(None);
        }
        let status = match how & SAME_STATUS {
            0 => self.status()?,
            _ => s.status,
        };
        let since = match how & SINCE_AT {
            0 => {
                let base = self.prev;
                let t = self.instant()?;
                self.prev = base;
                t
            }
            _ => at,
        };
        let team = match how & SAME_TEAM {
            0 => self.name()?,
            _ => s.team.clone(),
        };
        let totals = match how & TOTALS_ADDED {
            0 => self.by_status()?,
            _ => {
                let mut totals = *last
                    .ok_or_else(|| self.fail("totals added to no earlier clocks"))?
                    .parts()
                    .3;
                let slots = self.byte()?;
                for (i, st) in Status::ALL.iter().enumerate() {
                    if slots & (1 << i) != 0 {
                        totals.count(*st, self.elapsed()?);
                    }
                }
                totals
            }
        };
        Ok(Some(TimeInStatus::resume(status, since, team, totals)))
    }

    fn status_times(&mut self) -> Result<StatusTimes, CodecError> {
        Ok(StatusTimes {
            requester_wait: self.elapsed()?,
            agent_wait: self.elapsed()?,
            on_hold: self.elapsed()?,
            agent_work: self.elapsed()?,
        })
    }

    fn measure(&mut self) -> Result<Measure, CodecError> {
        Ok(match self.byte()? {
            0 => Measure::Created,
            1 => Measure::FirstAcknowledgement(self.elapsed()?),
            2 => Measure::FirstResponse(self.elapsed()?, self.by_status()?),
            3 => Measure::FirstResolution(self.elapsed()?, self.by_status()?),
            4 => Measure::Solve(SolveShape {
                full_resolution: self.elapsed()?,
                interactions: self.count()?,
                replies: self.count()?,
                reroutes: self.count()?,
                reassignments: self.count()?,
                status_times: self.status_times()?,
            }),
            5 => Measure::Reopen,
            6 => Measure::Reroute,
            7 => Measure::Reassignment,
            8 => Measure::CustomerConfirmed,
            9 => Measure::Reply(self.elapsed()?),
            _ => return Err(self.fail("an unknown measurement")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::arbitrary;
    use crate::engine::timeline::walk;

    proptest::proptest! {
        /// Every walked timeline reads back equal, bit for bit.
        #[test]
        fn a_stored_timeline_reads_back_as_it_was_walked(
            (tk, events) in arbitrary::ticket_and_events(),
        ) {
            let mut tl = walk(&tk, events, &arbitrary::calendars());
            tl.rejected.clear();
            let bytes = encode(&tl, tk.created_at);
            proptest::prop_assert_eq!(decode(&bytes, tk.created_at), Ok(tl));
        }

        /// A stored timeline read up to an instant is the stored one cut
        /// there (without the history only a further cut reads).
        #[test]
        fn a_stored_timeline_read_until_an_instant_is_the_cut(
            (tk, events) in arbitrary::ticket_and_events(),
            cut_minutes in 0i64..31_000,
        ) {
            let upto = tk.created_at + chrono::Duration::minutes(cut_minutes);
            let tl = walk(&tk, events, &arbitrary::calendars());
            let bytes = encode(&tl, tk.created_at);
            let mut expected = tl.until(upto, tk.created_at);
            expected.history.clear();
            proptest::prop_assert_eq!(decode_until(&bytes, tk.created_at, upto), Ok(expected));
        }

        /// Broken bytes are an error, never a panic or a huge allocation.
        #[test]
        fn broken_bytes_are_an_error(
            (tk, events) in arbitrary::ticket_and_events(),
            cut in 0usize..400,
            flip in proptest::prelude::any::<(usize, u8)>(),
        ) {
            let tl = walk(&tk, events, &arbitrary::calendars());
            let mut bytes = encode(&tl, tk.created_at);
            let cut = cut.min(bytes.len().saturating_sub(1));
            bytes.truncate(cut);
            proptest::prop_assert!(decode(&bytes, tk.created_at).is_err());
            proptest::prop_assert!(decode_until(&bytes, tk.created_at, tk.created_at).is_err());
            let mut whole = encode(&tl, tk.created_at);
            let i = flip.0 % whole.len();
            whole[i] ^= flip.1.max(1);
            // Flipped bytes may still decode to something: only no panic.
            let _ = decode(&whole, tk.created_at);
            let _ = decode_until(&whole, tk.created_at, tk.created_at);
        }
    }

    /// Clocks whose status, start and team are not the checkpoint's, with
    /// fractional totals, in a checkpoint that also sets the first
    /// response: states no walk gives today, and still read back.
    #[test]
    fn clocks_unlike_their_checkpoint_read_back() {
        use crate::engine::calendar::Calendars;
        use crate::engine::tests::{assign, ev, status, ticket};
        use crate::model::{Actor, Creator, EventKind};
        let tk = ticket("2026-01-05T10:00:00Z", Creator::Customer);
        let mut tl = walk(
            &tk,
            vec![
                assign(1, "2026-01-05T10:00:00Z", Some("eu"), Some("a1")),
                status(2, "2026-01-05T10:30:00Z", Status::Pending),
                ev(3, "2026-01-05T11:00:00Z", EventKind::Message, Actor::Agent),
                status(4, "2026-01-05T12:00:00Z", Status::Solved),
            ],
            &Calendars::default(),
        );
        let c = tl.history.get_mut(1).expect("a second checkpoint");
        let mut totals = ByStatus::default();
        totals.count(
            Status::Open,
            Elapsed {
                calendar: Seconds(1.25),
                business: Seconds(-0.5),
            },
        );
        c.state.first_response_at = Some(c.at + chrono::Duration::milliseconds(1500));
        c.state.clocks = Some(TimeInStatus::resume(
            Status::OnHold,
            c.at - chrono::Duration::seconds(77),
            Some("us".into()),
            totals,
        ));
        let bytes = encode(&tl, tk.created_at);
        assert_eq!(decode(&bytes, tk.created_at), Ok(tl));
    }

    /// Offsets beyond any instant, whole numbers beyond 2^53 and counts
    /// larger than the bytes: errors or exact values, never a panic.
    #[test]
    fn extreme_values_are_errors_or_exact() {
        let created = Instant::default();
        for secs in [i64::MAX / 1000, i64::MIN / 1000, i64::MAX >> 1] {
            let mut w = Writer {
                out: vec![VERSION],
                prev: created,
                names: HashMap::new(),
            };
            w.uint(0);
            w.uint(1);
            w.int(secs);
            w.uint(999_999_999);
            assert!(decode(&w.out, created).is_err(), "{secs}");
        }
        let mut w = Writer {
            out: vec![VERSION],
            prev: created,
            names: HashMap::new(),
        };
        w.uint(u64::MAX);
        assert!(decode(&w.out, created).is_err());
        for v in [-9.223372036854776e18, 9.0e15, 1.0e16, -1.0e16] {
            let mut w = Writer {
                out: Vec::new(),
                prev: created,
                names: HashMap::new(),
            };
            w.seconds(Seconds(v));
            let mut r = Reader {
                bytes: &w.out,
                at: 0,
                prev: created,
                names: Vec::new(),
            };
            assert_eq!(r.seconds().map(|s| s.0.to_bits()), Ok(v.to_bits()), "{v}");
        }
    }

    #[test]
    fn seconds_with_fractions_or_signs_read_back_exactly() {
        for v in [
            0.0,
            -0.0,
            1.5,
            -3.0,
            1e300,
            f64::MIN_POSITIVE,
            86_400.0,
            -1.0e-9,
        ] {
            let mut w = Writer {
                out: Vec::new(),
                prev: Instant::default(),
                names: HashMap::new(),
            };
            w.seconds(Seconds(v));
            let mut r = Reader {
                bytes: &w.out,
                at: 0,
                prev: Instant::default(),
                names: Vec::new(),
            };
            assert_eq!(r.seconds().map(|s| s.0.to_bits()), Ok(v.to_bits()), "{v}");
        }
    }
}
