//! `InvoiceStatus` and its transitions (billing.md §2.1).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Pending,
    Paid,
    Expired,
    Cancelled,
}

impl InvoiceStatus {
    pub const NAMES: [&'static str; 4] = ["PENDING", "PAID", "EXPIRED", "CANCELLED"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Paid => "PAID",
            Self::Expired => "EXPIRED",
            Self::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "PENDING" => Some(Self::Pending),
            "PAID" => Some(Self::Paid),
            "EXPIRED" => Some(Self::Expired),
            "CANCELLED" => Some(Self::Cancelled),
            _ => None,
        }
    }

    /// The allowed transitions; every other one is rejected. `EXPIRED → PAID` is a late payment.
    pub fn can_become(self, next: Self) -> bool {
        use InvoiceStatus::*;
        matches!(
            (self, next),
            (Pending, Paid)
                | (Pending, Expired)
                | (Pending, Cancelled)
                | (Expired, Paid)
                | (Expired, Cancelled)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::InvoiceStatus::{self, *};

    #[test]
    fn only_the_spec_transitions_are_allowed() {
        let all = [Pending, Paid, Expired, Cancelled];
        let allowed = [
            (Pending, Paid),
            (Pending, Expired),
            (Pending, Cancelled),
            (Expired, Paid),
            (Expired, Cancelled),
        ];
        for from in all {
            for to in all {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for name in InvoiceStatus::NAMES {
            assert_eq!(InvoiceStatus::parse(name).map(|s| s.as_str()), Some(name));
        }
        assert_eq!(InvoiceStatus::parse("paid"), None);
    }
}
