//! The status mapping of a Tripay callback onto an invoice (billing.md §7.4) and the amount
//! check, as pure decisions; `flows::callback` carries them out inside one transaction.

use super::status::InvoiceStatus;

/// What one gateway event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Not a status billing acts on (`UNPAID`, unknown): outcome `IGNORED`, no Payment row.
    Ignore,
    /// The same transaction's PAID already settled this invoice: a repeat.
    Repeat,
    /// Payment `SUCCESS`, invoice → PAID, order and notification jobs. `late` = from EXPIRED.
    MarkPaid { late: bool },
    /// A second transaction paid an order that is already paid: Payment `DUPLICATE`.
    DoublePayment,
    /// Paid but not accepted: Payment `REJECTED` with this note.
    Reject(RejectReason),
    /// Payment `EXPIRED` for a PENDING invoice.
    TransactionExpired {
        clear_active: bool,
        /// The invoice's own deadline has passed too: it expires (§9.2 side effects).
        expire_invoice: bool,
    },
    /// Payment `FAILED` for a PENDING invoice.
    TransactionFailed { clear_active: bool },
    /// Payment `REFUND`, invoice unchanged, finance alerted.
    Refund,
    /// EXPIRED/FAILED for an invoice that has moved on: Payment row only.
    RecordOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    AmountMismatch,
    InvoiceCancelled,
}

impl RejectReason {
    pub fn note(self) -> &'static str {
        match self {
            Self::AmountMismatch => "AMOUNT_MISMATCH",
            Self::InvoiceCancelled => "INVOICE_CANCELLED",
        }
    }
}

impl Decision {
    /// `Payment.status` of the row this decision writes, if any.
    pub fn payment_status(self, gateway_status: &str) -> Option<&'static str> {
        match self {
            Self::Ignore | Self::Repeat => None,
            Self::MarkPaid { .. } => Some("SUCCESS"),
            Self::DoublePayment => Some("DUPLICATE"),
            Self::Reject(_) => Some("REJECTED"),
            Self::TransactionExpired { .. } => Some("EXPIRED"),
            Self::TransactionFailed { .. } => Some("FAILED"),
            Self::Refund => Some("REFUND"),
            Self::RecordOnly => match gateway_status {
                "EXPIRED" => Some("EXPIRED"),
                _ => Some("FAILED"),
            },
        }
    }

    /// `CallbackOutcome` of the inbound row.
    pub fn outcome(self) -> &'static str {
        match self {
            Self::Ignore => "IGNORED",
            Self::Repeat => "DUPLICATE",
            Self::Reject(_) => "REJECTED",
            _ => "PROCESSED",
        }
    }
}

/// The facts a decision depends on, read under the invoice lock.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Upper-cased callback (or transaction detail) status.
    pub gateway_status: &'a str,
    pub invoice_status: InvoiceStatus,
    /// The event's reference is the invoice's active `tripayReference`.
    pub is_active_reference: bool,
    /// Another invoice of the same order is PAID.
    pub other_invoice_paid: bool,
    /// `now ≥ expiredAt`.
    pub deadline_passed: bool,
    /// Result of [`amount_matches`] (only consulted for PAID).
    pub amount_ok: bool,
}

pub fn decide(f: Facts<'_>) -> Decision {
    use InvoiceStatus::*;
    match (f.gateway_status, f.invoice_status) {
        ("REFUND", _) => Decision::Refund,
        ("PAID", Cancelled) => Decision::Reject(RejectReason::InvoiceCancelled),
        ("PAID", Paid) if f.is_active_reference => Decision::Repeat,
        ("PAID", Paid) => Decision::DoublePayment,
        ("PAID", _) if f.other_invoice_paid => Decision::DoublePayment,
        ("PAID", _) if !f.amount_ok => Decision::Reject(RejectReason::AmountMismatch),
        ("PAID", status) => Decision::MarkPaid {
            late: status == Expired,
        },
        ("EXPIRED", Pending) => Decision::TransactionExpired {
            clear_active: f.is_active_reference,
            expire_invoice: f.deadline_passed,
        },
        ("FAILED", Pending) => Decision::TransactionFailed {
            clear_active: f.is_active_reference,
        },
        ("EXPIRED" | "FAILED", _) => Decision::RecordOnly,
        _ => Decision::Ignore,
    }
}

