//! One integration-test binary: the real app on a random port, a fresh database per test
//! (in-memory SQLite, or a new PostgreSQL database with `TEST_DATABASE_URL`), and Redis with a
//! key prefix per test when `TEST_REDIS_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod attempts;
mod auth;
mod bank_scope;
mod banks;
mod certificates;
mod conformance;
mod content;
mod contests;
mod courses;
mod dashboard;
mod exports;

mod health;
mod helpers;
mod indicators;
mod leaderboard;
mod limiter;
mod me;
mod metrics;
mod pages;
mod stats;
mod units;
