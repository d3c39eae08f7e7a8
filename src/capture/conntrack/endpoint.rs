//! The TCP endpoint state machine's states (Bro/Zeek's `TCP_ENDPOINT_*`), Zeek's
//! `conn_state` of a pair of them, and the KDD flag it maps to.

use crate::kdd::Flag;

/// Endpoint state (Bro/Zeek's `TCP_ENDPOINT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EndpointState {
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

/// Zeek's `conn_state` values (13), before mapping to KDD's 11.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ZeekState {
    Kdd(Flag),
    Rstrh,
    Shr,
}

/// Bro `conn.bro` `conn_state()` for TCP.
pub(super) fn zeek_state(
    os: EndpointState,
    rs: EndpointState,
    orig_bytes: u64,
    resp_bytes: u64,
) -> ZeekState {
    use EndpointState::*;
    use ZeekState::*;
    let o_inactive = matches!(os, Inactive | Partial);
    let r_inactive = matches!(rs, Inactive | Partial);
    if rs == Reset {
        if matches!(os, SynSent | SynAckSent) || (os == Reset && orig_bytes == 0 && resp_bytes == 0)
        {
            Kdd(Flag::REJ)
        } else if o_inactive {
            Rstrh
        } else {
            Kdd(Flag::RSTR)
        }
    } else if os == Reset {
        Kdd(if r_inactive { Flag::RSTOS0 } else { Flag::RSTO })
    } else if rs == Closed && os == Closed {
        Kdd(Flag::SF)
    } else if os == Closed {
        Kdd(if r_inactive { Flag::SH } else { Flag::S2 })
    } else if rs == Closed {
        if o_inactive { Shr } else { Kdd(Flag::S3) }
    } else if os == SynSent && rs == Inactive {
        Kdd(Flag::S0)
    } else if os == Established && rs == Established {
        Kdd(Flag::S1)
    } else {
        Kdd(Flag::OTH)
    }
}

pub(super) fn kdd_flag(z: ZeekState) -> Flag {
    match z {
        ZeekState::Kdd(f) => f,
        // The same mapping as for Zeek's own logs.
        ZeekState::Rstrh => Flag::FOR_RSTRH,
        ZeekState::Shr => Flag::FOR_SHR,
    }
}
