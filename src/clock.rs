//! The wall clock, as an input (DESIGN.md: time is an input).
//!
//! Only the job's caller — `serve`'s scheduler, `run-once`, a command —
//! reads the clock; everything below takes the `now` it was handed. Tests
//! drive a long-running exporter through days in milliseconds with
//! [`ManualClock`].

use std::sync::Mutex;

use crate::model::Instant;

/// Where `serve` reads the time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        chrono::Utc::now()
    }
}

/// A clock that moves only when told (tests, simulations).
#[derive(Debug)]
pub struct ManualClock(Mutex<Instant>);

impl ManualClock {
    pub fn new(at: Instant) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: Instant) {
        match self.0.lock() {
            Ok(mut t) => *t = at,
            Err(poisoned) => *poisoned.into_inner() = at,
        }
    }

    pub fn advance(&self, by: chrono::TimeDelta) {
        let now = self.now();
        self.set(now + by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        match self.0.lock() {
            Ok(t) => *t,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}
