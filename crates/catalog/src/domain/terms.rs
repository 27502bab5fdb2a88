//! The closed vocabularies of the catalog (catalog.md §3): billing durations, discount types,
//! image categories and release reasons.

use serde::Serialize;

/// A billing term. Declaration order is the order pricings are listed in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    utoipa::ToSchema,
    sqlx::Type,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sqlx(type_name = "plan_duration", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlanDuration {
    Monthly,
    Quarterly,
    SemiAnnual,
    Annual,
}

impl PlanDuration {
    pub const ALL: [PlanDuration; 4] = [
        PlanDuration::Monthly,
        PlanDuration::Quarterly,
        PlanDuration::SemiAnnual,
        PlanDuration::Annual,
    ];
    pub const NAMES: [&'static str; 4] = ["MONTHLY", "QUARTERLY", "SEMI_ANNUAL", "ANNUAL"];

    pub fn months(self) -> i64 {
        match self {
            PlanDuration::Monthly => 1,
            PlanDuration::Quarterly => 3,
            PlanDuration::SemiAnnual => 6,
            PlanDuration::Annual => 12,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PlanDuration::Monthly => "MONTHLY",
            PlanDuration::Quarterly => "QUARTERLY",
            PlanDuration::SemiAnnual => "SEMI_ANNUAL",
            PlanDuration::Annual => "ANNUAL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema, sqlx::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sqlx(type_name = "discount_type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DiscountType {
    Percent,
    Fixed,
}

impl DiscountType {
    pub const NAMES: [&'static str; 2] = ["PERCENT", "FIXED"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PERCENT" => Some(DiscountType::Percent),
            "FIXED" => Some(DiscountType::Fixed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema, sqlx::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sqlx(type_name = "image_category", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImageCategory {
    #[serde(rename = "OS")]
    #[sqlx(rename = "OS")]
    Os,
    #[serde(rename = "APP")]
    #[sqlx(rename = "APP")]
    App,
}

impl ImageCategory {
    pub const NAMES: [&'static str; 2] = ["OS", "APP"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OS" => Some(ImageCategory::Os),
            "APP" => Some(ImageCategory::App),
            _ => None,
        }
    }
}

/// Why a redemption stopped counting (catalog.md §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseReason {
    OrderCancelled,
    PaymentExpired,
    OrderNotCreated,
    PaymentFailed,
    OrderFailed,
    Refunded,
    Other,
}

impl ReleaseReason {
    pub const NAMES: [&'static str; 7] = [
        "ORDER_CANCELLED",
        "PAYMENT_EXPIRED",
        "ORDER_NOT_CREATED",
        "PAYMENT_FAILED",
        "ORDER_FAILED",
        "REFUNDED",
        "OTHER",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseReason::OrderCancelled => "ORDER_CANCELLED",
            ReleaseReason::PaymentExpired => "PAYMENT_EXPIRED",
            ReleaseReason::OrderNotCreated => "ORDER_NOT_CREATED",
            ReleaseReason::PaymentFailed => "PAYMENT_FAILED",
            ReleaseReason::OrderFailed => "ORDER_FAILED",
            ReleaseReason::Refunded => "REFUNDED",
            ReleaseReason::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ReleaseReason::OrderCancelled,
            ReleaseReason::PaymentExpired,
            ReleaseReason::OrderNotCreated,
            ReleaseReason::PaymentFailed,
            ReleaseReason::OrderFailed,
            ReleaseReason::Refunded,
            ReleaseReason::Other,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_know_their_months_and_order() {
        let months: Vec<i64> = PlanDuration::ALL.iter().map(|d| d.months()).collect();
        assert_eq!(months, vec![1, 3, 6, 12]);
        assert!(PlanDuration::Monthly < PlanDuration::Annual);
        for (d, name) in PlanDuration::ALL.iter().zip(PlanDuration::NAMES) {
            assert_eq!(d.as_str(), name);
            assert_eq!(PlanDuration::parse(name), Some(*d));
        }
        assert_eq!(PlanDuration::parse("monthly"), None);
    }

    #[test]
    fn release_reasons_round_trip() {
        for name in ReleaseReason::NAMES {
            assert_eq!(ReleaseReason::parse(name).map(|r| r.as_str()), Some(name));
        }
        assert_eq!(ReleaseReason::parse("cancelled"), None);
    }
}
