//! The 41 KDD Cup 99 connection features, their kinds, and label handling.
//!
//! One table drives the reader, the encoder and (later) the packet extractor, so
//! column order and names can never disagree between them.

use serde::{Deserialize, Serialize};

/// How a raw feature is stored and encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureKind {
    /// A string category (protocol_type, service, flag): one-hot encoded.
    Categorical,
    /// A non-negative count with a heavy right tail: `log1p` before scaling.
    /// Chosen from the 10% file's normal rows, where max/σ ranges from 23 (srv_count)
    /// to 219 (num_root); bounded counts such as dst_host_count (max/σ 2.5) stay linear.
    HeavyCount,
    /// A small or bounded count, scaled as is.
    Count,
    /// A 0/1 indicator.
    Binary,
    /// A fraction in [0, 1].
    Rate,
}

/// One of the 41 KDD features.
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    pub name: &'static str,
    pub kind: FeatureKind,
    /// True for the 13 content features (hot … is_guest_login), which need payload
    /// inspection and so cannot be computed from packet headers.
    pub content: bool,
}

const fn f(name: &'static str, kind: FeatureKind, content: bool) -> Feature {
    Feature {
        name,
        kind,
        content,
    }
}

use FeatureKind::*;

/// The 41 features in file order.
pub const FEATURES: [Feature; 41] = [
    f("duration", HeavyCount, false),
    f("protocol_type", Categorical, false),
    f("service", Categorical, false),
    f("flag", Categorical, false),
    f("src_bytes", HeavyCount, false),
    f("dst_bytes", HeavyCount, false),
    f("land", Binary, false),
    f("wrong_fragment", Count, false),
    f("urgent", HeavyCount, false),
    f("hot", HeavyCount, true),
    f("num_failed_logins", HeavyCount, true),
    f("logged_in", Binary, true),
    f("num_compromised", HeavyCount, true),
    f("root_shell", Binary, true),
    f("su_attempted", Count, true),
    f("num_root", HeavyCount, true),
    f("num_file_creations", HeavyCount, true),
    f("num_shells", HeavyCount, true),
    f("num_access_files", HeavyCount, true),
    f("num_outbound_cmds", HeavyCount, true),
    f("is_host_login", Binary, true),
    f("is_guest_login", Binary, true),
    f("count", HeavyCount, false),
    f("srv_count", HeavyCount, false),
    f("serror_rate", Rate, false),
    f("srv_serror_rate", Rate, false),
    f("rerror_rate", Rate, false),
    f("srv_rerror_rate", Rate, false),
    f("same_srv_rate", Rate, false),
    f("diff_srv_rate", Rate, false),
    f("srv_diff_host_rate", Rate, false),
    f("dst_host_count", Count, false),
    f("dst_host_srv_count", Count, false),
    f("dst_host_same_srv_rate", Rate, false),
    f("dst_host_diff_srv_rate", Rate, false),
    f("dst_host_same_src_port_rate", Rate, false),
    f("dst_host_srv_diff_host_rate", Rate, false),
    f("dst_host_serror_rate", Rate, false),
    f("dst_host_srv_serror_rate", Rate, false),
    f("dst_host_rerror_rate", Rate, false),
    f("dst_host_srv_rerror_rate", Rate, false),
];

/// Number of raw features in a KDD record.
pub const N_FEATURES: usize = 41;
/// Indices (into [`FEATURES`]) of the three categorical features.
pub const CATEGORICAL: [usize; 3] = [1, 2, 3];
/// Number of numeric (non-categorical) features.
pub const N_NUMERIC: usize = 38;

/// Index of a feature among the numeric ones (`None` for categorical features).
pub const fn numeric_slot(feature: usize) -> Option<usize> {
    match feature {
        0 => Some(0),
        1..=3 => None,
        _ => Some(feature - 3),
    }
}

/// The feature index of numeric slot `slot` (inverse of [`numeric_slot`]).
pub const fn numeric_feature(slot: usize) -> usize {
    if slot == 0 { 0 } else { slot + 3 }
}

/// Index of a feature by name.
pub fn feature_index(name: &str) -> Option<usize> {
    FEATURES.iter().position(|f| f.name == name)
}

