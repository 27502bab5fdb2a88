//! How a Tripay call failed, in the three classes billing answers differently (billing.md §4.4
//! step 8).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TripayError {
    /// `success: false` with a 4xx, or HTTP 200 with `success: false`: Tripay refused.
    #[error("Tripay refused ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// No answer: connection failure or timeout.
    #[error("Tripay unreachable: {0}")]
    Unreachable(String),
    /// A 5xx, or a body that is not Tripay's envelope.
    #[error("bad answer from Tripay ({status}): {detail}")]
    BadResponse { status: u16, detail: String },
}
