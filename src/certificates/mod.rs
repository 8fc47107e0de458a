//! Certificates outside the database: the signing keys, the PDF, the portable credential
//! (Open Badges 3.0) and the public verification page. The facts and codes themselves are
//! pure domain (`domain::certificate`); issuing and access are in `services::certificates`.

pub mod credential;
pub mod page;
pub mod pdf;
pub mod signing;
