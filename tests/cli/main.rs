//! Integration tests: the real `support-metrics` binary against real
//! databases (an SQLite file, and PostgreSQL and MariaDB on loopback).

mod backfill;
mod browser;
mod collation;
mod corpus;
mod demo;
mod deploy;
mod digest;
mod errors;
mod exporter;
mod facts;
mod faults;
mod field;
mod from_state;
mod generate;
mod helpers;
mod hostile;
mod period;
mod presets;
mod prometheus;
mod replicas;
mod report;
mod rules;
mod safety;
mod security;
mod state;
