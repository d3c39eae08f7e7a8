//! KDD's `flag` column: Bro/Zeek's `conn_state`, restricted to the 11 values KDD uses,
//! and which of them count as errors in the traffic features.

/// KDD `flag`: Bro/Zeek's `conn_state`, restricted to the 11 values KDD uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)] // spelled as in the data
pub enum Flag {
    /// Connection attempt seen, no reply.
    S0,
    /// Established, not terminated.
    S1,
    /// Normal establishment and termination.
    SF,
    /// Connection attempt rejected (SYN answered by RST).
    REJ,
    /// Established, originator sent FIN, no FIN from the responder.
    S2,
    /// Established, responder sent FIN, no FIN from the originator.
    S3,
    /// Established, originator aborted with RST.
    RSTO,
    /// Responder sent RST.
    RSTR,
    /// Originator sent SYN then RST; no SYN-ACK seen.
    RSTOS0,
    /// Originator sent SYN then FIN; no SYN-ACK seen ("half-open").
    SH,
    /// No SYN seen: midstream traffic.
    OTH,
}

impl Flag {
    /// Every flag, in the order above.
    pub const ALL: [Flag; 11] = [
        Flag::S0,
        Flag::S1,
        Flag::SF,
        Flag::REJ,
        Flag::S2,
        Flag::S3,
        Flag::RSTO,
        Flag::RSTR,
        Flag::RSTOS0,
        Flag::SH,
        Flag::OTH,
    ];

    /// The exact KDD spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::S0 => "S0",
            Flag::S1 => "S1",
            Flag::SF => "SF",
            Flag::REJ => "REJ",
            Flag::S2 => "S2",
            Flag::S3 => "S3",
            Flag::RSTO => "RSTO",
            Flag::RSTR => "RSTR",
            Flag::RSTOS0 => "RSTOS0",
            Flag::SH => "SH",
            Flag::OTH => "OTH",
        }
    }

    /// The flag spelled `name` (exactly as KDD writes it).
    pub fn from_name(name: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// KDD's flag for Zeek's `RSTRH` and `SHR`, which KDD lacks (see `from_conn_state`).
    pub const FOR_RSTRH: Flag = Flag::RSTR;
    pub const FOR_SHR: Flag = Flag::OTH;

    /// The KDD flag for a Zeek TCP `conn_state`: the 11 KDD states as they are, and the
    /// two KDD lacks mapped as the packet tracker maps them: `RSTRH` (responder SYN-ACK,
    /// then its RST, no SYN seen) → `RSTR`, `SHR` (responder SYN-ACK, then its FIN) → `OTH`.
    pub fn from_conn_state(state: &str) -> Option<Flag> {
        match state {
            "RSTRH" => Some(Flag::FOR_RSTRH),
            "SHR" => Some(Flag::FOR_SHR),
            _ => Flag::from_name(state),
        }
    }

    /// A "SYN error" for `serror_rate` and its kin: S0, S1, S2, S3 and SH. Read off the
    /// KDD 10% file, where a row alone in its window (`count` 1) has `serror_rate` 1
    /// exactly for these flags (79 S0, 24 S1, 7 S2, 5 S3, 104 SH rows) and 0 for all
    /// others (see `tests/real_data.rs`).
    pub fn is_serror(self) -> bool {
        matches!(self, Flag::S0 | Flag::S1 | Flag::S2 | Flag::S3 | Flag::SH)
    }

    /// A "REJ error" for `rerror_rate` and its kin: REJ, RSTO, RSTR and RSTOS0 (in the
    /// same rows, `rerror_rate` is 1 for 5,328 REJ, 63 RSTO, 676 RSTR and 1 RSTOS0 rows
    /// and 0 for every other flag).
    pub fn is_rerror(self) -> bool {
        matches!(self, Flag::REJ | Flag::RSTO | Flag::RSTR | Flag::RSTOS0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for flag in Flag::ALL {
            assert_eq!(Flag::from_name(flag.as_str()), Some(flag));
        }
        assert_eq!(Flag::from_name("sf"), None);
        assert_eq!(Flag::from_name("RSTRH"), None);
        assert_eq!(Flag::from_conn_state("RSTRH"), Some(Flag::RSTR));
        assert_eq!(Flag::from_conn_state("SHR"), Some(Flag::OTH));
        assert_eq!(Flag::from_conn_state("S0"), Some(Flag::S0));
        assert_eq!(Flag::from_conn_state("XX"), None);
    }

    #[test]
    fn no_flag_is_both_errors_and_sf_oth_are_neither() {
        for flag in Flag::ALL {
            assert!(!(flag.is_serror() && flag.is_rerror()), "{flag:?}");
        }
        let neither: Vec<Flag> = Flag::ALL
            .into_iter()
            .filter(|f| !f.is_serror() && !f.is_rerror())
            .collect();
        assert_eq!(neither, [Flag::SF, Flag::OTH]);
    }
}
