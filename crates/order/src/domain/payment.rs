//! The payment-status decision table of order.md §2.1.

use super::status::OrderStatus;

/// `status` of a payment-status call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentEvent {
    Paid,
    PaymentFailed,
}

impl PaymentEvent {
    pub const NAMES: [&'static str; 2] = ["PAID", "PAYMENT_FAILED"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PAID" => Some(PaymentEvent::Paid),
            "PAYMENT_FAILED" => Some(PaymentEvent::PaymentFailed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentEvent::Paid => "PAID",
            PaymentEvent::PaymentFailed => "PAYMENT_FAILED",
        }
    }
}

/// Everything the decision depends on, read under the order's row lock.
#[derive(Debug, Clone, Copy)]
pub struct PaymentFacts<'a> {
    pub event: PaymentEvent,
    pub current: OrderStatus,
    /// The call's `reference`.
    pub reference: Option<&'a str>,
    /// `payment_reference` stored on this order.
    pub stored_reference: Option<&'a str>,
    /// The reference of this order's most recent `PAYMENT_FAILED` history entry.
    pub last_failed_reference: Option<&'a str>,
    /// The call's `Idempotency-Key` is already on a history entry of this order.
    pub key_seen: bool,
    /// The call's reference is stored on another order.
    pub reference_used_elsewhere: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentDecision {
    /// T1: `PENDING_PAYMENT → PAID`.
    MarkPaid,
    /// E1: a `PAYMENT_FAILED` history entry; the order stays `PENDING_PAYMENT`.
    RecordFailure,
    /// `200 replayed: true`, nothing written.
    Replay,
    /// `409 PAYMENT_STATUS_CONFLICT`, with `details.reason` when the table names one.
    Conflict(Option<&'static str>),
}

/// §2.1: the `Idempotency-Key` first, then the reference, then the current status.
pub fn decide(f: &PaymentFacts<'_>) -> PaymentDecision {
    use OrderStatus::*;
    if f.key_seen {
        return PaymentDecision::Replay;
    }
    match (f.event, f.current) {
        (PaymentEvent::Paid, _) if f.reference_used_elsewhere => {
            PaymentDecision::Conflict(Some("REFERENCE_ALREADY_USED"))
        }
        (PaymentEvent::Paid, PendingPayment) => PaymentDecision::MarkPaid,
        (PaymentEvent::Paid, Paid | Provisioning | Active | Failed) => {
            match (f.reference, f.stored_reference) {
                (Some(r), Some(stored)) if r == stored => PaymentDecision::Replay,
                _ => PaymentDecision::Conflict(None),
            }
        }
        (PaymentEvent::Paid, Canceled) => PaymentDecision::Conflict(None),
        (PaymentEvent::PaymentFailed, PendingPayment) => {
            match (f.reference, f.last_failed_reference) {
                (Some(r), Some(last)) if r == last => PaymentDecision::Replay,
                _ => PaymentDecision::RecordFailure,
            }
        }
        (PaymentEvent::PaymentFailed, _) => PaymentDecision::Conflict(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    fn facts(event: PaymentEvent, current: OrderStatus) -> PaymentFacts<'static> {
        PaymentFacts {
            event,
            current,
            reference: None,
            stored_reference: None,
            last_failed_reference: None,
            key_seen: false,
            reference_used_elsewhere: false,
        }
    }

    #[test]
    fn paid_from_pending_transitions() {
        assert_eq!(
            decide(&facts(PaymentEvent::Paid, PendingPayment)),
            PaymentDecision::MarkPaid
        );
    }

    #[test]
    fn a_seen_key_is_always_a_replay() {
        for s in OrderStatus::ALL {
            for e in [PaymentEvent::Paid, PaymentEvent::PaymentFailed] {
                let mut f = facts(e, s);
                f.key_seen = true;
                f.reference_used_elsewhere = true;
                assert_eq!(decide(&f), PaymentDecision::Replay);
            }
        }
    }

    #[test]
    fn paid_after_payment_depends_on_the_reference() {
        for s in [Paid, Provisioning, Active, Failed] {
            let mut f = facts(PaymentEvent::Paid, s);
            assert_eq!(decide(&f), PaymentDecision::Conflict(None), "no reference");
            f.stored_reference = Some("R");
            assert_eq!(decide(&f), PaymentDecision::Conflict(None), "none given");
            f.reference = Some("X");
            assert_eq!(decide(&f), PaymentDecision::Conflict(None), "different");
            f.reference = Some("R");
            assert_eq!(decide(&f), PaymentDecision::Replay, "same");
        }
    }

    #[test]
    fn canceled_orders_cannot_be_paid() {
        let mut f = facts(PaymentEvent::Paid, Canceled);
        f.reference = Some("R");
        assert_eq!(decide(&f), PaymentDecision::Conflict(None));
    }

    #[test]
    fn a_reference_of_another_order_conflicts_everywhere() {
        for s in OrderStatus::ALL {
            let mut f = facts(PaymentEvent::Paid, s);
            f.reference = Some("R");
            f.reference_used_elsewhere = true;
            assert_eq!(
                decide(&f),
                PaymentDecision::Conflict(Some("REFERENCE_ALREADY_USED"))
            );
        }
    }

    #[test]
    fn payment_failed_rules() {
        let mut f = facts(PaymentEvent::PaymentFailed, PendingPayment);
        assert_eq!(decide(&f), PaymentDecision::RecordFailure);
        f.reference = Some("F1");
        assert_eq!(decide(&f), PaymentDecision::RecordFailure);
        f.last_failed_reference = Some("F0");
        assert_eq!(decide(&f), PaymentDecision::RecordFailure);
        f.last_failed_reference = Some("F1");
        assert_eq!(decide(&f), PaymentDecision::Replay);
        for s in [Paid, Provisioning, Active, Failed, Canceled] {
            assert_eq!(
                decide(&facts(PaymentEvent::PaymentFailed, s)),
                PaymentDecision::Conflict(None)
            );
        }
    }
}
