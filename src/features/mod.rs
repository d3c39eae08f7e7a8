//! Turning records into the matrix the detectors read.

pub mod encoder;
pub mod matrix;

pub use encoder::{Column, ColumnSource, Encoder, EncoderConfig, NormalRange, UnseenValues};
pub use matrix::Matrix;
