//! Use cases: transactions, authorisation decisions, calls into domain and store.

pub mod access;
pub mod accounts;
pub mod attempts;
pub mod banks;
pub mod boards;
pub mod caches;
pub mod certificates;
pub mod content;
pub mod contests;
pub mod courses;
pub mod engine;
pub mod imports;
pub mod indicators;
pub mod membership;
pub mod pool;
pub mod quizzes;
pub mod rosters;
pub mod rounds;
pub mod seed;
pub mod stats;
pub mod units;
