//! Finds, reads and merges MySQL/MariaDB option files (`my.cnf`, `~/.my.cnf`) the way the mysql client does.
//!
//! Hand-written because general INI parsers get MySQL's rules wrong: `#` comments
//! after values, quote and escape handling, `-`/`_` in option names, the
//! `loose-`/`skip-`/`enable-` prefixes and the `!include`/`!includedir` directives.
//! The reference behaviour is libmysqlclient's `my_default.cc` and my_getopt;
//! deliberate differences are called out where they happen.

use crate::input::{self, InputError, Problem};
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Deepest `!include` nesting we follow. mysql stops at 10 too; a cycle that
/// escapes the open-file check (e.g. through hard links) still ends here.
const MAX_INCLUDE_DEPTH: usize = 10;

/// Most option files one load reads, standard files and includes together.
/// Depth alone does not bound fan-out: 10 levels of 8 `!include`s each is a
/// billion files. Real setups read a dozen or two.
pub const MAX_FILES: usize = 100;

/// Most bytes one load reads from option files, all files together (each file
/// is also capped at [`crate::input::Kind::OptionFile`]'s limit, 1 MiB).
pub const MAX_TOTAL_BYTES: u64 = 4 << 20;

/// Where option files come from, as the MySQL clients decide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defaults {
    /// The standard list (see [`standard_files`]), plus an optional --defaults-extra-file.
    Standard {
        home: Option<PathBuf>,
        extra_file: Option<PathBuf>,
    },
    /// --defaults-file=F: read only F (missing F is an error).
    Only(PathBuf),
    /// --no-defaults: read nothing.
    None,
}

/// One value as read: `value` is None for a bare option (`skip-ssl` style flags, `ssl`).
///
/// `Debug` prints the value; [`OptionSet`]'s `Debug` is what redacts passwords,
/// because only the set knows the option's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionValue {
    pub value: Option<String>,
    pub file: PathBuf,
    pub line: usize,
}

/// The merged options of the wanted groups. Later occurrences win (file order,
/// then position in file), like mysql.
#[derive(Default, Clone)]
pub struct OptionSet {
    /// Keyed by normalized name (lowercase, `_`); a BTreeMap keeps Debug output stable.
    options: BTreeMap<String, OptionValue>,
    files_read: Vec<PathBuf>,
    warnings: Vec<String>,
}

impl OptionSet {
    /// Looks an option up by name in any spelling: "ssl-mode" == "SSL_MODE".
    /// Flags written as `skip-X`/`disable-X`/`enable-X` are stored under `X`.
    pub fn get(&self, name: &str) -> Option<&OptionValue> {
        self.options.get(&normalize_name(name))
    }

    /// All kept options, by normalized name. Values are not redacted here.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &OptionValue)> {
        self.options
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    /// Files whose contents were read, in reading order, including included
    /// ones. Text given to [`parse_str`] directly is not listed.
    pub fn files_read(&self) -> &[PathBuf] {
        &self.files_read
    }

    /// Problems that made mysql skip something (e.g. a world-writable file).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

impl fmt::Debug for OptionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OptionSet")
            .field("options", &RedactedOptions(&self.options))
            .field("files_read", &self.files_read)
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// Debug view of the option map that hides secret values.
struct RedactedOptions<'a>(&'a BTreeMap<String, OptionValue>);

impl fmt::Debug for RedactedOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if is_secret(name) {
                map.entry(name, &RedactedValue(value));
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

/// An [`OptionValue`] printed with its value replaced; file and line stay
/// because they are what a diagnosis needs.
struct RedactedValue<'a>(&'a OptionValue);

impl fmt::Debug for RedactedValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OptionValue")
            .field("value", &self.0.value.as_ref().map(|_| Redacted))
            .field("file", &self.0.file)
            .field("line", &self.0.line)
            .finish()
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

/// Whether a (normalized) option name may hold a password. Besides
/// `password`, `password1..3` and the like, my_getopt accepts unambiguous
/// abbreviations, so `pass = x` in a file really is the password.
fn is_secret(name: &str) -> bool {
    name.contains("password") || name.contains("passwd") || "password".starts_with(name)
}

