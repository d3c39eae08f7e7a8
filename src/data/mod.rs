//! Connection records: the KDD schema, readers, the demo generator.

pub mod dataset;
pub mod synth;
pub mod schema;

pub use dataset::{Dataset, RawRecord};
pub use schema::{Family, FeatureSet};
