//! support-metrics: support-quality metrics from helpdesk tables.
//!
//! Data flows one way (DESIGN.md §7; the module picture is in
//! ARCHITECTURE.md): `db` (pools) → `source` (sqlx) → `walk` → `engine` (pure) →
//! `collect` → `state` → outputs (`exposition` behind `server`, `report`);
//! `exporter` runs the jobs that `scheduler` and `service` drive. `config` validates settings once; `demo` generates a
//! realistic helpdesk. `main.rs` only parses the command line.

pub mod calendar_import;
pub mod clock;
pub mod collect;
pub mod config;
pub mod dashboards;
pub mod db;
pub mod demo;
pub mod digest;
pub mod engine;
pub mod error_chain;
pub mod exporter;
pub mod exposition;
pub mod kpi;
pub mod localtime;
pub mod metrics;
pub mod model;
pub mod panic;
pub mod presets;
pub mod printable;
pub mod rejects;
pub mod report;
pub mod rules;
pub mod scheduler;
pub mod server;
pub mod service;
pub mod source;
pub mod state;
pub mod timearg;
pub mod walk;

#[cfg(test)]
mod fuzz;
