//! Cuts a byte stream into chunks of whole lines, so they can be parsed in parallel.
//!
//! The reader thread only decompresses and looks for the last newline of each read; it
//! never scans every line. Memory stays bounded whatever the input: a line longer than
//! the limit is cut to `limit + 1` bytes (enough for the parser to report it as too
//! long) and the rest of it is discarded as it streams past.

use std::io::{self, Read};

/// Reads are at least this large once a chunk is full but has no whole line yet.
const MIN_READ: usize = 64 * 1024;
/// Reads are at most this large, whatever the chunk size.
const MAX_READ: usize = 1 << 20;

/// Successive chunks of whole lines from `input`.
pub(crate) struct LineChunks<R> {
    input: R,
    /// Target size of a chunk's text; a chunk ends at the first newline after it.
    chunk_bytes: usize,
    /// Longest line kept whole.
    limit: usize,
    /// The incomplete line at the end of the last chunk, carried into the next one.
    carry: Vec<u8>,
    /// Discarding the tail of an over-long line, up to its newline.
    skipping: bool,
    /// A read error, reported after the whole lines read before it.
    failed: Option<io::Error>,
    done: bool,
}

impl<R: Read> LineChunks<R> {
    pub(crate) fn new(input: R, chunk_bytes: usize, limit: usize) -> Self {
        LineChunks {
            input,
            chunk_bytes: chunk_bytes.max(1),
            limit,
            carry: Vec::new(),
            skipping: false,
            failed: None,
            done: false,
        }
    }

    /// The next chunk, filled into `buf` (whose allocation is reused): whole lines, each
    /// ending in `\n` except possibly the last line of the input. `Ok(None)` at the end.
    /// After a read error the lines completed before it come first, then the error; an
    /// incomplete line at the error is dropped, as it was never read whole.
    pub(crate) fn next_chunk(&mut self, mut buf: Vec<u8>) -> io::Result<Option<Chunk>> {
        if let Some(error) = self.failed.take() {
            self.done = true;
            return Err(error);
        }
        if self.done {
            return Ok(None);
        }
        // `buf` keeps its length from chunk to chunk, so only its growth is zeroed:
        // the text is `buf[..filled]`.
        let mut filled = self.carry.len();
        if buf.len() < filled {
            buf.resize(filled, 0);
        }
        buf[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        // Bytes before `line_start` are whole lines; from it on, the incomplete last line.
        let mut line_start = 0;
        loop {
            let old = filled;
            let want = self
                .chunk_bytes
                .saturating_sub(old)
                .clamp(self.chunk_bytes.min(MIN_READ), MAX_READ);
            if buf.len() < old + want {
                buf.resize(old + want, 0);
            }
            let n = match self.input.read(&mut buf[old..old + want]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if line_start == 0 {
                        self.done = true;
                        return Err(e);
                    }
                    self.failed = Some(e);
                    return Ok(Some(Chunk::new(buf, line_start)));
                }
            };
            filled += n;
            if n == 0 {
                self.done = true;
                return Ok((filled > 0).then(|| Chunk::new(buf, filled)));
            }
            if self.skipping {
                match memchr::memchr(b'\n', &buf[old..filled]) {
                    Some(i) => {
                        buf.copy_within(old + i..filled, old);
                        filled -= i;
                        self.skipping = false;
                    }
                    None => {
                        filled = old;
                        continue;
                    }
                }
            }
            if let Some(i) = memchr::memrchr(b'\n', &buf[old..filled]) {
                line_start = old + i + 1;
            }
            if filled - line_start > self.limit + 1 {
                filled = line_start + self.limit + 1;
                self.skipping = true;
            }
            if line_start > 0 && filled >= self.chunk_bytes {
                self.carry.extend_from_slice(&buf[line_start..filled]);
                return Ok(Some(Chunk::new(buf, line_start)));
            }
        }
    }
}

/// A run of whole lines: the start of a reusable buffer.
pub(crate) struct Chunk {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Chunk {
    fn new(buf: Vec<u8>, end: usize) -> Self {
        Chunk { buf, start: 0, end }
    }

    /// A chunk of exactly this text (whole lines).
    pub(crate) fn from_text(text: Vec<u8>) -> Self {
        let end = text.len();
        Chunk::new(text, end)
    }

    pub(crate) fn text(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Drops the first `n` bytes of the text.
    pub(crate) fn skip(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// The buffer, to be filled again.
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most `step` bytes per read, then fails if `fail` is set.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
        fail: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.data.is_empty() && self.fail {
                return Err(io::Error::other("boom"));
            }
            let n = buf.len().min(self.step).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn chunks(data: &[u8], step: usize, chunk: usize, limit: usize) -> (Vec<Vec<u8>>, bool) {
        let mut reader = LineChunks::new(
            Trickle {
                data,
                step,
                fail: false,
            },
            chunk,
            limit,
        );
        let mut out = Vec::new();
        while let Some(c) = reader.next_chunk(Vec::new()).unwrap() {
            out.push(c.text().to_vec());
        }
        (out, reader.done)
    }

    /// Every line comes through whole, except that a line over the limit may be cut
    /// (never below `limit + 1` bytes, so it is still seen to be too long).
    fn assert_same_lines(data: &[u8], out: &[u8], limit: usize) {
        let original: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        let read: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
        assert_eq!(original.len(), read.len());
        for (o, r) in original.iter().zip(&read) {
            if o.len() <= limit {
                assert_eq!(o, r);
            } else {
                assert!(o.starts_with(r) && r.len() > limit, "{o:?} {r:?}");
            }
        }
    }

    #[test]
    fn chunks_are_whole_lines_and_long_lines_are_cut() {
        let data = b"short\nthis line is too long\nok\r\n\nlast";
        for step in [1, 2, 3, 5, 64] {
            for chunk in [1, 2, 7, 16, 1000] {
                let (out, done) = chunks(data, step, chunk, 8);
                assert!(done);
                for c in &out[..out.len() - 1] {
                    assert_eq!(c.last(), Some(&b'\n'), "{step} {chunk}");
                }
                assert_same_lines(data, &out.concat(), 8);
                if step < 8 {
                    // The long line never arrives whole, so it must have been cut.
                    assert_eq!(out.concat(), b"short\nthis line\nok\r\n\nlast");
                }
            }
        }
    }

    #[test]
    fn a_long_last_line_is_cut_too() {
        let (out, _) = chunks(b"a\nbbbbbbbbbbbbbbbbbbbb", 3, 4, 5);
        assert_eq!(out.concat(), b"a\nbbbbbb");
    }

    #[test]
    fn read_error_comes_after_the_whole_lines_before_it() {
        let data = b"one\ntwo\nthr";
        let mut reader = LineChunks::new(
            Trickle {
                data,
                step: 100,
                fail: true,
            },
            1000,
            100,
        );
        assert_eq!(
            reader.next_chunk(Vec::new()).unwrap().unwrap().text(),
            b"one\ntwo\n"
        );
        assert!(reader.next_chunk(Vec::new()).is_err());
        assert!(reader.next_chunk(Vec::new()).unwrap().is_none());
        let mut reader = LineChunks::new(
            Trickle {
                data: b"partial",
                step: 100,
                fail: true,
            },
            1000,
            100,
        );
        assert!(reader.next_chunk(Vec::new()).is_err());
    }
}
