//! Packets → KDD connection records: the capture reader and decoder produce
//! [`packet::Packet`]s, the tracker turns them into [`record::ConnRecord`]s with the
//! KDD basic and traffic features.

pub mod conntrack;
pub mod decode;
pub mod kddfeat;
pub mod packet;
pub mod pcap;
pub mod record;
pub mod service;
pub mod synth;
pub mod writer;
