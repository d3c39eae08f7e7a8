//! The input buffer refilled from any `Read` (no Seek, bounded memory), and reading
//! integers of either byte order from it.

use std::io::{self, Read};

use super::BUF_SIZE;
use super::error::CaptureError;

/// Fixed input buffer over a `Read`; tracks the absolute offset of its first unread byte.
pub(super) struct Input<R> {
    pub(super) inner: R,
    pub(super) buf: Box<[u8]>,
    pub(super) start: usize,
    pub(super) end: usize,
    /// Absolute input offset of `buf[start]`.
    pub(super) pos: u64,
    pub(super) eof: bool,
}

impl<R: Read> Input<R> {
    pub(super) fn avail(&self) -> usize {
        self.end - self.start
    }

    pub(super) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Reads until `n` bytes are buffered; false if the input ended first. `n ≤ BUF_SIZE`.
    pub(super) fn fill_to(&mut self, n: usize) -> Result<bool, CaptureError> {
        debug_assert!(n <= BUF_SIZE);
        if n > self.buf.len() {
            // Grow (rarely: only for records larger than any seen so far), up to BUF_SIZE.
            let mut bigger = vec![0u8; n.max(self.buf.len() * 2).min(BUF_SIZE)];
            bigger[..self.avail()].copy_from_slice(self.data());
            self.end -= self.start;
            self.start = 0;
            self.buf = bigger.into_boxed_slice();
        }
        while self.avail() < n {
            if self.eof {
                return Ok(false);
            }
            if self.buf.len() - self.start < n {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(CaptureError::Io {
                        offset: self.pos + self.avail() as u64,
                        source: e,
                    });
                }
            }
        }
        Ok(true)
    }

    pub(super) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.avail());
        self.start += n;
        self.pos += n as u64;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Discards `n` bytes, reading through the input without buffering them all.
    /// Returns false (with everything available consumed) if the input ended first.
    pub(super) fn skip(&mut self, mut n: u64) -> Result<bool, CaptureError> {
        loop {
            let k = (self.avail() as u64).min(n) as usize;
            self.consume(k);
            n -= k as u64;
            if n == 0 {
                return Ok(true);
            }
            if !self.fill_to(1)? {
                return Ok(false);
            }
        }
    }
}

pub(super) fn rd16(b: &[u8], at: usize, be: bool) -> u16 {
    let v = [b[at], b[at + 1]];
    if be {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    }
}

pub(super) fn rd32(b: &[u8], at: usize, be: bool) -> u32 {
    let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if be {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

pub(super) fn rd64(b: &[u8], at: usize, be: bool) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    if be {
        u64::from_be_bytes(v)
    } else {
        u64::from_le_bytes(v)
    }
}
