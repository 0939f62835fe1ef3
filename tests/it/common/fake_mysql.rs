//! A small scriptable fake MySQL server for the "server that lies or
//! misbehaves" tests: it speaks just enough of the protocol (HandshakeV10 with
//! mysql_native_password, any login accepted, COM_QUERY with text result sets,
//! COM_PING, COM_QUIT) for the real client to connect, and can be told to break
//! the protocol in one place: the greeting, the login answer, one result set,
//! or the values it reports.
//!
//! It is not a model of MySQL: the real-server tests use the throwaway MariaDB.
//! Everything here is bounded: the accept loop and every connection thread stop
//! when the [`FakeMysql`] is dropped or after [`LIFETIME`], whichever is first,
//! and no read or stall waits longer than that.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// No fake outlives this, even if a test forgets to drop it.
pub const LIFETIME: Duration = Duration::from_secs(120);
/// How often waiting threads look at the stop flag.
const TICK: Duration = Duration::from_millis(20);

/// What the fake sends instead of a proper greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Greeting {
    /// A well-formed HandshakeV10.
    Normal,
    /// A HandshakeV10 whose protocol version byte is 9.
    WrongProtocol,
    /// The first half of the greeting, then the connection is closed.
    TruncatedThenClose,
    /// A header claiming more bytes than are sent, then silence (socket held open).
    ShortThenStall,
    /// Bytes that are no MySQL packet at all (an HTTP answer).
    Garbage,
    /// A zero-length packet where the greeting belongs.
    Empty,
    /// A greeting that offers TLS (CLIENT_SSL); after the client's SSL
    /// request, silence (the TLS handshake never gets an answer).
    OffersTlsThenStall,
}

/// What the fake answers to the login (HandshakeResponse41).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// An OK packet.
    Ok,
    /// A zero-length packet instead of OK or ERR.
    Empty,
    /// Nothing: the socket is held open in silence.
    Stall,
}

/// How the fake breaks the first result set of a query it was told to break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFault {
    /// Column definitions, then half a row packet, then close.
    CloseMidRow,
    /// Column definitions, then half a row packet, then silence.
    StallMidRow,
    /// Column definitions and their EOF, then silence (no row, no final EOF).
    StallAfterColumns,
    /// A zero-length packet where the first row belongs.
    EmptyRowPacket,
    /// A zero-length packet where the result set header belongs.
    EmptyHeader,
    /// A well-formed result set with no rows at all.
    NoRows,
}

/// The whole behaviour of one fake; every connection gets the same.
#[derive(Debug, Clone)]
pub struct Script {
    pub greeting: Greeting,
    pub login: Login,
    /// Break the answer to queries containing this text (case-insensitive).
    pub fault: Option<(String, ResultFault)>,
    /// Server variables by name (`wait_timeout`, ...); `None` answers NULL.
    /// `@@global.x` and `@@session.x` both read `x`.
    pub variables: BTreeMap<String, Option<String>>,
    /// `SHOW GLOBAL STATUS` rows by name; `None` answers NULL.
    pub status: BTreeMap<String, Option<String>>,
}

impl Default for Script {
    fn default() -> Script {
        let vars = [
            ("version", "8.0.36-fake"),
            ("version_comment", "poolcheck fake server"),
            ("wait_timeout", "28800"),
            ("interactive_timeout", "28800"),
            ("connect_timeout", "10"),
            ("net_read_timeout", "30"),
            ("net_write_timeout", "60"),
            ("max_connections", "151"),
            ("max_user_connections", "0"),
            ("max_allowed_packet", "67108864"),
            ("thread_cache_size", "9"),
            ("init_connect", ""),
        ];
        let status = [
            ("Uptime", "3600"),
            ("Aborted_clients", "0"),
            ("Aborted_connects", "0"),
            ("Connection_errors_max_connections", "0"),
            ("Threads_connected", "1"),
            ("Threads_running", "1"),
            ("Max_used_connections", "2"),
            ("Connections", "10"),
        ];
        Script {
            greeting: Greeting::Normal,
            login: Login::Ok,
            fault: None,
            variables: vars
                .iter()
                .map(|(k, v)| (k.to_string(), Some(v.to_string())))
                .collect(),
            status: status
                .iter()
                .map(|(k, v)| (k.to_string(), Some(v.to_string())))
                .collect(),
        }
    }
}