/// The amount check of §7.4: what the customer paid minus the fee added on top must be the
/// invoice amount. Without `fee_customer`, the total may be the amount with or without the fee
/// stored at payment time.
pub fn amount_matches(
    invoice_amount: i64,
    stored_fee: Option<i64>,
    total_amount: i64,
    fee_customer: Option<i64>,
) -> bool {
    match fee_customer {
        Some(fee) => total_amount.checked_sub(fee) == Some(invoice_amount),
        None => {
            total_amount == invoice_amount
                || Some(total_amount) == invoice_amount.checked_add(stored_fee.unwrap_or(0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InvoiceStatus::*;
    use super::*;

    fn facts(gateway_status: &str, invoice_status: InvoiceStatus) -> Facts<'_> {
        Facts {
            gateway_status,
            invoice_status,
            is_active_reference: true,
            other_invoice_paid: false,
            deadline_passed: false,
            amount_ok: true,
        }
    }

    #[test]
    fn paid_rows_of_the_table() {
        assert_eq!(
            decide(facts("PAID", Pending)),
            Decision::MarkPaid { late: false }
        );
        assert_eq!(
            decide(facts("PAID", Expired)),
            Decision::MarkPaid { late: true }
        );
        let other = Facts {
            other_invoice_paid: true,
            ..facts("PAID", Pending)
        };
        assert_eq!(decide(other), Decision::DoublePayment);
        let foreign = Facts {
            is_active_reference: false,
            ..facts("PAID", Paid)
        };
        assert_eq!(decide(foreign), Decision::DoublePayment);
        assert_eq!(decide(facts("PAID", Paid)), Decision::Repeat);
        assert_eq!(
            decide(facts("PAID", Cancelled)),
            Decision::Reject(RejectReason::InvoiceCancelled)
        );
        let short = Facts {
            amount_ok: false,
            ..facts("PAID", Pending)
        };
        assert_eq!(
            decide(short),
            Decision::Reject(RejectReason::AmountMismatch)
        );
        // A superseded transaction's payment is still a payment of this invoice.
        let old = Facts {
            is_active_reference: false,
            ..facts("PAID", Pending)
        };
        assert_eq!(decide(old), Decision::MarkPaid { late: false });
    }

    #[test]
    fn expired_failed_refund_and_other_rows() {
        assert_eq!(
            decide(facts("EXPIRED", Pending)),
            Decision::TransactionExpired {
                clear_active: true,
                expire_invoice: false
            }
        );
        let late = Facts {
            deadline_passed: true,
            is_active_reference: false,
            ..facts("EXPIRED", Pending)
        };
        assert_eq!(
            decide(late),
            Decision::TransactionExpired {
                clear_active: false,
                expire_invoice: true
            }
        );
        assert_eq!(
            decide(facts("FAILED", Pending)),
            Decision::TransactionFailed { clear_active: true }
        );
        for status in [Paid, Expired, Cancelled] {
            assert_eq!(decide(facts("EXPIRED", status)), Decision::RecordOnly);
            assert_eq!(decide(facts("FAILED", status)), Decision::RecordOnly);
        }
        for status in [Pending, Paid, Expired, Cancelled] {
            assert_eq!(decide(facts("REFUND", status)), Decision::Refund);
            assert_eq!(decide(facts("UNPAID", status)), Decision::Ignore);
            assert_eq!(decide(facts("SOMETHING", status)), Decision::Ignore);
        }
    }

    #[test]
    fn rows_and_outcomes() {
        assert_eq!(
            Decision::RecordOnly.payment_status("EXPIRED"),
            Some("EXPIRED")
        );
        assert_eq!(
            Decision::RecordOnly.payment_status("FAILED"),
            Some("FAILED")
        );
        assert_eq!(Decision::Ignore.payment_status("UNPAID"), None);
        assert_eq!(Decision::Repeat.outcome(), "DUPLICATE");
        assert_eq!(
            Decision::Reject(RejectReason::AmountMismatch).outcome(),
            "REJECTED"
        );
        assert_eq!(Decision::DoublePayment.outcome(), "PROCESSED");
        assert_eq!(Decision::Ignore.outcome(), "IGNORED");
    }

    #[test]
    fn amount_check() {
        assert!(amount_matches(150_000, None, 150_000, Some(0)));
        assert!(amount_matches(150_000, Some(2_500), 152_500, Some(2_500)));
        assert!(!amount_matches(150_000, Some(2_500), 152_500, Some(0)));
        assert!(amount_matches(150_000, Some(2_500), 152_500, None));
        assert!(amount_matches(150_000, Some(2_500), 150_000, None));
        assert!(!amount_matches(150_000, None, 149_999, None));
        assert!(!amount_matches(150_000, None, i64::MIN, Some(1)));
    }
}
