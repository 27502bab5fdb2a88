//! Coupons (catalog.md §4.4): the ordered checks, the discount on the post-promo amount, and
//! the JSON shapes.

use platform::FieldError;
use platform::time_format::{wire, wire_option};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::discount::Discount;
use super::rupiah;
use super::terms::DiscountType;

/// A `coupons` row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Coupon {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub discount_type: DiscountType,
    pub discount_value: i32,
    pub min_order_amount: Option<i64>,
    pub max_discount_amount: Option<i64>,
    /// `None` = unlimited.
    pub max_total_redemptions: Option<i32>,
    /// `None` = unlimited.
    pub max_redemptions_per_user: Option<i32>,
    pub start_at: OffsetDateTime,
    /// `None` = no end.
    pub end_at: Option<OffsetDateTime>,
    pub is_active: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Coupon {
    pub fn discount(&self) -> Discount {
        Discount {
            kind: self.discount_type,
            value: i64::from(self.discount_value),
            cap: self.max_discount_amount,
        }
    }
}

/// Every column an admin sets on a coupon except its code. PATCH merges into the stored coupon
/// and writes the result back whole, so the cross-field rules judge the complete coupon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponDraft {
    pub name: String,
    pub description: Option<String>,
    pub discount_type: DiscountType,
    pub discount_value: i32,
    pub min_order_amount: Option<i64>,
    pub max_discount_amount: Option<i64>,
    pub max_total_redemptions: Option<i32>,
    pub max_redemptions_per_user: Option<i32>,
    pub start_at: OffsetDateTime,
    pub end_at: Option<OffsetDateTime>,
    pub is_active: bool,
}

impl From<&Coupon> for CouponDraft {
    fn from(c: &Coupon) -> Self {
        Self {
            name: c.name.clone(),
            description: c.description.clone(),
            discount_type: c.discount_type,
            discount_value: c.discount_value,
            min_order_amount: c.min_order_amount,
            max_discount_amount: c.max_discount_amount,
            max_total_redemptions: c.max_total_redemptions,
            max_redemptions_per_user: c.max_redemptions_per_user,
            start_at: c.start_at,
            end_at: c.end_at,
            is_active: c.is_active,
        }
    }
}

impl CouponDraft {
    /// The rules between fields: a percentage is at most 100 and a set end lies after the start.
    pub fn problems(&self) -> Vec<FieldError> {
        [
            super::rules::discount_value("", Some(self.discount_type), Some(self.discount_value)),
            super::rules::window("", Some(self.start_at), self.end_at),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// Codes are stored upper-case and matched after trimming, whatever case the customer typed.
pub fn normalize_code(raw: &str) -> String {
    raw.trim().to_uppercase()
}

/// Everything the checks need to know about one coupon besides the request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CouponFacts {
    #[sqlx(flatten)]
    pub coupon: Coupon,
    /// Non-empty = limited to these plans.
    pub plan_ids: Vec<Uuid>,
    /// Non-empty = limited to these users.
    pub user_ids: Vec<Uuid>,
    /// Redemptions not released.
    pub active_redemptions: i64,
    /// The requesting user's redemptions not released (0 when the user is unknown).
    pub user_active_redemptions: i64,
}

/// The order-side facts of a validation or redemption.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub plan_id: Option<Uuid>,
    /// `None` for an anonymous preview: per-user limits cannot be checked, user-restricted
    /// coupons do not apply.
    pub user_id: Option<Uuid>,
    /// The post-promo price the coupon applies to.
    pub amount: i64,
    pub now: OffsetDateTime,
}

/// Why a coupon does not apply, in the order the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    NotFound,
    Inactive,
    BeforeStart,
    Expired,
    PlanNotAllowed,
    UserNotAllowed,
    MinAmountNotMet,
    LimitGlobalReached,
    LimitPerUserReached,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotFound => "NOT_FOUND",
            Reason::Inactive => "INACTIVE",
            Reason::BeforeStart => "BEFORE_START",
            Reason::Expired => "EXPIRED",
            Reason::PlanNotAllowed => "PLAN_NOT_ALLOWED",
            Reason::UserNotAllowed => "USER_NOT_ALLOWED",
            Reason::MinAmountNotMet => "MIN_AMOUNT_NOT_MET",
            Reason::LimitGlobalReached => "LIMIT_GLOBAL_REACHED",
            Reason::LimitPerUserReached => "LIMIT_PER_USER_REACHED",
        }
    }
}

