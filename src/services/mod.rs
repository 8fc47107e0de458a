//! Use cases: transactions, authorisation decisions, calls into domain and store.

pub mod access;
pub mod accounts;
pub mod seed;
pub mod units;
