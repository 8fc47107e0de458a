//! Pure domain logic: parsing at the edge, rules, arithmetic. No I/O here.

pub mod banks;
pub mod certificate;
pub mod collation;
pub mod content;
pub mod course;
pub mod indicators;
pub mod login;
pub mod members;
pub mod paper;
pub mod person;
pub mod phone;
pub mod ranking;
pub mod roster;
pub mod round;
pub mod text;
pub mod time;
pub mod unit;
