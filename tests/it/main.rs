//! The one integration-test binary: CLI behaviour without a server, and real
//! runs against a throwaway MariaDB that this binary starts and stops itself.

// Tests may print (with --nocapture); the program itself may not (Cargo.toml).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bad_input;
mod ci_formats;
mod cli;
mod common;
mod dns;
mod docs;
mod explain;
mod faults;
mod find;
mod footprint;
mod framework_proofs;
mod hostile_files;
mod inspect;
mod keepalive;
mod keepalive_apps;
mod limits;
mod lying_server;
mod nat;
mod output;
mod probe;
mod probe_footprint;
mod proxy;
mod recommend;
mod rig;
mod secrets;
mod shell;
mod sqlalchemy_asyncio_proof;
mod sqlalchemy_proof;
mod tls;
