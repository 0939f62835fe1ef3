//! The only code that talks to MySQL: opening connections within a hard
//! deadline, running queries, looking at idle sockets, and turning driver
//! errors into messages a user can act on.

mod connect;
mod errors;
mod resolve;
pub mod server;
mod socket;
mod tls;

pub use connect::{
    ConnectOptions, ConnectTimedOut, Phase, PingFailure, Session, TextRow, connect, connect_with,
};
pub use errors::{sanitize, server_code};
pub use resolve::lookups_started;
pub use socket::{Peek, parse_err_packet};
