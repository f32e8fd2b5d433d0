//! The metric engine: pure functions over typed records (DESIGN.md §3).
//!
//! No I/O and no clock: "now" is always a parameter. One module per metric
//! family, its definition as the module doc.

pub mod backlog;
pub mod calendar;
pub mod engagement;
pub mod first_response;
pub mod interactions;
pub mod replies;
pub mod resolution;
pub mod routing;
pub mod slo;
pub mod stats;
pub mod surveys;
pub mod time_in_status;
pub mod timeline;

#[cfg(test)]
mod tests;