/// A file that could not be read or parsed. `message` never contains an
/// option value, so the error is safe to log.
#[derive(Debug)]
pub struct OptionFileError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for OptionFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A read failure says "cannot read option file" itself; a syntax
        // error names the file as an option file here.
        match self.line {
            Some(line) => write!(
                f,
                "option file {}:{}: {}",
                self.file.display(),
                line,
                self.message
            ),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for OptionFileError {}

/// How a file came to be read, which decides what a read failure means.
#[derive(Clone, Copy)]
enum Origin<'p> {
    /// One of the fixed standard files: absence is normal.
    Standard,
    /// --defaults-file or --defaults-extra-file: the user asked for it, so it must exist.
    Required,
    /// Named by an `!include`/`!includedir` at this file and line.
    Included { file: &'p Path, line: usize },
}

/// The standard files, in reading order (Unix): /etc/my.cnf, /etc/mysql/my.cnf,
/// then extra_file, then HOME/.my.cnf.
pub fn standard_files(home: Option<&Path>, extra_file: Option<&Path>) -> Vec<PathBuf> {
    standard_sources(home, extra_file)
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// [`standard_files`] with the origin of each, so that only the extra file is required.
fn standard_sources(
    home: Option<&Path>,
    extra_file: Option<&Path>,
) -> Vec<(PathBuf, Origin<'static>)> {
    let mut sources = vec![
        (PathBuf::from("/etc/my.cnf"), Origin::Standard),
        (PathBuf::from("/etc/mysql/my.cnf"), Origin::Standard),
    ];
    if let Some(extra) = extra_file {
        sources.push((extra.to_path_buf(), Origin::Required));
    }
    if let Some(home) = home {
        sources.push((home.join(".my.cnf"), Origin::Standard));
    }
    sources
}

/// Read the files chosen by `defaults`, keeping options from the groups named
/// in `groups` (e.g. ["client", "client-server", "client-mariadb", "poolcheck"]).
pub fn load(defaults: &Defaults, groups: &[&str]) -> Result<OptionSet, OptionFileError> {
    let sources = match defaults {
        Defaults::Standard { home, extra_file } => {
            standard_sources(home.as_deref(), extra_file.as_deref())
        }
        Defaults::Only(file) => vec![(file.clone(), Origin::Required)],
        Defaults::None => Vec::new(),
    };
    load_sources(&sources, groups)
}

fn load_sources(
    sources: &[(PathBuf, Origin<'_>)],
    groups: &[&str],
) -> Result<OptionSet, OptionFileError> {
    let mut set = OptionSet::default();
    let mut reader = Reader::new(groups, &mut set);
    for (path, origin) in sources {
        reader.read_file(path, *origin, 0)?;
    }
    Ok(set)
}

/// Parse text as if read from `file` (used by load and by tests); `!include`s
/// are resolved relative to nothing (absolute paths as given) and read from disk.
///
/// `file` only labels options and errors; it is not added to `files_read`.
/// On error, `into` keeps whatever was read before the failing line.
pub fn parse_str(
    text: &str,
    file: &Path,
    groups: &[&str],
    into: &mut OptionSet,
) -> Result<(), OptionFileError> {
    let mut reader = Reader::new(groups, into);
    reader.open.push(identity(file));
    reader.parse(text, file, 0)
}

/// State shared by one top-level read and all files it includes.
struct Reader<'a> {
    /// Wanted group names, trimmed and lowercased (group names are case-insensitive).
    wanted: Vec<String>,
    set: &'a mut OptionSet,
    /// Files being read right now, outermost first: re-entering one is a cycle.
    open: Vec<PathBuf>,
    /// Bytes read so far by this load, all files together.
    bytes_read: u64,
}

impl<'a> Reader<'a> {
    fn new(groups: &[&str], set: &'a mut OptionSet) -> Self {
        Reader {
            wanted: groups.iter().map(|g| trim(g).to_lowercase()).collect(),
            set,
            open: Vec::new(),
            bytes_read: 0,
        }
    }

    fn read_file(
        &mut self,
        path: &Path,
        origin: Origin<'_>,
        depth: usize,
    ) -> Result<(), OptionFileError> {
        let opened = match input::open(path, input::Kind::OptionFile) {
            Ok(opened) => opened,
            Err(InputError {
                problem: Problem::Io(e),
                ..
            }) => return self.read_failed(path, origin, &e),
            // A FIFO, device or directory, or a huge file: refused wherever it
            // comes from (a standard file too: reading it would hang or exhaust memory).
            Err(e) => return Err(self.refused(path, origin, e.reason())),
        };
        // mysql checks permissions before reading: anyone could have planted
        // options (say, a different host) in a world-writable file. The mode
        // is the opened file's, so it is the file that is read.
        if let Some(warning) = mode_warning(path, opened.metadata()) {
            self.set.warnings.push(warning);
            return Ok(());
        }
        if self.set.files_read.len() >= MAX_FILES {
            return Err(self.refused(
                path,
                origin,
                format!("more than {MAX_FILES} option files in one load (too many !include's)"),
            ));
        }
        let bytes = match opened.read() {
            Ok((bytes, _)) => bytes,
            Err(InputError {
                problem: Problem::Io(e),
                ..
            }) => return self.read_failed(path, origin, &e),
            Err(e) => return Err(self.refused(path, origin, e.reason())),
        };
        self.bytes_read += bytes.len() as u64;
        if self.bytes_read > MAX_TOTAL_BYTES {
            return Err(self.refused(
                path,
                origin,
                format!(
                    "more than {} read from option files in one load (too many !include's)",
                    input::show_size(MAX_TOTAL_BYTES)
                ),
            ));
        }
        let text = decode(&bytes, path)?;
        self.set.files_read.push(path.to_path_buf());
        self.open.push(identity(path));
        let result = self.parse(text, path, depth);
        self.open.pop();
        result
    }

    /// The error for a file that must not be read, at the place that named it.
    fn refused(&self, path: &Path, origin: Origin<'_>, reason: String) -> OptionFileError {
        match origin {
            Origin::Standard | Origin::Required => OptionFileError {
                file: path.to_path_buf(),
                line: None,
                message: format!("cannot read option file: {reason}"),
            },
            Origin::Included { file, line } => OptionFileError {
                file: file.to_path_buf(),
                line: Some(line),
                message: format!("cannot read included file '{}': {reason}", path.display()),
            },
        }
    }

    fn read_failed(
        &mut self,
        path: &Path,
        origin: Origin<'_>,
        e: &io::Error,
    ) -> Result<(), OptionFileError> {
        match origin {
            Origin::Standard if e.kind() == io::ErrorKind::NotFound => Ok(()),
            // mysql silently skips a standard file it cannot open (e.g. a
            // root-only /etc/my.cnf); we skip it too, but say so, since it may
            // explain a difference between what root and the app see.
            Origin::Standard => {
                self.set.warnings.push(format!(
                    "config file '{}' is skipped: {}",
                    path.display(),
                    describe(e)
                ));
                Ok(())
            }
            Origin::Required => Err(OptionFileError {
                file: path.to_path_buf(),
                line: None,
                message: format!("cannot read option file: {}", describe(e)),
            }),
            Origin::Included { file, line } => Err(OptionFileError {
                file: file.to_path_buf(),
                line: Some(line),
                message: format!(
                    "cannot read included file '{}': {}",
                    path.display(),
                    describe(e)
                ),
            }),
        }
    }

    fn parse(&mut self, text: &str, file: &Path, depth: usize) -> Result<(), OptionFileError> {
        // Editors on other systems may add a BOM; mysql would choke on it with
        // a confusing "option without preceding group", which helps nobody.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // None until the first header; then whether the current group is wanted.
        // Like mysql, every file (included ones too) starts outside any group,
        // and a file's group is unaffected by the files it includes.
        let mut wanted: Option<bool> = None;
        for (index, raw) in text.split('\n').enumerate() {
            let line_no = index + 1;
            let error = |message: String| OptionFileError {
                file: file.to_path_buf(),
                line: Some(line_no),
                message,
            };
            let line = trim_start(raw);
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            // Directives apply whatever the current group, as in mysql.
            if let Some(directive) = line.strip_prefix('!') {
                self.directive(directive, file, line_no, depth)?;
                continue;
            }
            if let Some(header) = line.strip_prefix('[') {
                // Text after `]` is ignored, as mysql does (it allows `[client] # x`).
                let Some(end) = header.find(']') else {
                    return Err(error("group header without closing ']'".into()));
                };
                let name = trim(&header[..end]).to_lowercase();
                wanted = Some(self.wanted.contains(&name));
                continue;
            }
            match wanted {
                None => return Err(error("found option without preceding group".into())),
                // mysql does not even look at lines of other groups, so
                // whatever is there cannot be an error.
                Some(false) => continue,
                Some(true) => {}
            }
            if let Some((name, value)) = parse_option(line).map_err(error)? {
                let value = OptionValue {
                    value,
                    file: file.to_path_buf(),
                    line: line_no,
                };
                self.set.options.insert(name, value);
            }
        }
        Ok(())
    }

    /// Handles the text after `!`. Unlike mysql, which ignores unknown
    /// directives and unreadable includes, we fail: a silently ignored line is
    /// exactly what this tool exists to point out.
    fn directive(
        &mut self,
        text: &str,
        file: &Path,
        line: usize,
        depth: usize,
    ) -> Result<(), OptionFileError> {
        let error = |message: String| OptionFileError {
            file: file.to_path_buf(),
            line: Some(line),
            message,
        };
        let text = trim_start(text);
        let (keyword, argument) = text.split_at(text.find(is_space).unwrap_or(text.len()));
        // No comment stripping: mysql takes the rest of the line as the path.
        let argument = trim(argument);
        if keyword != "include" && keyword != "includedir" {
            // Only echo a plain word: the line might be a mangled `password=...`.
            let word: String = keyword
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            return Err(error(format!("unknown directive '!{word}'")));
        }
        if argument.is_empty() {
            return Err(error(format!("'!{keyword}' directive without a path")));
        }
        if depth >= MAX_INCLUDE_DEPTH {
            return Err(error(format!(
                "includes nested more than {MAX_INCLUDE_DEPTH} levels deep"
            )));
        }
        let path = Path::new(argument);
        if keyword == "include" {
            return self.include(path, file, line, depth);
        }
        let entries = match fs::read_dir(path) {
            Ok(entries) => entries,
            // MariaDB skips a missing directory; distributions ship
            // `!includedir` lines for directories that may not exist.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(error(format!(
                    "cannot read include directory '{}': {}",
                    path.display(),
                    describe(&e)
                )));
            }
        };
        // Subdirectories are skipped, as in mysql; any other `.cnf` entry goes
        // to the reader, which refuses FIFOs and devices.
        let mut files: Vec<PathBuf> = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let p = entry.path();
            if is_cnf(&p) && !p.is_dir() {
                files.push(p);
                if files.len() > MAX_FILES {
                    return Err(error(format!(
                        "include directory '{}' has more than {MAX_FILES} .cnf files",
                        path.display()
                    )));
                }
            }
        }
        // read_dir order is arbitrary; sorted order makes `50-x.cnf` beat `10-x.cnf`.
        files.sort();
        for included in &files {
            self.include(included, file, line, depth)?;
        }
        Ok(())
    }

    fn include(
        &mut self,
        path: &Path,
        file: &Path,
        line: usize,
        depth: usize,
    ) -> Result<(), OptionFileError> {
        if self.open.contains(&identity(path)) {
            return Err(OptionFileError {
                file: file.to_path_buf(),
                line: Some(line),
                message: format!("include cycle: '{}' is already being read", path.display()),
            });
        }
        self.read_file(path, Origin::Included { file, line }, depth + 1)
    }
}

