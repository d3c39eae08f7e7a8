//! Connection records: the KDD schema, readers, the demo generator.

mod chunk;
pub mod dataset;
pub mod demo;
pub mod reader;
pub mod schema;
pub mod split;
pub mod stream;

pub use dataset::{Dataset, RawRecord};
pub use reader::{DataError, LoadReport, MissingPolicy, ReadOptions, read_path, read_paths};
pub use schema::{Family, FeatureSet};
