//! The monitor's reader thread: bytes (KDD lines) or decoded packets, in pieces.
//!
//! Packets are decoded on this thread and sent in batches. A batch goes out when it is
//! full, and also just before every read of the input: a read may block (a quiet live
//! capture), and the packets already decoded must not wait behind it.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::SyncSender;

use super::config::Input;
use super::error::MonitorError;
use super::follow::Follow;
use crate::capture::packet::Packet;
use crate::capture::pcap::{CaptureError, CaptureFormat, CaptureStats, PacketReader};
use crate::data::reader::decompressed;

/// Bytes read at a time.
const READ_BYTES: usize = 256 * 1024;
/// Packets per batch at most.
const PACKET_BATCH: usize = 8192;

pub(super) enum Piece {
    Bytes(Vec<u8>),
    Packets(Vec<Packet>),
    /// A capture (one file of a rotated series) ended.
    CaptureEnd(CaptureEnd),
    /// A followed log was rotated: what follows is the new file.
    Switched,
    Failed(Failure),
}

pub(super) struct CaptureEnd {
    pub format: CaptureFormat,
    pub stats: CaptureStats,
}

pub(super) enum Failure {
    Io(io::Error),
    Capture(CaptureError),
}

pub(super) enum Opened {
    Stdin,
    File(File),
    Follow(Follow),
}

pub(super) fn open(input: &Input, stop: &Arc<AtomicBool>) -> Result<Opened, MonitorError> {
    let error = |source| MonitorError::Open {
        path: input.name(),
        source,
    };
    Ok(match input {
        Input::Stdin => Opened::Stdin,
        Input::File { path, follow: true } => {
            Opened::Follow(Follow::open(path, stop.clone()).map_err(error)?)
        }
        Input::File {
            path,
            follow: false,
        } => Opened::File(File::open(path).map_err(error)?),
    })
}

/// Pieces of the input as they come (a gzip stream decompressed).
pub(super) fn read_bytes(opened: Opened, tx: &SyncSender<Piece>) {
    let _ = match opened {
        Opened::Stdin => read_stream(io::stdin(), tx),
        Opened::File(file) => read_stream(file, tx),
        Opened::Follow(follow) => read_stream(follow, tx),
    };
}

/// Zeek logs: as [`read_bytes`], with a [`Piece::Switched`] at each rotation of a
/// followed log, whose new file has its own header and line numbers.
pub(super) fn read_logs(opened: Opened, tx: &SyncSender<Piece>) {
    match opened {
        Opened::Follow(follow) => {
            let mut follow = follow.end_at_switch();
            while read_stream(&mut follow, tx).is_ok()
                && follow.take_switched()
                && tx.send(Piece::Switched).is_ok()
            {}
        }
        other => read_bytes(other, tx),
    }
}

/// Reads one stream to its end; `Err` when the receiver is gone or reading failed.
fn read_stream(input: impl Read, tx: &SyncSender<Piece>) -> Result<(), ()> {
    let fail = |error| {
        let _ = tx.send(Piece::Failed(Failure::Io(error)));
        Err(())
    };
    let mut input = match decompressed(input, READ_BYTES) {
        Ok((input, _)) => input,
        Err(error) => return fail(error),
    };
    loop {
        let mut buf = vec![0u8; READ_BYTES];
        match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                buf.truncate(n);
                tx.send(Piece::Bytes(buf)).map_err(|_| ())?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return fail(error),
        }
    }
}

/// Decoded packets, in batches; with `--follow`, a new capture after each rotation.
pub(super) fn read_packets(opened: Opened, tx: &SyncSender<Piece>) {
    let pending = Rc::new(RefCell::new(Vec::with_capacity(PACKET_BATCH)));
    match opened {
        Opened::Stdin => {
            let _ = read_capture(io::stdin().lock(), &pending, tx);
        }
        Opened::File(file) => {
            let _ = read_capture(file, &pending, tx);
        }
        Opened::Follow(follow) => {
            let mut follow = follow.end_at_switch();
            // Each rotated file starts with its own capture header.
            while read_capture(&mut follow, &pending, tx).is_ok() && follow.take_switched() {}
        }
    }
}

/// Reads one capture to its end; `Err` when the receiver is gone or reading failed.
fn read_capture(
    input: impl Read,
    pending: &Rc<RefCell<Vec<Packet>>>,
    tx: &SyncSender<Piece>,
) -> Result<(), ()> {
    let input = FlushBeforeRead {
        inner: input,
        pending: pending.clone(),
        tx: tx.clone(),
    };
    let fail = |error| {
        let _ = tx.send(Piece::Failed(Failure::Capture(error)));
        Err(())
    };
    let mut reader = match PacketReader::new(input) {
        Ok(reader) => reader,
        Err(error) => return fail(error),
    };
    loop {
        match reader.next_packet() {
            Ok(Some(packet)) => {
                let full = {
                    let mut pending = pending.borrow_mut();
                    pending.push(packet);
                    pending.len() >= PACKET_BATCH
                };
                if full {
                    flush(pending, tx)?;
                }
            }
            Ok(None) => break,
            Err(error) => {
                flush(pending, tx)?;
                return fail(error);
            }
        }
    }
    flush(pending, tx)?;
    let end = CaptureEnd {
        format: reader.format(),
        stats: reader.stats().clone(),
    };
    tx.send(Piece::CaptureEnd(end)).map_err(|_| ())
}

fn flush(pending: &Rc<RefCell<Vec<Packet>>>, tx: &SyncSender<Piece>) -> Result<(), ()> {
    let packets = std::mem::replace(&mut *pending.borrow_mut(), Vec::with_capacity(PACKET_BATCH));
    if packets.is_empty() {
        return Ok(());
    }
    tx.send(Piece::Packets(packets)).map_err(|_| ())
}

/// Sends the decoded packets on before each read of the input, which may block.
struct FlushBeforeRead<R> {
    inner: R,
    pending: Rc<RefCell<Vec<Packet>>>,
    tx: SyncSender<Piece>,
}

impl<R: Read> Read for FlushBeforeRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if flush(&self.pending, &self.tx).is_err() {
            // Nobody is listening any more: end the capture.
            return Ok(0);
        }
        self.inner.read(buf)
    }
}
