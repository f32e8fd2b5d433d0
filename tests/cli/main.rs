//! Integration tests: the real `support-metrics` binary against real
//! databases (an SQLite file, and PostgreSQL on loopback).

mod demo;
mod digest;
mod errors;
mod exporter;
mod helpers;
mod prometheus;
mod report;
mod rules;
