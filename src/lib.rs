//! support-metrics: support-quality metrics from helpdesk tables.
//!
//! Data flows one way (DESIGN.md §7): `source` (sqlx) → `engine` (pure) →
//! outputs (`report`). `config` validates settings once; `demo` generates a
//! realistic helpdesk. `main.rs` only parses the command line.

pub mod config;
pub mod demo;
pub mod engine;
pub mod model;
pub mod rejects;
pub mod report;
pub mod source;
pub mod timearg;
