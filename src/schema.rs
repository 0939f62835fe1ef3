//! The header every `--format json` document starts with: which schema, which
//! tool, which command. One place for the schema version, below every
//! subcommand and `report/`, so that reports can name it without importing
//! their renderer.

use serde::{Deserialize, Serialize};

/// Version of every `--format json` document. Bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Identifies the producer of a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn current() -> Tool {
        Tool {
            name: "poolcheck".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// The first keys of every report, flattened into it:
/// `{"schema_version": 1, "tool": {...}, "command": "inspect", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub schema_version: u32,
    pub tool: Tool,
    /// The subcommand that made the document (`inspect`, `probe`, ...).
    pub command: String,
}

impl Header {
    /// The header of a document this build writes for `command`.
    pub fn new(command: &str) -> Header {
        Header {
            schema_version: SCHEMA_VERSION,
            tool: Tool::current(),
            command: command.into(),
        }
    }
}