/// A failed check: the reason and, for `MIN_AMOUNT_NOT_MET`, the minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    pub reason: Reason,
    pub min_order_amount: Option<i64>,
}

impl Rejection {
    fn new(reason: Reason) -> Self {
        Self {
            reason,
            min_order_amount: None,
        }
    }

    pub fn message(&self) -> String {
        match self.reason {
            Reason::NotFound => "Kode kupon tidak dikenal".into(),
            Reason::Inactive => "Kupon sedang dinonaktifkan".into(),
            Reason::BeforeStart => "Kupon belum mulai berlaku".into(),
            Reason::Expired => "Masa berlaku kupon sudah habis".into(),
            Reason::PlanNotAllowed => {
                "Kupon ini tidak bisa dipakai untuk paket yang dipilih".into()
            }
            Reason::UserNotAllowed => "Kupon ini tidak tersedia untuk akun Anda".into(),
            Reason::MinAmountNotMet => format!(
                "Kupon berlaku untuk transaksi minimal Rp {}",
                rupiah::thousands(self.min_order_amount.unwrap_or(0))
            ),
            Reason::LimitGlobalReached => "Kuota kupon sudah habis".into(),
            Reason::LimitPerUserReached => {
                "Jatah pemakaian kupon ini untuk akun Anda sudah habis".into()
            }
        }
    }
}

/// A coupon that applies: `amount − discountAmount = finalPrice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub amount: i64,
    pub discount_amount: i64,
    pub final_price: i64,
}

/// Runs the checks of catalog.md §4.4 in their fixed order; the first failure wins.
pub fn evaluate(facts: Option<&CouponFacts>, req: &Request) -> Result<Applied, Rejection> {
    let Some(facts) = facts else {
        return Err(Rejection::new(Reason::NotFound));
    };
    let c = &facts.coupon;
    if !c.is_active {
        return Err(Rejection::new(Reason::Inactive));
    }
    if req.now < c.start_at {
        return Err(Rejection::new(Reason::BeforeStart));
    }
    if c.end_at.is_some_and(|end| req.now > end) {
        return Err(Rejection::new(Reason::Expired));
    }
    if !facts.plan_ids.is_empty() && !req.plan_id.is_some_and(|p| facts.plan_ids.contains(&p)) {
        return Err(Rejection::new(Reason::PlanNotAllowed));
    }
    if !facts.user_ids.is_empty() && !req.user_id.is_some_and(|u| facts.user_ids.contains(&u)) {
        return Err(Rejection::new(Reason::UserNotAllowed));
    }
    if let Some(min) = c.min_order_amount
        && req.amount < min
    {
        return Err(Rejection {
            reason: Reason::MinAmountNotMet,
            min_order_amount: Some(min),
        });
    }
    if let Some(max) = c.max_total_redemptions
        && facts.active_redemptions >= i64::from(max)
    {
        return Err(Rejection::new(Reason::LimitGlobalReached));
    }
    if let (Some(_), Some(max)) = (req.user_id, c.max_redemptions_per_user)
        && facts.user_active_redemptions >= i64::from(max)
    {
        return Err(Rejection::new(Reason::LimitPerUserReached));
    }
    let discount_amount = c.discount().amount_on(req.amount);
    Ok(Applied {
        amount: req.amount,
        discount_amount,
        final_price: req.amount - discount_amount,
    })
}

/// The coupon inside a successful validation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CouponSummary {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub discount_type: DiscountType,
    pub discount_value: i32,
    pub max_discount_amount: Option<i64>,
}

