//! Plan promos (catalog.md §4.3): when one is running, which one wins, and its JSON shapes.

use platform::FieldError;
use platform::time_format::wire;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::discount::Discount;
use super::terms::{DiscountType, PlanDuration};

/// A `plan_promos` row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Promo {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub name: String,
    pub discount_type: DiscountType,
    pub discount_value: i32,
    pub max_discount_amount: Option<i64>,
    /// Empty = every duration.
    pub durations: Vec<PlanDuration>,
    pub start_at: OffsetDateTime,
    pub end_at: OffsetDateTime,
    pub is_active: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PromoState {
    Disabled,
    Scheduled,
    Running,
    Ended,
}

impl Promo {
    /// Both window edges are inclusive: `start_at ≤ t ≤ end_at`.
    pub fn state(&self, now: OffsetDateTime) -> PromoState {
        if !self.is_active {
            PromoState::Disabled
        } else if now < self.start_at {
            PromoState::Scheduled
        } else if now > self.end_at {
            PromoState::Ended
        } else {
            PromoState::Running
        }
    }

    pub fn is_running(&self, now: OffsetDateTime) -> bool {
        self.state(now) == PromoState::Running
    }

    pub fn covers(&self, duration: PlanDuration) -> bool {
        self.durations.is_empty() || self.durations.contains(&duration)
    }

    pub fn discount(&self) -> Discount {
        Discount {
            kind: self.discount_type,
            value: i64::from(self.discount_value),
            cap: self.max_discount_amount,
        }
    }
}

/// Every column an admin sets on a promo. PATCH merges into the stored promo and writes the
/// result back whole, so the cross-field rules always judge the complete promo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoDraft {
    pub name: String,
    pub discount_type: DiscountType,
    pub discount_value: i32,
    pub max_discount_amount: Option<i64>,
    pub durations: Vec<PlanDuration>,
    pub start_at: OffsetDateTime,
    pub end_at: OffsetDateTime,
    pub is_active: bool,
}

impl From<&Promo> for PromoDraft {
    fn from(p: &Promo) -> Self {
        Self {
            name: p.name.clone(),
            discount_type: p.discount_type,
            discount_value: p.discount_value,
            max_discount_amount: p.max_discount_amount,
            durations: p.durations.clone(),
            start_at: p.start_at,
            end_at: p.end_at,
            is_active: p.is_active,
        }
    }
}

impl PromoDraft {
    /// The rules between fields: a percentage is at most 100 and the window ends after it
    /// starts. `prefix` is the path of the promo in the request (`promos[0].`).
    pub fn problems(&self, prefix: &str) -> Vec<FieldError> {
        [
            super::rules::discount_value(
                prefix,
                Some(self.discount_type),
                Some(self.discount_value),
            ),
            super::rules::window(prefix, Some(self.start_at), Some(self.end_at)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The promo applied to a pricing of `duration` with base price `price` at `now`: the running
/// candidate with the largest discount; ties go to the earliest `start_at`, then the lowest id.
/// Promos never stack. A candidate that would take nothing off is not "applied".
pub fn best_promo(
    promos: &[Promo],
    duration: PlanDuration,
    price: i64,
    now: OffsetDateTime,
) -> Option<(&Promo, i64)> {
    promos
        .iter()
        .filter(|p| p.is_running(now) && p.covers(duration))
        .map(|p| (p, p.discount().amount_on(price)))
        .filter(|(_, d)| *d > 0)
        .min_by(|(a, da), (b, db)| {
            db.cmp(da)
                .then(a.start_at.cmp(&b.start_at))
                .then(a.id.cmp(&b.id))
        })
}

/// `activePromo` of a pricing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivePromo {
    pub id: Uuid,
    pub name: String,
    pub discount_type: DiscountType,
    pub discount_value: i32,
    pub max_discount_amount: Option<i64>,
    #[serde(with = "wire")]
    pub end_at: OffsetDateTime,
}

impl From<&Promo> for ActivePromo {
    fn from(p: &Promo) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            discount_type: p.discount_type,
            discount_value: p.discount_value,
            max_discount_amount: p.max_discount_amount,
            end_at: p.end_at,
        }
    }
}

/// A running promo in a PublicPlan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicPromo {
    pub id: Uuid,
    pub name: String,
    pub discount_type: DiscountType,
    pub discount_value: i32,
    pub max_discount_amount: Option<i64>,
    pub durations: Vec<PlanDuration>,
    #[serde(with = "wire")]
    pub start_at: OffsetDateTime,
    #[serde(with = "wire")]
    pub end_at: OffsetDateTime,
}

impl From<&Promo> for PublicPromo {
    fn from(p: &Promo) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            discount_type: p.discount_type,
            discount_value: p.discount_value,
            max_discount_amount: p.max_discount_amount,
            durations: p.durations.clone(),
            start_at: p.start_at,
            end_at: p.end_at,
        }
    }
}