/// (normalized name, value) of one option, or None for options that are read
/// but dropped (`maximum-`).
type ParsedOption = Option<(String, Option<String>)>;

/// Parses an option line of a wanted group. Errors are messages without the value.
fn parse_option(line: &str) -> Result<ParsedOption, String> {
    let (content, open_quote) = strip_comment(line);
    let (raw_name, raw_value) = match content.split_once('=') {
        Some((name, value)) => (trim(name), Some(trim(value))),
        None => (trim(content), None),
    };
    if raw_name.is_empty() {
        return Err("option without a name".into());
    }
    // mysql would pass such a name on and fail with "unknown option"; we
    // refuse it here, and without echoing it: `password "secret` (a missing
    // `=`) would otherwise leak through the name.
    if raw_name.contains(|c: char| is_space(c) || c == '"' || c == '\'') {
        return Err("malformed option name".into());
    }
    let value = match raw_value {
        None => None,
        Some(value) => {
            // mysql keeps `"abc` literally, quote included. That is almost
            // always a typo in a password, so we report it instead.
            if open_quote && value.starts_with(['"', '\'']) {
                return Err(format!("unterminated quoted value for option '{raw_name}'"));
            }
            Some(unescape(unquote(value)))
        }
    };
    Ok(apply_prefixes(&normalize_name(raw_name), value))
}

/// Cuts `line` at the first `#` outside quotes, exactly like mysql's
/// `remove_end_comment` (backslash escapes count only inside quotes), and
/// reports whether a quote was still open at the end.
fn strip_comment(line: &str) -> (&str, bool) {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if (c == '"' || c == '\'') && !escaped {
            match quote {
                None => quote = Some(c),
                Some(q) if q == c => quote = None,
                Some(_) => {}
            }
        }
        if quote.is_none() && c == '#' {
            return (&line[..i], false);
        }
        escaped = quote.is_some() && c == '\\' && !escaped;
    }
    (line, quote.is_some())
}

/// Removes one pair of matching quotes around the whole value, as mysql does.
/// `'x' y` keeps its quotes because the value does not end with one.
fn unquote(value: &str) -> &str {
    let bytes = value.as_bytes();
    match bytes {
        [first @ (b'"' | b'\''), .., last] if first == last => &value[1..value.len() - 1],
        _ => value,
    }
}

/// Applies mysql's option-file escapes. Unknown escapes keep the backslash
/// (`\x` stays `\x`, unlike SQL string literals) so Windows-ish paths survive.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push('\u{8}'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('s') => out.push(' '),
            Some(c @ ('\\' | '"' | '\'')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            // A trailing backslash is kept as is.
            None => out.push('\\'),
        }
    }
    out
}

/// Interprets my_getopt's name prefixes on a normalized name.
fn apply_prefixes(name: &str, value: Option<String>) -> ParsedOption {
    let mut name = name;
    // `loose-` only tells programs not to fail on unknown options.
    while let Some(rest) = name.strip_prefix("loose_").filter(|r| !r.is_empty()) {
        name = rest;
    }
    // `maximum-X` sets an upper limit for X on the server; not a value of X.
    if name.strip_prefix("maximum_").is_some_and(|r| !r.is_empty()) {
        return None;
    }
    let is_zero = value.as_deref() == Some("0");
    for (prefix, negates) in [("skip_", true), ("disable_", true), ("enable_", false)] {
        if let Some(rest) = name.strip_prefix(prefix).filter(|r| !r.is_empty()) {
            // my_getopt reads `skip-x=0` as a double negation (x on) and
            // `enable-x=0` as x off; any other value is ignored.
            let on = negates == is_zero;
            let flag = if on { "1" } else { "0" };
            return Some((rest.to_string(), Some(flag.to_string())));
        }
    }
    Some((name.to_string(), value))
}

/// The stored spelling of an option name: `-` and `_` are interchangeable in
/// mysql, and we also ignore case so lookups cannot miss on spelling.
fn normalize_name(name: &str) -> String {
    name.to_lowercase().replace('-', "_")
}

/// Whitespace as mysql's latin1 `my_isspace` sees it (includes `\r`, so CRLF
/// files work); narrower than Rust's Unicode notion.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}')
}

fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

fn trim_start(s: &str) -> &str {
    s.trim_start_matches(is_space)
}

/// `!includedir` reads only names ending in `.cnf` (the Unix extension list).
fn is_cnf(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.as_encoded_bytes().ends_with(b".cnf"))
}

/// A path's identity for cycle detection: canonical when it exists, so that
/// `/a/../b.cnf` and symlinks are recognised as the same file.
fn identity(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn decode<'b>(bytes: &'b [u8], path: &Path) -> Result<&'b str, OptionFileError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        OptionFileError {
            file: path.to_path_buf(),
            line: Some(valid.iter().filter(|&&b| b == b'\n').count() + 1),
            message: "file is not valid utf-8".into(),
        }
    })
}

fn describe(e: &io::Error) -> String {
    input::describe_io(e)
}

