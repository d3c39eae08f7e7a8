//! Shared pieces of the fuzz targets.
//!
//! The targets are built with `--sanitizer none` (see `fuzz/README.md`), and libFuzzer's
//! `-malloc_limit_mb` needs a sanitizer's malloc hooks to see single allocations. So the
//! targets use this allocator: any single allocation (or reallocation) larger than
//! [`MALLOC_LIMIT`] (512 MiB) aborts, which libFuzzer reports as
//! a crash and saves the input. `-rss_limit_mb` keeps bounding the total.

use std::alloc::{GlobalAlloc, Layout, System};

pub struct LimitedAlloc;

/// Largest single allocation allowed (512 MiB): far above anything a well-behaved
/// parser needs for inputs of at most a few MiB.
pub const MALLOC_LIMIT: usize = 512 << 20;

fn limit() -> usize {
    MALLOC_LIMIT
}

#[cold]
fn too_large(size: usize) -> ! {
    // No allocation here: write the message with a fixed buffer.
    let mut buf = [0u8; 96];
    let prefix = b"==netanomaly-fuzz== single allocation of ";
    buf[..prefix.len()].copy_from_slice(prefix);
    let mut n = prefix.len();
    let mut digits = [0u8; 20];
    let mut d = 0;
    let mut v = size;
    loop {
        digits[d] = b'0' + (v % 10) as u8;
        d += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    while d > 0 {
        d -= 1;
        buf[n] = digits[d];
        n += 1;
    }
    let suffix = b" bytes exceeds the limit\n";
    buf[n..n + suffix.len()].copy_from_slice(suffix);
    n += suffix.len();
    unsafe {
        libc_write(2, buf.as_ptr(), n);
    }
    std::process::abort()
}

unsafe extern "C" {
    #[link_name = "write"]
    fn libc_write(fd: i32, buf: *const u8, count: usize) -> isize;
}

unsafe impl GlobalAlloc for LimitedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > limit() {
            too_large(layout.size());
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > limit() {
            too_large(layout.size());
        }
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > limit() {
            too_large(new_size);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: LimitedAlloc = LimitedAlloc;

/// Reads fuzzer-chosen values off the front of an input.
pub struct Bytes<'a> {
    pub data: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data }
    }
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }
}
