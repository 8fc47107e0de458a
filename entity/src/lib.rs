//! sea-orm entities, one module a table. Generated shape, no business logic.

pub mod refresh_tokens;
pub mod unit_organizers;
pub mod units;
pub mod user_categories;
pub mod users;