/// The warning mysql gives for a file it refuses to read because anyone may
/// write to it (`meta` is the opened file's).
fn mode_warning(path: &Path, meta: &fs::Metadata) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let world_writable = meta.permissions().mode() & 0o002 != 0;
    world_writable.then(|| format!("world-writable config file '{}' is ignored", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use tempfile::TempDir;

    const GROUPS: &[&str] = &["client", "client-server", "client-mariadb", "poolcheck"];

    fn parse(text: &str) -> OptionSet {
        let mut set = OptionSet::default();
        parse_str(text, Path::new("/test/my.cnf"), GROUPS, &mut set).expect("parses");
        set
    }

    fn parse_err(text: &str) -> OptionFileError {
        let mut set = OptionSet::default();
        parse_str(text, Path::new("/test/my.cnf"), GROUPS, &mut set).expect_err("fails")
    }

    /// The value of `name`, flattening "absent" and "bare" for short asserts.
    fn val(set: &OptionSet, name: &str) -> Option<String> {
        set.get(name).and_then(|v| v.value.clone())
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        path
    }

    // ---- the realistic file from the spec ----

    #[test]
    fn realistic_file() {
        let set = parse(
            "# global\n[client]\nuser = app\npassword = \"p#ss w;rd\"   # comment\nport=3307\n\
             skip-ssl\n!includedir /nonexistent/conf.d\n[mysqld]\nwait_timeout = 5\n\
             [poolcheck]\nssl-mode = REQUIRED\nsocket = '/run/my sql/mysqld.sock'\n",
        );
        assert_eq!(val(&set, "user").as_deref(), Some("app"));
        assert_eq!(val(&set, "password").as_deref(), Some("p#ss w;rd"));
        assert_eq!(val(&set, "port").as_deref(), Some("3307"));
        assert_eq!(val(&set, "ssl").as_deref(), Some("0"));
        assert_eq!(val(&set, "ssl_mode").as_deref(), Some("REQUIRED"));
        assert_eq!(
            val(&set, "socket").as_deref(),
            Some("/run/my sql/mysqld.sock")
        );
        assert!(set.get("wait_timeout").is_none());
        let port = set.get("port").unwrap();
        assert_eq!(
            (port.file.as_path(), port.line),
            (Path::new("/test/my.cnf"), 5)
        );
        assert!(set.warnings().is_empty());
    }

    // ---- lines and comments ----

    #[test]
    fn blank_and_comment_lines() {
        let set = parse("\n   \n# a\n; b\n  # c\n\t; d\n[client]\n# x = 1\n;y = 2\n  ; z=3\n");
        assert_eq!(set.iter().count(), 0);
    }

    #[test]
    fn comment_lines_before_first_group_are_fine() {
        let set = parse("# header\n; more\n\n[client]\nuser=a\n");
        assert_eq!(val(&set, "user").as_deref(), Some("a"));
    }

    #[test]
    fn hash_ends_unquoted_value_but_semicolon_does_not() {
        let set = parse("[client]\na = value # comment\nb = x;y ; not a comment\nc=v#w\n");
        assert_eq!(val(&set, "a").as_deref(), Some("value"));
        assert_eq!(val(&set, "b").as_deref(), Some("x;y ; not a comment"));
        assert_eq!(val(&set, "c").as_deref(), Some("v"));
    }

    #[test]
    fn comment_after_bare_option() {
        let set = parse("[client]\ncompress   # fast\n");
        assert_eq!(set.get("compress").unwrap().value, None);
    }

    #[test]
    fn whitespace_around_names_and_values_is_stripped() {
        let set = parse("[client]\n  user   =   app  \n\thost\t=\tdb\t\nport=1\n");
        assert_eq!(val(&set, "user").as_deref(), Some("app"));
        assert_eq!(val(&set, "host").as_deref(), Some("db"));
        assert_eq!(val(&set, "port").as_deref(), Some("1"));
    }

    #[test]
    fn crlf_line_endings() {
        let set = parse("[client]\r\nuser = app\r\ncompress\r\n");
        assert_eq!(val(&set, "user").as_deref(), Some("app"));
        assert_eq!(set.get("compress").unwrap().value, None);
    }

    #[test]
    fn bare_option_and_empty_value() {
        let set = parse("[client]\nssl\nempty =\nquoted = \"\"\n");
        assert_eq!(set.get("ssl").unwrap().value, None);
        assert_eq!(val(&set, "empty").as_deref(), Some(""));
        assert_eq!(val(&set, "quoted").as_deref(), Some(""));
    }

    #[test]
    fn value_split_at_first_equals() {
        let set = parse("[client]\ninit-command = SET a=1\n");
        assert_eq!(val(&set, "init_command").as_deref(), Some("SET a=1"));
    }

    #[test]
    fn utf8_bom_is_ignored() {
        let set = parse("\u{feff}[client]\nuser=a\n");
        assert_eq!(val(&set, "user").as_deref(), Some("a"));
    }

    // ---- quotes ----

    #[test]
    fn quoted_values_keep_comment_chars_and_spaces() {
        let set = parse("[client]\na = \"x # y ; z\"\nb = ' padded '\nc = 'it''s'\n");
        assert_eq!(val(&set, "a").as_deref(), Some("x # y ; z"));
        assert_eq!(val(&set, "b").as_deref(), Some(" padded "));
        // Only the outer pair goes, as in mysql.
        assert_eq!(val(&set, "c").as_deref(), Some("it''s"));
    }

    #[test]
    fn quotes_not_around_whole_value_stay() {
        // my_print_defaults prints exactly these.
        let set = parse("[client]\na = 'x' y\nb = don't # x\nc = say \"hi\" # c\n");
        assert_eq!(val(&set, "a").as_deref(), Some("'x' y"));
        assert_eq!(val(&set, "b").as_deref(), Some("don't # x"));
        assert_eq!(val(&set, "c").as_deref(), Some("say \"hi\""));
    }

    #[test]
    fn unterminated_quote_is_error_without_value() {
        let err = parse_err("[client]\nuser = a\npassword = \"s3cret # x\n");
        assert_eq!(err.line, Some(3));
        assert_eq!(err.file, Path::new("/test/my.cnf"));
        assert!(err.message.contains("unterminated quoted value"), "{err}");
        assert!(err.message.contains("password"));
        assert!(!err.to_string().contains("s3cret"));
    }

    #[test]
    fn lone_quote_is_unterminated() {
        let err = parse_err("[client]\nx = '\n");
        assert!(err.message.contains("unterminated"));
    }

    #[test]
    fn escaped_quote_does_not_close() {
        let err = parse_err("[client]\nx = \"abc\\\"\n");
        assert!(err.message.contains("unterminated"));
    }

    // ---- escapes ----

    #[test]
    fn escape_sequences() {
        let set = parse(
            "[client]\na = x\\ty\\nz\\r\\b\nb = back\\\\slash\nc = sp\\sace\nd = \\\"q\\'\n\
             e = C:\\x\\dir\nf = end\\\n",
        );
        assert_eq!(val(&set, "a").as_deref(), Some("x\ty\nz\r\u{8}"));
        assert_eq!(val(&set, "b").as_deref(), Some("back\\slash"));
        assert_eq!(val(&set, "c").as_deref(), Some("sp ace"));
        assert_eq!(val(&set, "d").as_deref(), Some("\"q'"));
        assert_eq!(val(&set, "e").as_deref(), Some("C:\\x\\dir"));
        assert_eq!(val(&set, "f").as_deref(), Some("end\\"));
    }

    #[test]
    fn escapes_inside_quotes() {
        let set = parse("[client]\na = \"x\\\"#y\"\nb = 'it\\'s'\nc = \"\\s lead\"\n");
        assert_eq!(val(&set, "a").as_deref(), Some("x\"#y"));
        assert_eq!(val(&set, "b").as_deref(), Some("it's"));
        assert_eq!(val(&set, "c").as_deref(), Some("  lead"));
    }

    // ---- names and prefixes ----

    #[test]
    fn names_any_spelling() {
        let set = parse("[client]\nSSL-Mode = REQUIRED\nconnect_timeout=3\n");
        for name in ["ssl-mode", "ssl_mode", "SSL_MODE"] {
            assert_eq!(val(&set, name).as_deref(), Some("REQUIRED"));
        }
        assert_eq!(val(&set, "connect-timeout").as_deref(), Some("3"));
        assert_eq!(
            set.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            ["connect_timeout", "ssl_mode"]
        );
    }

    #[test]
    fn spellings_override_each_other() {
        let set = parse("[client]\nssl-mode = A\nssl_mode = B\n");
        assert_eq!(val(&set, "ssl-mode").as_deref(), Some("B"));
    }

    #[test]
    fn loose_prefix_is_stripped() {
        let set = parse("[client]\nloose-ssl-ca = /ca.pem\nloose_port = 1\nLOOSE-loose-host = h\n");
        assert_eq!(val(&set, "ssl_ca").as_deref(), Some("/ca.pem"));
        assert_eq!(val(&set, "port").as_deref(), Some("1"));
        assert_eq!(val(&set, "host").as_deref(), Some("h"));
        assert!(set.get("loose_port").is_none());
    }

    #[test]
    fn skip_disable_enable_prefixes() {
        let set = parse(
            "[client]\nskip-ssl\ndisable_compress\nenable-reconnect\nloose-skip-auto-rehash\n",
        );
        assert_eq!(val(&set, "ssl").as_deref(), Some("0"));
        assert_eq!(val(&set, "compress").as_deref(), Some("0"));
        assert_eq!(val(&set, "reconnect").as_deref(), Some("1"));
        assert_eq!(val(&set, "auto_rehash").as_deref(), Some("0"));
        assert!(set.get("skip_ssl").is_none());
    }

    #[test]
    fn prefix_with_value_follows_my_getopt() {
        let set = parse("[client]\nskip-a=0\nskip-b=1\nenable-c=0\nenable-d=1\ndisable-e=0\n");
        assert_eq!(val(&set, "a").as_deref(), Some("1"));
        assert_eq!(val(&set, "b").as_deref(), Some("0"));
        assert_eq!(val(&set, "c").as_deref(), Some("0"));
        assert_eq!(val(&set, "d").as_deref(), Some("1"));
        assert_eq!(val(&set, "e").as_deref(), Some("1"));
    }

    #[test]
    fn flag_and_plain_spelling_later_wins() {
        let set = parse("[client]\nssl\nskip-ssl\n[poolcheck]\nenable-ssl\n");
        assert_eq!(val(&set, "ssl").as_deref(), Some("1"));
        assert_eq!(set.get("ssl").unwrap().line, 5);
    }

    #[test]
    fn maximum_prefix_is_ignored() {
        let set = parse("[client]\nmaximum-max_allowed_packet = 1G\nmax_allowed_packet=16M\n");
        assert!(set.get("maximum_max_allowed_packet").is_none());
        assert_eq!(val(&set, "max_allowed_packet").as_deref(), Some("16M"));
    }

    #[test]
    fn bare_prefix_words_are_plain_names() {
        let set = parse("[client]\nskip\nloose-\n");
        assert!(set.get("skip").is_some());
        assert!(set.get("loose_").is_some());
    }

    #[test]
    fn option_without_name_is_error() {
        assert!(
            parse_err("[client]\n= x\n")
                .message
                .contains("without a name")
        );
    }

    #[test]
    fn malformed_name_does_not_leak() {
        let err = parse_err("[client]\npassword \"hunter2\n");
        assert_eq!(err.line, Some(2));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    // ---- groups ----

    #[test]
    fn option_before_group_is_error() {
        let err = parse_err("# c\nuser = app\n[client]\n");
        assert_eq!(err.line, Some(2));
        assert_eq!(err.file, Path::new("/test/my.cnf"));
        assert!(err.message.contains("found option without preceding group"));
        assert_eq!(
            err.to_string(),
            "option file /test/my.cnf:2: found option without preceding group"
        );
    }

    #[test]
    fn group_names_case_insensitive_and_trimmed() {
        let set = parse("[CLIENT]\na=1\n[ Client ]\nb=2\n[PoolCheck]\nc=3\n");
        assert_eq!(val(&set, "a").as_deref(), Some("1"));
        assert_eq!(val(&set, "b").as_deref(), Some("2"));
        assert_eq!(val(&set, "c").as_deref(), Some("3"));
    }

    #[test]
    fn wanted_group_list_case_insensitive() {
        let mut set = OptionSet::default();
        parse_str("[client]\na=1\n", Path::new("/t"), &[" Client "], &mut set).unwrap();
        assert_eq!(val(&set, "a").as_deref(), Some("1"));
    }

    #[test]
    fn text_after_header_ignored() {
        let set = parse("[client]   # the client group\na=1\n");
        assert_eq!(val(&set, "a").as_deref(), Some("1"));
    }

    #[test]
    fn other_groups_are_not_kept() {
        let set = parse("[mysqld]\nport=1\n[client]\nuser=u\n[mysqldump]\nuser=dump\n");
        assert!(set.get("port").is_none());
        assert_eq!(val(&set, "user").as_deref(), Some("u"));
    }

    #[test]
    fn syntax_errors_in_other_groups_are_ignored() {
        let set = parse("[mysqld]\nx = \"open\n= y\nfoo \"bar\n[client]\nuser=u\n");
        assert_eq!(val(&set, "user").as_deref(), Some("u"));
    }

    #[test]
    fn unclosed_header_is_error_anywhere() {
        let err = parse_err("[mysqld]\nx=1\n[client\n");
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("closing"));
    }

    #[test]
    fn later_wins_within_file_and_reopened_group() {
        let set =
            parse("[client]\nport=1\n[mysqld]\nport=2\n[client]\nport=3\n[poolcheck]\nhost=h\n");
        let port = set.get("port").unwrap();
        assert_eq!(port.value.as_deref(), Some("3"));
        assert_eq!(port.line, 6);
    }

    #[test]
    fn no_groups_wanted_keeps_nothing() {
        let mut set = OptionSet::default();
        parse_str("[client]\na=1\n", Path::new("/t"), &[], &mut set).unwrap();
        assert_eq!(set.iter().count(), 0);
    }

    // ---- directives ----

    #[test]
    fn include_inserts_in_place_and_keeps_parent_group() {
        let dir = TempDir::new().unwrap();
        let inc = write(
            dir.path(),
            "inc.txt",
            "[client]\nx=2\ny=2\nz=2\n[mysqld]\nw=1\n",
        );
        let main = format!("[client]\nx=1\n!include {}\ny=3\n", inc.display());
        let set = parse(&main);
        assert_eq!(val(&set, "x").as_deref(), Some("2"));
        assert_eq!(set.get("x").unwrap().file, inc);
        // The include ended in [mysqld], but the parent is still in [client].
        assert_eq!(val(&set, "y").as_deref(), Some("3"));
        assert_eq!(val(&set, "z").as_deref(), Some("2"));
        assert!(set.get("w").is_none());
        assert_eq!(set.files_read(), [inc]);
    }

    #[test]
    fn include_works_from_unwanted_group_and_before_any_group() {
        let dir = TempDir::new().unwrap();
        let inc = write(dir.path(), "a.cnf", "[client]\nx=1\n");
        let set = parse(&format!(
            "!include {0}\n[mysqld]\n!include {0}\n",
            inc.display()
        ));
        assert_eq!(val(&set, "x").as_deref(), Some("1"));
        assert_eq!(set.files_read().len(), 2);
    }

    #[test]
    fn included_file_needs_its_own_group() {
        let dir = TempDir::new().unwrap();
        let inc = write(dir.path(), "a.cnf", "x=1\n");
        let err = parse_err(&format!("[client]\n!include {}\n", inc.display()));
        assert_eq!(err.file, inc);
        assert_eq!(err.line, Some(1));
    }

    #[test]
    fn missing_include_is_error_at_directive() {
        let err = parse_err("[client]\na=1\n!include /nonexistent/optfile-test.cnf\n");
        assert_eq!(err.file, Path::new("/test/my.cnf"));
        assert_eq!(err.line, Some(3));
        assert!(
            err.message.contains("/nonexistent/optfile-test.cnf"),
            "{err}"
        );
        assert!(err.message.contains("not found"), "{err}");
    }

    #[test]
    fn includedir_reads_cnf_files_sorted() {
        let dir = TempDir::new().unwrap();
        let conf = dir.path().join("conf.d");
        fs::create_dir(&conf).unwrap();
        let b = write(&conf, "b.cnf", "[client]\nx=b\n");
        let a = write(&conf, "a.cnf", "[client]\nx=a\ny=a\n");
        write(&conf, "c.txt", "[client]\nx=c\n");
        write(&conf, "d.cnf.bak", "[client]\nx=d\n");
        fs::create_dir(conf.join("e.cnf")).unwrap();
        let set = parse(&format!(
            "[client]\ny=0\n!includedir {}/\nz=1\n",
            conf.display()
        ));
        assert_eq!(val(&set, "x").as_deref(), Some("b"));
        assert_eq!(val(&set, "y").as_deref(), Some("a"));
        assert_eq!(val(&set, "z").as_deref(), Some("1"));
        let read: Vec<_> = set
            .files_read()
            .iter()
            .map(|p| p.file_name().unwrap())
            .collect();
        assert_eq!(read, [a.file_name().unwrap(), b.file_name().unwrap()]);
    }

    #[test]
    fn missing_includedir_is_skipped() {
        let set = parse("[client]\n!includedir /nonexistent/optfile-conf.d\na=1\n");
        assert_eq!(val(&set, "a").as_deref(), Some("1"));
        assert!(set.warnings().is_empty());
    }

    #[test]
    fn include_cycle_is_error() {
        let dir = TempDir::new().unwrap();
        let a = dir.path().join("a.cnf");
        let b = dir.path().join("b.cnf");
        fs::write(&a, format!("[client]\nx=1\n!include {}\n", b.display())).unwrap();
        fs::write(&b, format!("[client]\n!include {}\n", a.display())).unwrap();
        let err = load(&Defaults::Only(a), &["client"]).unwrap_err();
        assert_eq!(err.file, b);
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("cycle"), "{err}");
    }

    #[test]
    fn self_include_via_includedir_is_cycle() {
        let dir = TempDir::new().unwrap();
        let a = write(
            dir.path(),
            "a.cnf",
            &format!("[client]\n!includedir {}\n", dir.path().display()),
        );
        let err = load(&Defaults::Only(a), &["client"]).unwrap_err();
        assert!(err.message.contains("cycle"), "{err}");
    }

    #[test]
    fn include_depth_is_capped() {
        let dir = TempDir::new().unwrap();
        let count = MAX_INCLUDE_DEPTH + 2;
        for i in 0..count {
            let next = dir.path().join(format!("f{}.cnf", i + 1));
            write(
                dir.path(),
                &format!("f{i}.cnf"),
                &format!("[client]\n!include {}\n", next.display()),
            );
        }
        write(dir.path(), &format!("f{count}.cnf"), "[client]\nx=1\n");
        let err = load(&Defaults::Only(dir.path().join("f0.cnf")), &["client"]).unwrap_err();
        assert!(err.message.contains("nested"), "{err}");
        assert_eq!(
            err.file,
            dir.path().join(format!("f{MAX_INCLUDE_DEPTH}.cnf"))
        );
    }

    #[test]
    fn include_depth_within_cap_is_fine() {
        let dir = TempDir::new().unwrap();
        for i in 0..MAX_INCLUDE_DEPTH {
            let next = dir.path().join(format!("f{}.cnf", i + 1));
            write(
                dir.path(),
                &format!("f{i}.cnf"),
                &format!("[client]\n!include {}\n", next.display()),
            );
        }
        write(
            dir.path(),
            &format!("f{MAX_INCLUDE_DEPTH}.cnf"),
            "[client]\nx=1\n",
        );
        let set = load(&Defaults::Only(dir.path().join("f0.cnf")), &["client"]).unwrap();
        assert_eq!(val(&set, "x").as_deref(), Some("1"));
    }

    #[test]
    fn unknown_directive_is_error() {
        let err = parse_err("[client]\n!foo bar\n");
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("unknown directive '!foo'"), "{err}");
        // Not mistaken for a prefix of a real directive.
        assert!(
            parse_err("[client]\n!includes /x\n")
                .message
                .contains("unknown")
        );
        let err = parse_err("[client]\n!password=hunter2\n");
        assert!(!err.message.contains("hunter2"), "{err}");
    }

    #[test]
    fn directive_without_path_is_error() {
        assert!(
            parse_err("[client]\n!include\n")
                .message
                .contains("without a path")
        );
        assert!(
            parse_err("[client]\n!includedir   \n")
                .message
                .contains("without a path")
        );
    }

    #[test]
    fn directive_with_space_after_bang() {
        let set = parse("[client]\n!  includedir /nonexistent/x\na=1\n");
        assert_eq!(val(&set, "a").as_deref(), Some("1"));
    }

    // ---- files and Defaults ----

    #[test]
    fn standard_files_order() {
        let home = Path::new("/home/u");
        let extra = Path::new("/etc/extra.cnf");
        assert_eq!(
            standard_files(Some(home), Some(extra)),
            [
                Path::new("/etc/my.cnf"),
                Path::new("/etc/mysql/my.cnf"),
                extra,
                Path::new("/home/u/.my.cnf"),
            ]
        );
        assert_eq!(
            standard_files(None, None),
            [Path::new("/etc/my.cnf"), Path::new("/etc/mysql/my.cnf")]
        );
    }

    #[test]
    fn later_file_wins() {
        let dir = TempDir::new().unwrap();
        let first = write(dir.path(), "first.cnf", "[client]\na=1\nb=1\n");
        let missing = dir.path().join("missing.cnf");
        let second = write(dir.path(), "second.cnf", "[client]\nb=2\nc=2\n");
        let sources = [
            (first.clone(), Origin::Standard),
            (missing, Origin::Standard),
            (second.clone(), Origin::Standard),
        ];
        let set = load_sources(&sources, &["client"]).unwrap();
        assert_eq!(val(&set, "a").as_deref(), Some("1"));
        assert_eq!(val(&set, "b").as_deref(), Some("2"));
        assert_eq!(set.get("b").unwrap().file, second);
        assert_eq!(set.files_read(), [first, second]);
    }

    #[test]
    fn standard_home_beats_extra_file() {
        // Uses a group no real /etc file has, so the host's config cannot interfere.
        let dir = TempDir::new().unwrap();
        let extra = write(
            dir.path(),
            "extra.cnf",
            "[optfile-test]\na=extra\nb=extra\n",
        );
        write(dir.path(), ".my.cnf", "[optfile-test]\nb=home\n");
        let defaults = Defaults::Standard {
            home: Some(dir.path().to_path_buf()),
            extra_file: Some(extra.clone()),
        };
        let set = load(&defaults, &["optfile-test"]).unwrap();
        assert_eq!(val(&set, "a").as_deref(), Some("extra"));
        assert_eq!(val(&set, "b").as_deref(), Some("home"));
        assert!(set.files_read().contains(&extra));
        assert!(set.files_read().contains(&dir.path().join(".my.cnf")));
    }

    #[test]
    fn missing_home_file_is_fine() {
        let dir = TempDir::new().unwrap();
        let defaults = Defaults::Standard {
            home: Some(dir.path().to_path_buf()),
            extra_file: None,
        };
        let set = load(&defaults, &["optfile-test"]).unwrap();
        assert!(!set.files_read().contains(&dir.path().join(".my.cnf")));
    }

    #[test]
    fn missing_extra_file_is_error() {
        let dir = TempDir::new().unwrap();
        let extra = dir.path().join("nope.cnf");
        let defaults = Defaults::Standard {
            home: None,
            extra_file: Some(extra.clone()),
        };
        let err = load(&defaults, &["client"]).unwrap_err();
        assert_eq!(err.file, extra);
        assert_eq!(err.line, None);
        assert!(err.message.contains("not found"), "{err}");
    }

    #[test]
    fn defaults_file_only() {
        let dir = TempDir::new().unwrap();
        write(dir.path(), ".my.cnf", "[client]\nuser=home\n");
        let only = write(dir.path(), "only.cnf", "[client]\nport=9\n");
        let set = load(&Defaults::Only(only.clone()), &["client"]).unwrap();
        assert_eq!(val(&set, "port").as_deref(), Some("9"));
        assert!(set.get("user").is_none());
        assert_eq!(set.files_read(), [only]);
    }

    #[test]
    fn missing_defaults_file_is_error() {
        let err = load(
            &Defaults::Only("/nonexistent/optfile.cnf".into()),
            &["client"],
        )
        .unwrap_err();
        assert_eq!(err.file, Path::new("/nonexistent/optfile.cnf"));
        assert_eq!(
            err.to_string(),
            "/nonexistent/optfile.cnf: cannot read option file: not found"
        );
    }

    #[test]
    fn defaults_file_that_is_a_directory_is_error() {
        let dir = TempDir::new().unwrap();
        assert!(load(&Defaults::Only(dir.path().to_path_buf()), &["client"]).is_err());
    }

    #[test]
    fn no_defaults_reads_nothing() {
        let set = load(&Defaults::None, GROUPS).unwrap();
        assert_eq!(set.iter().count(), 0);
        assert!(set.files_read().is_empty());
        assert!(set.warnings().is_empty());
    }

    #[test]
    fn non_utf8_file_is_error_with_line() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("bad.cnf");
        fs::write(&path, b"[client]\nuser=a\npassword=\xff\xfe\n").unwrap();
        let err = load(&Defaults::Only(path.clone()), &["client"]).unwrap_err();
        assert_eq!(err.file, path);
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("utf-8"));
    }

    #[test]
    fn world_writable_file_is_ignored_with_warning() {
        let dir = TempDir::new().unwrap();
        let path = write(dir.path(), "ww.cnf", "[client]\nuser=evil\n");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        let set = load(&Defaults::Only(path.clone()), &["client"]).unwrap();
        assert!(set.get("user").is_none());
        assert!(set.files_read().is_empty());
        assert_eq!(
            set.warnings(),
            [format!(
                "world-writable config file '{}' is ignored",
                path.display()
            )]
        );
    }

    #[test]
    fn world_writable_included_file_is_ignored() {
        let dir = TempDir::new().unwrap();
        let inc = write(dir.path(), "inc.cnf", "[client]\nhost=evil\n");
        fs::set_permissions(&inc, fs::Permissions::from_mode(0o646)).unwrap();
        let set = parse(&format!(
            "[client]\nhost=good\n!include {}\n",
            inc.display()
        ));
        assert_eq!(val(&set, "host").as_deref(), Some("good"));
        assert_eq!(set.warnings().len(), 1);
    }

    #[test]
    fn group_writable_file_is_read() {
        let dir = TempDir::new().unwrap();
        let path = write(dir.path(), "g.cnf", "[client]\nuser=a\n");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o664)).unwrap();
        let set = load(&Defaults::Only(path), &["client"]).unwrap();
        assert_eq!(val(&set, "user").as_deref(), Some("a"));
        assert!(set.warnings().is_empty());
    }

    #[test]
    fn unreadable_standard_file_is_skipped_with_warning() {
        let dir = TempDir::new().unwrap();
        let path = write(dir.path(), "locked.cnf", "[client]\nuser=a\n");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::read(&path).is_ok() {
            return; // running as root: permissions are not enforced
        }
        let set = load_sources(&[(path, Origin::Standard)], &["client"]).unwrap();
        assert!(set.get("user").is_none());
        assert!(set.warnings()[0].contains("permission denied"));
    }

    /// A directory, FIFO or device where a standard file belongs is refused
    /// like any other (reading a FIFO at ~/.my.cnf used to hang forever).
    #[test]
    fn a_standard_file_that_is_not_a_regular_file_is_refused() {
        let dir = TempDir::new().unwrap();
        let fifo = dir.path().join(".my.cnf");
        mkfifo(&fifo);
        for (path, what) in [
            (dir.path().to_path_buf(), "a directory"),
            (fifo, "a named pipe (FIFO)"),
            (PathBuf::from("/dev/zero"), "a character device"),
        ] {
            let err = load_sources(&[(path.clone(), Origin::Standard)], &["client"]).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "{}: cannot read option file: is {what}, not a regular file",
                    path.display()
                )
            );
        }
        let defaults = Defaults::Standard {
            home: Some(dir.path().to_path_buf()),
            extra_file: None,
        };
        assert!(load(&defaults, &["client"]).is_err());
    }

    fn mkfifo(path: &Path) {
        let ok = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// --defaults-file, --defaults-extra-file, `!include` and `!includedir`
    /// pointing at a FIFO, a device, or a huge sparse file: an error naming
    /// the file, at once, without reading it.
    #[test]
    fn hostile_files_in_every_place_are_refused() {
        let dir = TempDir::new().unwrap();
        let fifo = dir.path().join("fifo.cnf");
        mkfifo(&fifo);
        let sparse = dir.path().join("sparse.cnf");
        fs::File::create(&sparse)
            .unwrap()
            .set_len(16 << 30)
            .unwrap();
        for (bad, why) in [
            (fifo.as_path(), "is a named pipe (FIFO), not a regular file"),
            (
                Path::new("/dev/zero"),
                "is a character device, not a regular file",
            ),
            (sparse.as_path(), "is larger than 1 MiB"),
        ] {
            let err = load(&Defaults::Only(bad.to_path_buf()), &["client"]).unwrap_err();
            assert!(err.to_string().contains(why), "{}: {err}", bad.display());
            let defaults = Defaults::Standard {
                home: None,
                extra_file: Some(bad.to_path_buf()),
            };
            let err = load(&defaults, &["client"]).unwrap_err();
            assert!(err.to_string().contains(why), "{}: {err}", bad.display());
            let err = parse_err(&format!("[client]\n!include {}\n", bad.display()));
            assert_eq!(err.line, Some(2));
            assert!(err.message.contains(&bad.display().to_string()), "{err}");
            assert!(err.message.contains(why), "{err}");
        }
        // In an !includedir: a FIFO named *.cnf is refused; a subdirectory is skipped.
        let conf = dir.path().join("conf.d");
        fs::create_dir(&conf).unwrap();
        fs::create_dir(conf.join("sub.cnf")).unwrap();
        write(&conf, "a.cnf", "[client]\nx=1\n");
        mkfifo(&conf.join("b.cnf"));
        let err = parse_err(&format!("[client]\n!includedir {}\n", conf.display()));
        assert!(err.message.contains("b.cnf"), "{err}");
        assert!(err.message.contains("FIFO"), "{err}");
    }

    /// 10 levels of 8 `!include`s each (a billion files by depth alone) stop
    /// at the file cap, with an error at the directive that went over.
    #[test]
    fn include_fan_out_is_capped_by_files() {
        let dir = TempDir::new().unwrap();
        for level in 0..MAX_INCLUDE_DEPTH {
            let mut text = String::from("[client]\n");
            for _ in 0..8 {
                text.push_str(&format!(
                    "!include {}\n",
                    dir.path().join(format!("l{}.cnf", level + 1)).display()
                ));
            }
            write(dir.path(), &format!("l{level}.cnf"), &text);
        }
        write(
            dir.path(),
            &format!("l{MAX_INCLUDE_DEPTH}.cnf"),
            "[client]\nx=1\n",
        );
        let err = load(&Defaults::Only(dir.path().join("l0.cnf")), &["client"]).unwrap_err();
        assert!(
            err.message
                .contains(&format!("more than {MAX_FILES} option files")),
            "{err}"
        );
        assert!(err.line.is_some(), "{err}");
    }

    /// Many files under the per-file cap still stop at the total byte cap.
    #[test]
    fn include_fan_out_is_capped_by_total_bytes() {
        let dir = TempDir::new().unwrap();
        // 9 files of 600 KiB: each under 1 MiB, together over 4 MiB.
        let filler = format!("[other]\n{}\n", "#".repeat(600 << 10));
        let mut top = String::from("[client]\n");
        for i in 0..9 {
            let f = write(dir.path(), &format!("big{i}.cnf"), &filler);
            top.push_str(&format!("!include {}\n", f.display()));
        }
        let top = write(dir.path(), "top.cnf", &top);
        let err = load(&Defaults::Only(top), &["client"]).unwrap_err();
        assert!(err.message.contains("more than 4 MiB"), "{err}");
    }

    #[test]
    fn an_includedir_with_too_many_files_is_refused() {
        let dir = TempDir::new().unwrap();
        for i in 0..=MAX_FILES {
            write(dir.path(), &format!("{i:04}.cnf"), "[client]\n");
        }
        let err = parse_err(&format!("[client]\n!includedir {}\n", dir.path().display()));
        assert!(err.message.contains("more than 100 .cnf files"), "{err}");
    }

    // ---- redaction and errors ----

    #[test]
    fn debug_redacts_passwords() {
        let set = parse(
            "[client]\nuser = app\npassword = \"hunter2 #1\"\n[poolcheck]\nPassword1 = sekrit-one\n\
             loose-password2 = sekrit-two\npass = sekrit-abbrev\nssl-key-password=keypw\n",
        );
        let debug = format!("{set:?}");
        for secret in ["hunter2", "sekrit", "keypw"] {
            assert!(!debug.contains(secret), "{secret} leaked: {debug}");
        }
        assert!(debug.contains("(redacted)"));
        assert!(debug.contains("\"app\""));
        assert!(debug.contains("\"password\""));
        let pretty = format!("{set:#?}");
        assert!(!pretty.contains("hunter2"));
        // The values are still there for the program itself.
        assert_eq!(val(&set, "password").as_deref(), Some("hunter2 #1"));
    }

    #[test]
    fn debug_of_bare_password_says_none() {
        let set = parse("[client]\npassword\n");
        assert!(format!("{set:?}").contains("value: None"));
    }

    #[test]
    fn error_display_and_source() {
        let err = OptionFileError {
            file: "/etc/my.cnf".into(),
            line: Some(4),
            message: "unterminated quoted value for option 'password'".into(),
        };
        assert_eq!(
            err.to_string(),
            "option file /etc/my.cnf:4: unterminated quoted value for option 'password'"
        );
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        assert!(boxed.source().is_none());
    }

    #[test]
    fn parse_str_keeps_existing_options() {
        let mut set = OptionSet::default();
        parse_str(
            "[client]\na=1\nb=1\n",
            Path::new("/one"),
            &["client"],
            &mut set,
        )
        .unwrap();
        parse_str("[client]\nb=2\n", Path::new("/two"), &["client"], &mut set).unwrap();
        assert_eq!(val(&set, "a").as_deref(), Some("1"));
        assert_eq!(set.get("b").unwrap().file, Path::new("/two"));
        assert!(set.files_read().is_empty());
    }
}