/// Which raw features a model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FeatureSet {
    /// All 41 features.
    #[default]
    All,
    /// The 28 features computable from packet headers (no content features).
    Header,
}

impl FeatureSet {
    pub fn includes(self, feature: usize) -> bool {
        match self {
            FeatureSet::All => true,
            FeatureSet::Header => !FEATURES[feature].content,
        }
    }

    pub fn features(self) -> impl Iterator<Item = usize> {
        (0..N_FEATURES).filter(move |&i| self.includes(i))
    }

    pub fn name(self) -> &'static str {
        match self {
            FeatureSet::All => "all",
            FeatureSet::Header => "header",
        }
    }
}

/// Attack family of a label, following the usual KDD / NSL-KDD taxonomy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Normal,
    Dos,
    Probe,
    R2l,
    U2r,
    /// An attack name we do not know: still an attack.
    Unknown,
}

impl Family {
    pub const ALL: [Family; 6] = [
        Family::Normal,
        Family::Dos,
        Family::Probe,
        Family::R2l,
        Family::U2r,
        Family::Unknown,
    ];

    pub fn is_attack(self) -> bool {
        self != Family::Normal
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Normal => "normal",
            Family::Dos => "dos",
            Family::Probe => "probe",
            Family::R2l => "r2l",
            Family::U2r => "u2r",
            Family::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Normalise a raw label: trim whitespace and the trailing dot of KDD Cup 99, lower-case.
pub fn normalize_label(raw: &str) -> String {
    raw.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Family of a normalised label.
pub fn family_of(label: &str) -> Family {
    match label {
        "normal" => Family::Normal,
        "back" | "land" | "neptune" | "pod" | "smurf" | "teardrop" | "apache2" | "mailbomb"
        | "processtable" | "udpstorm" | "worm" => Family::Dos,
        "ipsweep" | "nmap" | "portsweep" | "satan" | "mscan" | "saint" => Family::Probe,
        // Stratosphere / IoT-23 detailed labels (Zeek logs), lowercased.
        "partofahorizontalportscan" => Family::Probe,
        "ddos" => Family::Dos,
        "ftp_write" | "guess_passwd" | "imap" | "multihop" | "phf" | "spy" | "warezclient"
        | "warezmaster" | "httptunnel" | "named" | "sendmail" | "snmpgetattack" | "snmpguess"
        | "xlock" | "xsnoop" => Family::R2l,
        "buffer_overflow" | "loadmodule" | "perl" | "rootkit" | "ps" | "sqlattack" | "xterm" => {
            Family::U2r
        }
        _ => Family::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_set_has_28_features() {
        assert_eq!(FeatureSet::Header.features().count(), 28);
        assert_eq!(FeatureSet::All.features().count(), 41);
        assert_eq!(FEATURES.iter().filter(|f| f.content).count(), 13);
        assert_eq!(FEATURES[9].name, "hot");
        assert_eq!(FEATURES[21].name, "is_guest_login");
    }

    #[test]
    fn numeric_slots_round_trip() {
        let mut slots = 0;
        for i in 0..N_FEATURES {
            match numeric_slot(i) {
                Some(s) => {
                    assert_eq!(numeric_feature(s), i);
                    slots += 1;
                }
                None => assert!(CATEGORICAL.contains(&i)),
            }
        }
        assert_eq!(slots, N_NUMERIC);
    }

    #[test]
    fn labels_normalise_and_map_to_families() {
        assert_eq!(normalize_label("normal."), "normal");
        assert_eq!(normalize_label(" Smurf. "), "smurf");
        assert_eq!(family_of(&normalize_label("smurf.")), Family::Dos);
        assert_eq!(family_of("mscan"), Family::Probe);
        assert_eq!(family_of("apache2"), Family::Dos);
        assert_eq!(family_of("snmpguess"), Family::R2l);
        assert_eq!(family_of("processtable"), Family::Dos);
        assert_eq!(family_of("buffer_overflow"), Family::U2r);
        assert_eq!(family_of("zeroday"), Family::Unknown);
        assert!(Family::Unknown.is_attack());
        assert!(!Family::Normal.is_attack());
    }
}
