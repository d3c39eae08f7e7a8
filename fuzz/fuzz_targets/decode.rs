//! The packet decoder on its own: any link type, any frames, one decoder (so IP
//! fragments of one input meet in its fragment table).
//!
//! Input: [link-type selector][frag-table capacity byte] then frames, each
//! [time step byte][length u16 LE][bytes]. Selector < 0xf0 picks one of the supported link
//! types; otherwise the next 4 bytes are the link type, any value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netanomaly::capture::decode::{Decoder, linktype};
use netanomaly::capture::packet::NANOS_PER_SEC;
use netanomaly_fuzz::Bytes;

const SUPPORTED: [u32; 10] = [
    linktype::NULL,
    linktype::ETHERNET,
    linktype::RAW_12,
    linktype::RAW_14,
    linktype::RAW,
    linktype::LOOP,
    linktype::LINUX_SLL,
    linktype::IPV4,
    linktype::IPV6,
    linktype::LINUX_SLL2,
];

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes::new(data);
    let selector = input.u8();
    let link_type = if selector < 0xf0 {
        SUPPORTED[usize::from(selector) % SUPPORTED.len()]
    } else {
        input.u32()
    };
    let mut decoder = match input.u8() {
        0 => Decoder::new(),
        n => Decoder::with_frag_capacity(usize::from(n % 8)),
    };
    let mut ts = 1_700_000_000 * NANOS_PER_SEC;
    while !input.data.is_empty() {
        // Steps up to ~64 s: fragments expire after 30.
        ts += u64::from(input.u8()) * NANOS_PER_SEC / 4;
        let len = usize::from(input.u16());
        let frame = input.take(len);
        let _ = decoder.decode(link_type, ts, frame);
    }
    assert!(decoder.frag_table_len() <= 4096);
    let _ = decoder.frag_stats();
});
