//! Turning records into the matrix the detectors read.

pub mod matrix;

pub use matrix::Matrix;