impl Script {
    pub fn greeting(mut self, g: Greeting) -> Script {
        self.greeting = g;
        self
    }

    pub fn login(mut self, l: Login) -> Script {
        self.login = l;
        self
    }

    pub fn fault(mut self, query_part: &str, f: ResultFault) -> Script {
        self.fault = Some((query_part.to_ascii_lowercase(), f));
        self
    }

    pub fn variable(mut self, name: &str, value: Option<&str>) -> Script {
        self.variables
            .insert(name.to_string(), value.map(str::to_string));
        self
    }

    pub fn status(mut self, name: &str, value: Option<&str>) -> Script {
        self.status
            .insert(name.to_string(), value.map(str::to_string));
        self
    }
}

/// A running fake; stops (and joins every thread) when dropped.
pub struct FakeMysql {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<String>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeMysql {
    pub fn start(script: Script) -> FakeMysql {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let (stop, log) = (stop.clone(), log.clone());
            std::thread::Builder::new()
                .name("fake-mysql-accept".into())
                .spawn(move || accept_loop(listener, script, stop, log))
                .unwrap()
        };
        FakeMysql {
            addr,
            stop,
            log,
            acceptor: Some(acceptor),
        }
    }

    /// `mysql://root@127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/", self.addr.port())
    }

    /// Every query the fake received, in order, and `UNKNOWN: ...` for those
    /// it could not answer.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for FakeMysql {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    script: Script,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<String>>>,
) {
    let born = Instant::now();
    let ids = AtomicU32::new(100);
    let mut conns = Vec::new();
    while !stop.load(Ordering::SeqCst) && born.elapsed() < LIFETIME {
        match listener.accept() {
            Ok((stream, _)) => {
                let id = ids.fetch_add(1, Ordering::SeqCst);
                let c = Conn {
                    stream,
                    script: script.clone(),
                    stop: stop.clone(),
                    born,
                    log: log.clone(),
                    id,
                };
                if let Ok(t) = std::thread::Builder::new()
                    .name("fake-mysql-conn".into())
                    .spawn(move || c.serve())
                {
                    conns.push(t);
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(TICK),
            Err(_) => std::thread::sleep(TICK),
        }
    }
    // Connection threads see the same flag (or the lifetime) within a tick.
    stop.store(true, Ordering::SeqCst);
    for t in conns {
        let _ = t.join();
    }
}

struct Conn {
    stream: TcpStream,
    script: Script,
    stop: Arc<AtomicBool>,
    born: Instant,
    log: Arc<Mutex<Vec<String>>>,
    id: u32,
}

/// Capability flags the fake offers: no SSL, no DEPRECATE_EOF, no compression.
const CAPS: u32 = 0x0000_0001 // LONG_PASSWORD
    | 0x0000_0004 // LONG_FLAG
    | 0x0000_0008 // CONNECT_WITH_DB
    | 0x0000_0200 // PROTOCOL_41
    | 0x0000_2000 // TRANSACTIONS
    | 0x0000_8000 // SECURE_CONNECTION
    | 0x0001_0000 // MULTI_STATEMENTS
    | 0x0002_0000 // MULTI_RESULTS
    | 0x0008_0000 // PLUGIN_AUTH
    | 0x0010_0000; // CONNECT_ATTRS

impl Conn {
    fn done(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.born.elapsed() >= LIFETIME
    }

    /// Holds the socket open, saying nothing, until the fake stops.
    fn stall(&self) {
        while !self.done() {
            std::thread::sleep(TICK);
        }
    }

    fn send(&mut self, seq: u8, payload: &[u8]) -> std::io::Result<()> {
        let len = payload.len() as u32;
        let mut bytes = len.to_le_bytes()[..3].to_vec();
        bytes.push(seq);
        bytes.extend_from_slice(payload);
        self.stream.write_all(&bytes)
    }

    /// Reads one packet, waiting at most until the fake stops. `None` on EOF,
    /// error or stop.
    fn recv(&mut self) -> Option<(u8, Vec<u8>)> {
        let mut header = [0u8; 4];
        self.read_exact(&mut header)?;
        let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
        let mut payload = vec![0u8; len];
        self.read_exact(&mut payload)?;
        Some((header[3], payload))
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Option<()> {
        self.stream.set_read_timeout(Some(TICK * 5)).ok()?;
        let mut got = 0;
        while got < buf.len() {
            if self.done() {
                return None;
            }
            match self.stream.read(&mut buf[got..]) {
                Ok(0) => return None,
                Ok(n) => got += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        Some(())
    }

    fn serve(mut self) {
        let _ = self.stream.set_write_timeout(Some(Duration::from_secs(5)));
        let greeting = greeting(self.id);
        let sent = match self.script.greeting {
            Greeting::Normal => self.send(0, &greeting),
            Greeting::WrongProtocol => {
                let mut g = greeting.clone();
                g[0] = 9;
                self.send(0, &g)
            }
            Greeting::TruncatedThenClose => {
                let mut bytes = (greeting.len() as u32).to_le_bytes()[..3].to_vec();
                bytes.push(0);
                bytes.extend_from_slice(&greeting[..greeting.len() / 2]);
                let _ = self.stream.write_all(&bytes);
                return;
            }
            Greeting::ShortThenStall => {
                let mut bytes = 200u32.to_le_bytes()[..3].to_vec();
                bytes.push(0);
                bytes.extend_from_slice(&greeting[..20]);
                let _ = self.stream.write_all(&bytes);
                self.stall();
                return;
            }
            Greeting::Garbage => {
                let _ = self.stream.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                self.stall();
                return;
            }
            Greeting::Empty => {
                let _ = self.send(0, &[]);
                self.stall();
                return;
            }
            Greeting::OffersTlsThenStall => {
                let mut g = greeting.clone();
                // Capability flags (low 16 bits) follow the protocol byte, the
                // version string, the connection id and 8 + 1 scramble bytes.
                let at = 1 + b"8.0.36-fake\0".len() + 4 + 9;
                g[at + 1] |= 0x08; // CLIENT_SSL (0x0800)
                if self.send(0, &g).is_ok() {
                    let _ = self.recv(); // the SSL request
                }
                self.stall();
                return;
            }
        };
        if sent.is_err() {
            return;
        }
        // The login (HandshakeResponse41); its content is not checked.
        let Some((seq, _login)) = self.recv() else {
            return;
        };
        match self.script.login {
            Login::Ok => {
                if self.send(seq.wrapping_add(1), &ok_packet()).is_err() {
                    return;
                }
            }
            Login::Empty => {
                let _ = self.send(seq.wrapping_add(1), &[]);
                self.stall();
                return;
            }
            Login::Stall => {
                self.stall();
                return;
            }
        }
        while let Some((_, packet)) = self.recv() {
            let Some((&command, body)) = packet.split_first() else {
                return;
            };
            let answered = match command {
                0x01 => return, // COM_QUIT
                0x0e => self.send(1, &ok_packet()),
                0x03 => {
                    let sql = String::from_utf8_lossy(body).into_owned();
                    if !self.query(&sql) {
                        return;
                    }
                    Ok(())
                }
                other => self.send(1, &err_packet(1047, &format!("unknown command {other}"))),
            };
            if answered.is_err() {
                return;
            }
        }
    }

    /// Answers one COM_QUERY; false when the connection is to end.
    fn query(&mut self, sql: &str) -> bool {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(sql.to_string());
        let fault = self
            .script
            .fault
            .as_ref()
            .filter(|(part, _)| sql.to_ascii_lowercase().contains(part.as_str()))
            .map(|(_, f)| *f);
        let answer = answer(&self.script, sql);
        let (columns, rows) = match answer {
            Answer::Ok => return self.send(1, &ok_packet()).is_ok(),
            Answer::Rows(c, r) => (c, r),
            Answer::Unknown => {
                self.log
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(format!("UNKNOWN: {sql}"));
                return self
                    .send(
                        1,
                        &err_packet(1064, "the fake server does not know this query"),
                    )
                    .is_ok();
            }
        };
        if fault == Some(ResultFault::EmptyHeader) {
            let _ = self.send(1, &[]);
            self.stall();
            return false;
        }
        let mut seq = 1u8;
        let mut next = || {
            let s = seq;
            seq = seq.wrapping_add(1);
            s
        };
        let mut packets = vec![(next(), lenenc_int(columns.len() as u64))];
        for c in &columns {
            packets.push((next(), column_def(c)));
        }
        packets.push((next(), eof_packet()));
        for p in packets {
            if self.send(p.0, &p.1).is_err() {
                return false;
            }
        }
        let row_seq = next();
        match fault {
            Some(ResultFault::StallAfterColumns) => {
                self.stall();
                return false;
            }
            Some(ResultFault::EmptyRowPacket) => {
                let _ = self.send(row_seq, &[]);
                self.stall();
                return false;
            }
            Some(ResultFault::CloseMidRow | ResultFault::StallMidRow) => {
                let row = rows
                    .first()
                    .map(|r| row_packet(r))
                    .unwrap_or_else(|| row_packet(&vec![Some("x".repeat(40)); columns.len()]));
                let mut bytes = (row.len() as u32).to_le_bytes()[..3].to_vec();
                bytes.push(row_seq);
                bytes.extend_from_slice(&row[..row.len() / 2]);
                let _ = self.stream.write_all(&bytes);
                if fault == Some(ResultFault::StallMidRow) {
                    self.stall();
                }
                return false;
            }
            Some(ResultFault::EmptyHeader | ResultFault::NoRows) | None => {}
        }
        let mut seq = row_seq;
        let rows = if fault == Some(ResultFault::NoRows) {
            Vec::new()
        } else {
            rows
        };
        for r in &rows {
            if self.send(seq, &row_packet(r)).is_err() {
                return false;
            }
            seq = seq.wrapping_add(1);
        }
        self.send(seq, &eof_packet()).is_ok()
    }
}

enum Answer {
    Ok,
    Rows(Vec<String>, Vec<Vec<Option<String>>>),
    Unknown,
}

/// Answers from the script: `SELECT expr, ...` of server variables and
/// functions, `SHOW GLOBAL STATUS WHERE Variable_name IN (...)`, `SHOW GRANTS`,
/// process-list reads (no rows) and `SET` (OK). Anything else is unknown.
fn answer(script: &Script, sql: &str) -> Answer {
    let lower = sql.trim().to_ascii_lowercase();
    if lower.starts_with("set ") {
        return Answer::Ok;
    }
    if lower.starts_with("show global status") || lower.starts_with("show status") {
        let wanted = in_list(sql);
        let rows = script
            .status
            .iter()
            .filter(|(k, _)| wanted.iter().any(|w| w.eq_ignore_ascii_case(k)))
            .map(|(k, v)| vec![Some(k.clone()), v.clone()])
            .collect();
        return Answer::Rows(vec!["Variable_name".into(), "Value".into()], rows);
    }
    if lower.starts_with("show grants") {
        return Answer::Rows(
            vec!["Grants for root@%".into()],
            vec![vec![Some(
                "GRANT ALL PRIVILEGES ON *.* TO `root`@`%` WITH GRANT OPTION".into(),
            )]],
        );
    }
    if lower.starts_with("select")
        && lower.contains("from information_schema.processlist")
        && !lower.contains("(select count(*)")
    {
        // The idle-connection groups, or which dead threads remain: none.
        let columns = select_list(sql);
        return Answer::Rows(columns.iter().map(|c| c.to_string()).collect(), Vec::new());
    }
    if lower.starts_with("select ") {
        let columns = select_list(sql);
        let mut row = Vec::new();
        for c in &columns {
            match expr_value(script, c) {
                Some(v) => row.push(v),
                None => return Answer::Unknown,
            }
        }
        return Answer::Rows(columns, vec![row]);
    }
    Answer::Unknown
}

/// The expressions of `SELECT a, b, (SELECT ...)`, split at top-level commas.
fn select_list(sql: &str) -> Vec<String> {
    let body = sql.trim()[6..].trim();
    let mut items = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    let mut end = body.len();
    for (i, ch) in body.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(ch),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                items.push(body[start..i].trim().to_string());
                start = i + 1;
            }
            (None, c) if depth == 0 && c.is_whitespace() => {
                let tail = &body[i..];
                if tail.trim_start().to_ascii_lowercase().starts_with("from ") {
                    end = i;
                    break;
                }
            }
            _ => {}
        }
    }
    items.push(body[start..end].trim().to_string());
    items
}

/// The value of one select-list expression, `None` when the fake does not know it.
fn expr_value(script: &Script, expr: &str) -> Option<Option<String>> {
    let lower = expr.trim().to_ascii_lowercase();
    if lower == "version()" {
        return Some(script.variables.get("version").cloned().flatten());
    }
    if lower == "current_user()" {
        return Some(Some("root@%".into()));
    }
    if lower.starts_with("(select count(*)") {
        return Some(Some("1".into()));
    }
    if lower.starts_with("get_lock(") || lower.starts_with("release_lock(") {
        // The probe's named lock: free, then released.
        return Some(Some("1".into()));
    }
    if let Some(name) = lower.strip_prefix("@@") {
        let name = name
            .strip_prefix("global.")
            .or_else(|| name.strip_prefix("session."))
            .unwrap_or(name);
        return script.variables.get(name).cloned();
    }
    None
}

/// The quoted names of `... IN ('a', 'b')`.
fn in_list(sql: &str) -> Vec<String> {
    sql.split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn greeting(id: u32) -> Vec<u8> {
    let scramble = b"abcdefghijklmnopqrst"; // 20 bytes
    let mut g = vec![10u8];
    g.extend_from_slice(b"8.0.36-fake\0");
    g.extend_from_slice(&id.to_le_bytes());
    g.extend_from_slice(&scramble[..8]);
    g.push(0);
    g.extend_from_slice(&(CAPS as u16).to_le_bytes());
    g.push(45); // utf8mb4_general_ci
    g.extend_from_slice(&2u16.to_le_bytes()); // SERVER_STATUS_AUTOCOMMIT
    g.extend_from_slice(&((CAPS >> 16) as u16).to_le_bytes());
    g.push(21);
    g.extend_from_slice(&[0u8; 10]);
    g.extend_from_slice(&scramble[8..]);
    g.push(0);
    g.extend_from_slice(b"mysql_native_password\0");
    g
}

fn ok_packet() -> Vec<u8> {
    vec![0x00, 0, 0, 0x02, 0x00, 0x00, 0x00]
}

fn eof_packet() -> Vec<u8> {
    vec![0xfe, 0x00, 0x00, 0x02, 0x00]
}

fn err_packet(code: u16, message: &str) -> Vec<u8> {
    let mut p = vec![0xff];
    p.extend_from_slice(&code.to_le_bytes());
    p.extend_from_slice(b"#42000");
    p.extend_from_slice(message.as_bytes());
    p
}

fn lenenc_int(n: u64) -> Vec<u8> {
    match n {
        0..=250 => vec![n as u8],
        251..=0xffff => {
            let mut v = vec![0xfc];
            v.extend_from_slice(&(n as u16).to_le_bytes());
            v
        }
        0x1_0000..=0xff_ffff => {
            let mut v = vec![0xfd];
            v.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
            v
        }
        _ => {
            let mut v = vec![0xfe];
            v.extend_from_slice(&n.to_le_bytes());
            v
        }
    }
}

fn lenenc_str(s: &[u8]) -> Vec<u8> {
    let mut v = lenenc_int(s.len() as u64);
    v.extend_from_slice(s);
    v
}

/// ColumnDefinition41 of a VAR_STRING column.
fn column_def(name: &str) -> Vec<u8> {
    let mut p = Vec::new();
    for part in [&b"def"[..], b"", b"", b"", name.as_bytes(), b""] {
        p.extend(lenenc_str(part));
    }
    p.push(0x0c);
    p.extend_from_slice(&45u16.to_le_bytes());
    p.extend_from_slice(&1024u32.to_le_bytes());
    p.push(0xfd); // MYSQL_TYPE_VAR_STRING
    p.extend_from_slice(&0u16.to_le_bytes());
    p.push(0);
    p.extend_from_slice(&[0, 0]);
    p
}

fn row_packet(row: &[Option<String>]) -> Vec<u8> {
    let mut p = Vec::new();
    for v in row {
        match v {
            Some(s) => p.extend(lenenc_str(s.as_bytes())),
            None => p.push(0xfb),
        }
    }
    p
}
