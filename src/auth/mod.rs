//! Password hashing, tokens and the logged-in-user extractor.

mod caller;
mod extractor;
pub mod password;
pub mod sessions;
pub mod tokens;

pub use caller::Caller;
pub use extractor::{AuthUser, bearer};
pub use tokens::{Claims, JwtKeys};
