//! What ends a monitoring run with an error.

use std::io;

use crate::capture::pcap::CaptureError;
use crate::data::reader::DataError;
use crate::detect::autoencoder::AutoencoderError;

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("cannot open {path}: {source}")]
    Open { path: String, source: io::Error },
    #[error("{path}: read failed: {source}")]
    Read { path: String, source: io::Error },
    #[error("{path}: {source}")]
    Capture { path: String, source: CaptureError },
    #[error(
        "the model uses the content features (hot … is_guest_login), which packets and Zeek conn logs cannot give (they would all be 0); train a model for them with `--feature-set header`, or pass --allow-content-features-zero"
    )]
    NeedsContentFeatures,
    #[error(transparent)]
    Data(#[from] DataError),
    /// A bad conn.log row under `--strict`.
    #[error(transparent)]
    Zeek(#[from] crate::zeek::ZeekError),
    #[error(transparent)]
    Autoencoder(#[from] AutoencoderError),
    /// The sink failed (e.g. standard output was closed).
    #[error("writing the output failed: {0}")]
    Output(io::Error),
}