/// Any promo in an AdminPlan, and the answer of the promo admin routes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminPromo {
    #[serde(flatten)]
    pub public: PublicPromo,
    pub plan_id: Uuid,
    pub is_active: bool,
    pub state: PromoState,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "wire")]
    pub updated_at: OffsetDateTime,
}

impl AdminPromo {
    pub fn new(p: &Promo, now: OffsetDateTime) -> Self {
        Self {
            public: PublicPromo::from(p),
            plan_id: p.plan_id,
            is_active: p.is_active,
            state: p.state(now),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::datetime;

    pub(crate) fn promo(
        id: u128,
        kind: DiscountType,
        value: i32,
        start_at: OffsetDateTime,
        end_at: OffsetDateTime,
    ) -> Promo {
        Promo {
            id: Uuid::from_u128(id),
            plan_id: Uuid::from_u128(1),
            name: format!("promo {id}"),
            discount_type: kind,
            discount_value: value,
            max_discount_amount: None,
            durations: vec![],
            start_at,
            end_at,
            is_active: true,
            created_at: start_at,
            updated_at: start_at,
        }
    }

    const START: OffsetDateTime = datetime!(2025-01-01 00:00:00 UTC);
    const END: OffsetDateTime = datetime!(2030-12-31 16:59:59 UTC);

    #[test]
    fn window_edges_are_inclusive() {
        let p = promo(1, DiscountType::Percent, 20, START, END);
        let ns = time::Duration::nanoseconds(1);
        assert_eq!(p.state(START - ns), PromoState::Scheduled);
        assert_eq!(p.state(START), PromoState::Running);
        assert_eq!(p.state(END), PromoState::Running);
        assert_eq!(p.state(END + ns), PromoState::Ended);
        let off = Promo {
            is_active: false,
            ..p
        };
        assert_eq!(off.state(START), PromoState::Disabled);
    }

    #[test]
    fn the_largest_discount_wins_and_promos_never_stack() {
        let now = datetime!(2026-06-01 00:00:00 UTC);
        let ten = promo(1, DiscountType::Percent, 10, START, END);
        let fixed = promo(2, DiscountType::Fixed, 50_000, START, END);
        let promos = [ten.clone(), fixed.clone()];
        // 10 % of 375.000 = 37.500 < 50.000.
        let (winner, d) = best_promo(&promos, PlanDuration::Monthly, 375_000, now).expect("one");
        assert_eq!((winner.id, d), (fixed.id, 50_000));
        // 10 % of 3.825.000 = 382.500 > 50.000.
        let (winner, d) = best_promo(&promos, PlanDuration::Annual, 3_825_000, now).expect("one");
        assert_eq!((winner.id, d), (ten.id, 382_500));
    }

    #[test]
    fn ties_go_to_the_earliest_start_then_the_lowest_id() {
        let now = datetime!(2026-06-01 00:00:00 UTC);
        let later = promo(
            1,
            DiscountType::Fixed,
            10_000,
            START + time::Duration::DAY,
            END,
        );
        let earlier = promo(9, DiscountType::Fixed, 10_000, START, END);
        let promos = [later, earlier.clone()];
        let (winner, _) = best_promo(&promos, PlanDuration::Monthly, 100_000, now).expect("one");
        assert_eq!(winner.id, earlier.id);

        let a = promo(3, DiscountType::Fixed, 10_000, START, END);
        let b = promo(2, DiscountType::Fixed, 10_000, START, END);
        let promos = [a, b.clone()];
        let (winner, _) = best_promo(&promos, PlanDuration::Monthly, 100_000, now).expect("one");
        assert_eq!(winner.id, b.id);
    }

    #[test]
    fn durations_scheduled_ended_and_disabled_promos_do_not_apply() {
        let now = datetime!(2026-06-01 00:00:00 UTC);
        let mut annual_only = promo(1, DiscountType::Percent, 50, START, END);
        annual_only.durations = vec![PlanDuration::Annual];
        let ended = promo(
            2,
            DiscountType::Fixed,
            100_000,
            datetime!(2024-11-11 00:00:00 UTC),
            datetime!(2024-11-12 00:00:00 UTC),
        );
        let scheduled = promo(
            3,
            DiscountType::Percent,
            90,
            datetime!(2027-01-01 00:00:00 UTC),
            END,
        );
        let mut disabled = promo(4, DiscountType::Percent, 90, START, END);
        disabled.is_active = false;
        let promos = [annual_only.clone(), ended, scheduled, disabled];
        assert!(best_promo(&promos, PlanDuration::Monthly, 950_000, now).is_none());
        let (winner, d) = best_promo(&promos, PlanDuration::Annual, 1_000, now).expect("annual");
        assert_eq!((winner.id, d), (annual_only.id, 500));
    }

    #[test]
    fn a_promo_taking_nothing_off_is_not_applied() {
        let now = datetime!(2026-06-01 00:00:00 UTC);
        let tiny = promo(1, DiscountType::Percent, 1, START, END);
        assert!(best_promo(&[tiny], PlanDuration::Monthly, 99, now).is_none());
    }
}
