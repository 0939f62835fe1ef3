//! Client drivers' documented defaults that several parts of poolcheck reason
//! about (inspect's checks, recommend's rules, explain's advice): one constant
//! each, so a number like a packet limit is written once.

/// A MySQL client driver and its client-side max_allowed_packet default: the
/// largest statement it sends before the server gets to refuse it.
#[derive(Debug, PartialEq, Eq)]
pub struct Driver {
    pub name: &'static str,
    pub max_allowed_packet_bytes: u64,
}

/// PyMySQL (SQLAlchemy's, Flask-SQLAlchemy's and Django's usual MySQL driver).
pub const PYMYSQL: Driver = Driver {
    name: "PyMySQL",
    max_allowed_packet_bytes: COMMON_MAX_ALLOWED_PACKET_BYTES,
};

/// go-sql-driver/mysql (`maxAllowedPacket`, unless the DSN sets it).
pub const GO_SQL_DRIVER: Driver = Driver {
    name: "go-sql-driver/mysql",
    max_allowed_packet_bytes: 64 << 20,
};

/// The client-side max_allowed_packet that PyMySQL, mysqlclient and
/// Connector/J default to.
pub const COMMON_MAX_ALLOWED_PACKET_BYTES: u64 = 16 << 20;
