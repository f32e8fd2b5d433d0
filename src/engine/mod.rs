//! The metric engine: pure functions over typed records (DESIGN.md §3).
//!
//! No I/O and no clock: "now" is always a parameter. One module per metric
//! family, its definition as the module doc.

pub mod backlog;
pub mod calendar;
pub mod engagement;
pub mod facts;
pub mod first_response;
pub mod interactions;
pub mod people;
pub mod replies;
pub mod resolution;
pub mod routing;
pub mod servqual;
pub mod slo;
pub mod stats;
pub mod surveys;
pub mod time_in_status;
pub mod timeline;

#[cfg(test)]
pub(crate) mod tests;

/// A customer's normal-priority email ticket created at `created_at`, for
/// the engine's tests.
#[cfg(test)]
pub(crate) fn test_ticket(created_at: crate::model::Instant) -> crate::model::Ticket {
    use crate::model::{Creator, Priority, Status, Ticket};
    Ticket {
        id: "t".into(),
        created_at,
        channel: "email".into(),
        priority: Priority::Normal,
        category: None,
        requester_id: "c".into(),
        created_by: Creator::Customer,
        status: Status::Open,
        updated_at: None,
    }
}
