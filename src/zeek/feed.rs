//! A conn.log as a byte stream, in pieces of any size: whole lines go to the parser in
//! runs (parsed in parallel), the cut last line waits for the rest, and a line longer
//! than the limit is reported once and dropped as it streams past, so memory stays
//! bounded whatever the input. Files read whole and the monitor share it.

use super::{ZeekConn, ZeekError, ZeekParser};

/// Feeds a conn.log's bytes to its parser.
pub struct ZeekFeed {
    name: String,
    parser: ZeekParser,
    /// The incomplete last line.
    carry: Vec<u8>,
    /// Dropping the rest of an over-long line, up to its newline.
    skipping_long_line: bool,
    max_line_bytes: usize,
}

/// What a piece of input gave: rows and bad lines, in order.
pub type Parsed = Vec<Result<ZeekConn, ZeekError>>;

impl ZeekFeed {
    pub fn new(name: impl Into<String>, max_line_bytes: usize) -> Self {
        let name = name.into();
        ZeekFeed {
            parser: ZeekParser::new(name.clone()),
            name,
            carry: Vec::new(),
            skipping_long_line: false,
            max_line_bytes,
        }
    }

    /// The line number of the last line parsed.
    pub fn line_number(&self) -> u64 {
        self.parser.line_number()
    }

    /// The rows of the lines `bytes` completes.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Parsed) {
        if self.skipping_long_line {
            match memchr::memchr(b'\n', bytes) {
                Some(i) => {
                    bytes = &bytes[i + 1..];
                    self.skipping_long_line = false;
                }
                None => return,
            }
        }
        let Some(last_newline) = memchr::memrchr(b'\n', bytes) else {
            self.carry.extend_from_slice(bytes);
            self.check_carry(out);
            return;
        };
        let (whole, rest) = bytes.split_at(last_newline + 1);
        if self.carry.is_empty() {
            self.lines(whole, out);
        } else {
            // The carried line's end is in this piece.
            let end = memchr::memchr(b'\n', whole).unwrap_or(0);
            self.carry.extend_from_slice(&whole[..=end]);
            let first = std::mem::take(&mut self.carry);
            if first.len() > self.max_line_bytes + 1 {
                self.too_long(first.len() - 1, out);
            } else {
                self.parser.lines(&first, out);
            }
            self.lines(&whole[end + 1..], out);
        }
        self.carry.extend_from_slice(rest);
        self.check_carry(out);
    }

    /// The end of the input: the unterminated last line, if any.
    pub fn finish(&mut self, out: &mut Parsed) {
        self.skipping_long_line = false;
        let last = std::mem::take(&mut self.carry);
        if !last.is_empty() {
            self.parser.lines(&last, out);
        }
    }

    /// Forgets the unterminated last line (reading failed in the middle of it).
    pub fn drop_cut_line(&mut self) {
        self.carry.clear();
        self.skipping_long_line = false;
    }

    /// The file ended and another begins (a followed log was rotated): its own header
    /// and line numbers.
    pub fn restart(&mut self, out: &mut Parsed) {
        self.finish(out);
        self.parser = ZeekParser::new(self.name.clone());
    }

    /// Whole lines, the over-long ones reported instead of parsed.
    fn lines(&mut self, text: &[u8], out: &mut Parsed) {
        let limit = self.max_line_bytes;
        if text.len() <= limit {
            return self.parser.lines(text, out);
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', text) {
            if end - start > limit {
                self.parser.lines(&text[..start], out);
                self.too_long(end - start, out);
                return self.lines(&text[end + 1..], out);
            }
            start = end + 1;
        }
        self.parser.lines(text, out);
    }

    /// A cut last line already past the limit: reported now, the rest dropped.
    fn check_carry(&mut self, out: &mut Parsed) {
        if self.carry.len() > self.max_line_bytes {
            let length = self.carry.len();
            self.carry.clear();
            self.skipping_long_line = true;
            self.too_long(length, out);
        }
    }

    fn too_long(&mut self, length: usize, out: &mut Parsed) {
        self.parser.skip_line();
        out.push(Err(ZeekError {
            path: self.name.clone(),
            line: self.parser.line_number(),
            place: String::new(),
            message: format!(
                "a line of {}{length} bytes; the longest accepted is {}",
                if self.skipping_long_line {
                    "more than "
                } else {
                    ""
                },
                self.max_line_bytes
            ),
            other_transport: false,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n";

    fn row(i: usize) -> String {
        format!(
            "{i}.5\tC{i}\t10.0.0.1\t{}\t10.0.0.2\t80\ttcp\tSF\n",
            1000 + i % 60000
        )
    }

    /// Every split of the input gives the rows and errors of feeding it line by line.
    #[test]
    fn pieces_of_any_size_give_the_line_parsers_rows() {
        let mut text = HEADER.to_owned();
        for i in 0..5000 {
            text.push_str(&row(i));
            if i == 1234 {
                text.push_str("1\tC\tbad\n");
                text.push_str(&format!("{}\n", "x".repeat(300)));
            }
            if i == 3000 {
                // A second header mid-stream, with its columns in another order.
                text.push_str("#fields\tuid\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n");
                text.push_str("C9\t9.5\t10.0.0.1\t1\t10.0.0.2\t80\ttcp\tS0\n");
                text.push_str(HEADER.lines().nth(1).unwrap());
                text.push('\n');
            }
        }
        text.push_str("7.5\tC7\t10.0.0.1\t7\t10.0.0.2\t80\ttcp\tREJ"); // no newline
        let mut reference = ZeekParser::new("t.log");
        let want: Vec<String> = text
            .split('\n')
            .filter_map(|l| {
                if l.len() > 200 {
                    reference.line(b"").unwrap();
                    return Some(format!("t.log:{}: too long", reference.line_number()));
                }
                match reference.line(l.as_bytes()) {
                    Ok(Some(r)) => Some(format!("{} {} {}", r.uid, r.ts, r.line)),
                    Ok(None) => None,
                    Err(e) => Some(e.to_string()),
                }
            })
            .collect();
        for piece in [1, 7, 100, 4096, text.len()] {
            let mut feed = ZeekFeed::new("t.log", 200);
            let mut out = Vec::new();
            for chunk in text.as_bytes().chunks(piece) {
                feed.feed(chunk, &mut out);
            }
            feed.finish(&mut out);
            let got: Vec<String> = out
                .iter()
                .map(|r| match r {
                    Ok(r) => format!("{} {} {}", r.uid, r.ts, r.line),
                    Err(e) if e.message.contains("the longest accepted is 200") => {
                        format!("{}:{}: too long", e.path, e.line)
                    }
                    Err(e) => e.to_string(),
                })
                .collect();
            assert_eq!(got.len(), want.len(), "pieces of {piece}");
            assert_eq!(got, want, "pieces of {piece}");
        }
    }
}
