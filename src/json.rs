//! Shapes of the machine-readable output that serde's defaults get wrong for readers.

use serde::Serializer;
use serde::ser::{SerializeMap, SerializeSeq};

/// `[("service=gopher", 117)]` as `[{"value": "service=gopher", "rows": 117}]`, keeping
/// the order (most frequent first), which a JSON object would not promise.
pub fn counts<S: Serializer>(counts: &[(String, usize)], serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(serde::Serialize)]
    struct Count<'a> {
        value: &'a str,
        rows: usize,
    }
    let mut seq = serializer.serialize_seq(Some(counts.len()))?;
    for (value, rows) in counts {
        seq.serialize_element(&Count { value, rows: *rows })?;
    }
    seq.end()
}

/// `[("iforest", 3), ("autoencoder", 5)]` as `{"iforest": 3, "autoencoder": 5}`, in order.
pub fn named<S: Serializer>(pairs: &[(String, u64)], serializer: S) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (name, n) in pairs {
        map.serialize_entry(name, n)?;
    }
    map.end()
}