impl From<&Coupon> for CouponSummary {
    fn from(c: &Coupon) -> Self {
        Self {
            id: c.id,
            code: c.code.clone(),
            name: c.name.clone(),
            discount_type: c.discount_type,
            discount_value: c.discount_value,
            max_discount_amount: c.max_discount_amount,
        }
    }
}

/// The Coupon shape of the admin routes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminCoupon {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub discount_type: DiscountType,
    pub discount_value: i32,
    pub min_order_amount: Option<i64>,
    pub max_discount_amount: Option<i64>,
    pub max_total_redemptions: Option<i32>,
    pub max_redemptions_per_user: Option<i32>,
    #[serde(with = "wire")]
    pub start_at: OffsetDateTime,
    #[serde(with = "wire_option")]
    pub end_at: Option<OffsetDateTime>,
    pub is_active: bool,
    pub plan_ids: Vec<Uuid>,
    pub user_ids: Vec<Uuid>,
    /// Redemptions not released.
    pub redemption_count: i64,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "wire")]
    pub updated_at: OffsetDateTime,
}

impl From<&CouponFacts> for AdminCoupon {
    fn from(f: &CouponFacts) -> Self {
        let c = &f.coupon;
        Self {
            id: c.id,
            code: c.code.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            discount_type: c.discount_type,
            discount_value: c.discount_value,
            min_order_amount: c.min_order_amount,
            max_discount_amount: c.max_discount_amount,
            max_total_redemptions: c.max_total_redemptions,
            max_redemptions_per_user: c.max_redemptions_per_user,
            start_at: c.start_at,
            end_at: c.end_at,
            is_active: c.is_active,
            plan_ids: f.plan_ids.clone(),
            user_ids: f.user_ids.clone(),
            redemption_count: f.active_redemptions,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The answer of `POST /catalog/coupons/validate`, sent with `200` whether the coupon applies
/// or not. Both outcomes carry every property; what does not apply is `null`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidationOutcome {
    pub valid: bool,
    pub code: String,
    #[schema(value_type = String, example = "IDR")]
    pub currency: &'static str,
    pub amount: i64,
    pub discount_amount: Option<i64>,
    pub final_price: Option<i64>,
    pub coupon: Option<CouponSummary>,
    pub reason: Option<Reason>,
    pub message: String,
    pub min_order_amount: Option<i64>,
}

impl ValidationOutcome {
    pub fn new(
        code: String,
        amount: i64,
        facts: Option<&CouponFacts>,
        result: Result<Applied, Rejection>,
    ) -> Self {
        match (result, facts) {
            (Ok(applied), Some(facts)) => Self {
                valid: true,
                code: facts.coupon.code.clone(),
                currency: super::pricing::CURRENCY,
                amount: applied.amount,
                discount_amount: Some(applied.discount_amount),
                final_price: Some(applied.final_price),
                coupon: Some(CouponSummary::from(&facts.coupon)),
                reason: None,
                message: "Kupon dapat digunakan".into(),
                min_order_amount: facts.coupon.min_order_amount,
            },
            (Err(rejection), _) => Self {
                valid: false,
                code,
                currency: super::pricing::CURRENCY,
                amount,
                discount_amount: None,
                final_price: None,
                coupon: None,
                reason: Some(rejection.reason),
                message: rejection.message(),
                min_order_amount: rejection.min_order_amount,
            },
            // `evaluate` never applies a coupon it was not given.
            (Ok(_), None) => Self::new(code, amount, None, Err(Rejection::new(Reason::NotFound))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const START: OffsetDateTime = datetime!(2025-01-01 00:00:00 UTC);
    const NOW: OffsetDateTime = datetime!(2026-03-01 00:00:00 UTC);

    fn welcome10() -> CouponFacts {
        CouponFacts {
            coupon: Coupon {
                id: Uuid::from_u128(1),
                code: "WELCOME10".into(),
                name: "Diskon Pengguna Baru 10%".into(),
                description: None,
                discount_type: DiscountType::Percent,
                discount_value: 10,
                min_order_amount: Some(50_000),
                max_discount_amount: Some(100_000),
                max_total_redemptions: Some(1000),
                max_redemptions_per_user: Some(1),
                start_at: START,
                end_at: None,
                is_active: true,
                created_at: START,
                updated_at: START,
            },
            plan_ids: vec![],
            user_ids: vec![],
            active_redemptions: 0,
            user_active_redemptions: 0,
        }
    }

    fn req(amount: i64) -> Request {
        Request {
            plan_id: None,
            user_id: Some(Uuid::from_u128(77)),
            amount,
            now: NOW,
        }
    }

    fn reason(facts: &CouponFacts, req: &Request) -> Reason {
        evaluate(Some(facts), req).expect_err("rejected").reason
    }

    #[test]
    fn the_worked_examples_of_the_spec() {
        let c = welcome10();
        let applied = |amount| evaluate(Some(&c), &req(amount)).expect("applies");
        assert_eq!(
            applied(125_000),
            Applied {
                amount: 125_000,
                discount_amount: 12_500,
                final_price: 112_500
            }
        );
        assert_eq!(applied(300_000).final_price, 270_000);
        assert_eq!(applied(3_825_000).discount_amount, 100_000);
        assert_eq!(applied(3_825_000).final_price, 3_725_000);
    }

    #[test]
    fn percent_coupons_round_down() {
        let mut c = welcome10();
        c.coupon.min_order_amount = None;
        c.coupon.discount_value = 15;
        let a = evaluate(Some(&c), &req(99_999)).expect("applies");
        assert_eq!((a.discount_amount, a.final_price), (14_999, 85_000));
    }

    #[test]
    fn a_hundred_percent_or_oversized_fixed_coupon_makes_it_free_never_negative() {
        let mut c = welcome10();
        c.coupon.min_order_amount = None;
        c.coupon.max_discount_amount = None;
        c.coupon.discount_value = 100;
        assert_eq!(evaluate(Some(&c), &req(85_000)).expect("ok").final_price, 0);
        c.coupon.discount_type = DiscountType::Fixed;
        c.coupon.discount_value = 500_000;
        let a = evaluate(Some(&c), &req(85_000)).expect("ok");
        assert_eq!((a.discount_amount, a.final_price), (85_000, 0));
        assert_eq!(evaluate(Some(&c), &req(0)).expect("ok").final_price, 0);
    }

    #[test]
    fn minimum_amount_is_inclusive_and_its_message_uses_dots() {
        let mut c = welcome10();
        c.coupon.discount_type = DiscountType::Fixed;
        c.coupon.discount_value = 25_000;
        c.coupon.min_order_amount = Some(100_000);
        assert!(evaluate(Some(&c), &req(100_000)).is_ok());
        let r = evaluate(Some(&c), &req(85_000)).expect_err("below");
        assert_eq!(r.reason, Reason::MinAmountNotMet);
        assert_eq!(r.min_order_amount, Some(100_000));
        assert_eq!(
            r.message(),
            "Kupon berlaku untuk transaksi minimal Rp 100.000"
        );
    }

    #[test]
    fn validity_window_edges_are_inclusive() {
        let mut c = welcome10();
        c.coupon.end_at = Some(datetime!(2026-04-30 16:59:59 UTC));
        let at = |now| Request {
            now,
            ..req(300_000)
        };
        let ns = time::Duration::nanoseconds(1);
        assert_eq!(reason(&c, &at(START - ns)), Reason::BeforeStart);
        assert!(evaluate(Some(&c), &at(START)).is_ok());
        assert!(evaluate(Some(&c), &at(datetime!(2026-04-30 16:59:59 UTC))).is_ok());
        assert_eq!(
            reason(&c, &at(datetime!(2026-04-30 16:59:59 UTC) + ns)),
            Reason::Expired
        );
    }

    #[test]
    fn checks_run_in_the_spec_order() {
        let plan = Uuid::from_u128(5);
        let mut c = welcome10();
        c.coupon.is_active = false;
        c.coupon.start_at = datetime!(2027-01-01 00:00:00 UTC);
        c.plan_ids = vec![plan];
        c.active_redemptions = 1000;
        assert_eq!(
            evaluate(None, &req(1)).expect_err("missing").reason,
            Reason::NotFound
        );
        assert_eq!(reason(&c, &req(1)), Reason::Inactive);
        c.coupon.is_active = true;
        assert_eq!(reason(&c, &req(1)), Reason::BeforeStart);
        c.coupon.start_at = START;
        c.coupon.end_at = Some(datetime!(2025-06-01 00:00:00 UTC));
        assert_eq!(reason(&c, &req(1)), Reason::Expired);
        c.coupon.end_at = None;
        assert_eq!(reason(&c, &req(1)), Reason::PlanNotAllowed);
        let with_plan = Request {
            plan_id: Some(plan),
            ..req(1)
        };
        c.user_ids = vec![Uuid::from_u128(99)];
        assert_eq!(reason(&c, &with_plan), Reason::UserNotAllowed);
        c.user_ids.push(Uuid::from_u128(77));
        assert_eq!(reason(&c, &with_plan), Reason::MinAmountNotMet);
        let big = Request {
            amount: 60_000,
            ..with_plan
        };
        assert_eq!(reason(&c, &big), Reason::LimitGlobalReached);
        c.active_redemptions = 999;
        c.user_active_redemptions = 1;
        assert_eq!(reason(&c, &big), Reason::LimitPerUserReached);
        c.user_active_redemptions = 0;
        assert!(evaluate(Some(&c), &big).is_ok());
    }

    #[test]
    fn anonymous_previews_skip_per_user_limits_but_fail_user_restrictions() {
        let mut c = welcome10();
        c.user_active_redemptions = 5;
        let anonymous = Request {
            user_id: None,
            ..req(300_000)
        };
        assert!(evaluate(Some(&c), &anonymous).is_ok());
        c.user_ids = vec![Uuid::from_u128(77)];
        assert_eq!(reason(&c, &anonymous), Reason::UserNotAllowed);
    }

    #[test]
    fn unlimited_coupons_have_no_limits() {
        let mut c = welcome10();
        c.coupon.max_total_redemptions = None;
        c.coupon.max_redemptions_per_user = None;
        c.active_redemptions = 1_000_000;
        c.user_active_redemptions = 1_000;
        assert!(evaluate(Some(&c), &req(300_000)).is_ok());
    }

    #[test]
    fn both_validation_outcomes_carry_every_property() {
        let c = welcome10();
        let keys = |o: &ValidationOutcome| {
            let v = serde_json::to_value(o).expect("json");
            let mut keys: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
            keys.sort();
            keys
        };
        let valid = ValidationOutcome::new(
            "WELCOME10".into(),
            300_000,
            Some(&c),
            evaluate(Some(&c), &req(300_000)),
        );
        let invalid = ValidationOutcome::new("NOPE".into(), 300_000, None, evaluate(None, &req(1)));
        assert_eq!(keys(&valid), keys(&invalid));
        assert_eq!(valid.final_price, Some(270_000));
        assert_eq!(invalid.reason, Some(Reason::NotFound));
        assert_eq!(invalid.message, "Kode kupon tidak dikenal");
        assert_eq!(invalid.code, "NOPE");
    }

    #[test]
    fn drafts_check_percent_and_window() {
        let mut d = CouponDraft::from(&welcome10().coupon);
        assert!(d.problems().is_empty());
        d.discount_value = 101;
        d.end_at = Some(d.start_at);
        let fields: Vec<String> = d.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["discountValue", "endAt"]);
        d.discount_type = DiscountType::Fixed;
        d.end_at = None;
        assert!(
            d.problems().is_empty(),
            "no end is fine, FIXED may exceed 100"
        );
    }

    #[test]
    fn codes_are_trimmed_and_upper_cased() {
        assert_eq!(normalize_code("  welcome10 "), "WELCOME10");
        assert_eq!(normalize_code("Flat25k"), "FLAT25K");
    }
}
