//! The only code that talks to MySQL: opening connections within a hard
//! deadline, running queries, and turning driver errors into messages a user
//! can act on.

mod connect;
mod errors;

pub use connect::{Session, TextRow, connect};
pub use errors::sanitize;
