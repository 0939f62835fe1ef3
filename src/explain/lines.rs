//! Reading a stream line by line with a bounded line length: what
//! `str::lines` does for a whole text (a line ends at `\n`, a `\r` before it is
//! dropped, a last line without `\n` counts), but without holding the text,
//! and a line longer than the bound costs no more memory than the bound.

use std::io::{self, BufRead};

/// Calls `f` with each line of `reader`, cut to at most `max` bytes plus the
/// rest of a UTF-8 character (the caller cuts at a character boundary), with
/// invalid UTF-8 replaced. Lines that fit in the reader's buffer are not
/// copied.
pub(super) fn for_each(
    mut reader: impl BufRead,
    max: usize,
    mut f: impl FnMut(&str),
) -> io::Result<()> {
    // Room for the character a cut at `max` splits.
    let keep = max + 4;
    let mut long: Vec<u8> = Vec::new();
    // Whether the line being read has started (it may be in `long`).
    let mut started = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            if started {
                emit(&long, &mut f);
            }
            return Ok(());
        }
        let (end, used) = match memchr::memchr(b'\n', buf) {
            Some(i) => (Some(i), i + 1),
            None => (None, buf.len()),
        };
        let chunk = &buf[..end.unwrap_or(buf.len())];
        match end {
            // The whole line is in the buffer: no copy.
            Some(_) if !started => emit(&chunk[..chunk.len().min(keep)], &mut f),
            Some(_) => {
                append(&mut long, chunk, keep);
                emit(&long, &mut f);
                long.clear();
                started = false;
            }
            None => {
                append(&mut long, chunk, keep);
                started = true;
            }
        }
        reader.consume(used);
    }
}

fn append(line: &mut Vec<u8>, chunk: &[u8], keep: usize) {
    let room = keep.saturating_sub(line.len());
    line.extend_from_slice(&chunk[..chunk.len().min(room)]);
}

fn emit(line: &[u8], f: &mut impl FnMut(&str)) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match std::str::from_utf8(line) {
        Ok(text) => f(text),
        Err(_) => f(&String::from_utf8_lossy(line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize, capacity: usize) -> Vec<String> {
        let mut out = Vec::new();
        let reader = io::BufReader::with_capacity(capacity, input);
        for_each(reader, max, |l| out.push(l.to_string())).unwrap();
        out
    }

    #[test]
    fn same_lines_as_str_lines() {
        for text in ["", "a", "a\n", "a\n\n", "a\r\nb", "\n\nx\r\n", "é\nü"] {
            let want: Vec<String> = text.lines().map(String::from).collect();
            for capacity in [1, 2, 3, 8, 8192] {
                assert_eq!(
                    lines(text.as_bytes(), 100, capacity),
                    want,
                    "{text:?} {capacity}"
                );
            }
        }
    }

    #[test]
    fn long_lines_are_cut_and_invalid_utf8_replaced() {
        let long = format!("{}\nnext", "x".repeat(50));
        for capacity in [4, 8192] {
            let got = lines(long.as_bytes(), 10, capacity);
            assert_eq!(got, ["x".repeat(14), "next".to_string()], "{capacity}");
        }
        assert_eq!(lines(b"a\xffb\n", 10, 8192), ["a\u{fffd}b"]);
    }
}
