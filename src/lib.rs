//! Soi Đường: political-theory lessons, timed online contests and verifiable certificates
//! for the Hồ Chí Minh Communist Youth Union of a province.

pub mod auth;
pub mod certificates;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod export;
pub mod leaderboard;
pub mod limiter;
pub mod metrics;
pub mod openapi;
pub mod reports;
pub mod routes;
pub mod services;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod web;
