//! The wall clock, as an input (DESIGN.md: time is an input).
//!
//! Only the job's caller — `serve`'s scheduler, `run-once`, a command —
//! reads the clock; everything below takes the `now` it was handed. Tests
//! drive a long-running exporter through days in milliseconds with
//! [`ManualClock`].

use std::future::Future;
use std::pin::Pin;

use tokio::sync::watch;

use crate::model::Instant;

/// A wait handed out by a [`Clock`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Where `serve` reads the time, and waits for it.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;

    /// Resolves once it is `at` (at once if it is past).
    fn sleep_until(&self, at: Instant) -> Sleep;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        chrono::Utc::now()
    }

    fn sleep_until(&self, at: Instant) -> Sleep {
        let wait = (at - chrono::Utc::now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that moves only when told (tests, simulations). Whoever sleeps
/// on it wakes when it is moved past their time: a test drives `serve`'s
/// scheduler through days without waiting for them.
#[derive(Debug)]
pub struct ManualClock(watch::Sender<Instant>);

impl ManualClock {
    pub fn new(at: Instant) -> ManualClock {
        ManualClock(watch::Sender::new(at))
    }

    pub fn set(&self, at: Instant) {
        self.0.send_replace(at);
    }

    pub fn advance(&self, by: chrono::TimeDelta) {
        self.0.send_modify(|t| *t += by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.0.borrow()
    }

    fn sleep_until(&self, at: Instant) -> Sleep {
        let mut moved = self.0.subscribe();
        Box::pin(async move {
            // Err: the clock is gone (the test ended); nothing to wait for.
            let _ = moved.wait_for(|now| *now >= at).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::calendar::tests::t;

    #[tokio::test]
    async fn a_sleeper_wakes_when_the_manual_clock_passes_its_time() {
        let clock = ManualClock::new(t("2026-12-04T09:00:00Z"));
        let mut sleep = clock.sleep_until(t("2026-12-07T09:00:00Z"));
        assert!(futures_poll(&mut sleep).is_pending());
        clock.advance(chrono::TimeDelta::days(2));
        assert!(futures_poll(&mut sleep).is_pending(), "a day early");
        clock.advance(chrono::TimeDelta::days(1));
        assert!(futures_poll(&mut sleep).is_ready());
        // A time already past: at once.
        assert!(futures_poll(&mut clock.sleep_until(t("2026-12-01T00:00:00Z"))).is_ready());
    }

    fn futures_poll(f: &mut Sleep) -> std::task::Poll<()> {
        let waker = std::task::Waker::noop();
        f.as_mut().poll(&mut std::task::Context::from_waker(waker))
    }
}
