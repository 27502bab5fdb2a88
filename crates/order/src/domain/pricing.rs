//! The pricing snapshot rule (order.md §1.4) and the catalog checks of §6. The catalog computes
//! every price and discount; this module only picks, checks and copies its figures.

use serde::Deserialize;
use uuid::Uuid;

use super::status::PlanDuration;

/// The fields of the catalog's plan that the order service reads (§6).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogPlan {
    pub id: Uuid,
    pub display_name: String,
    pub cpu: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub provider: String,
    pub provider_size_slug: String,
    pub is_active: bool,
    pub pricings: Vec<CatalogPricing>,
}

/// One pricing entry; `duration` stays text so an unknown one from a newer catalog is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogPricing {
    pub duration: String,
    pub price: i64,
    pub promo_discount: i64,
    pub final_price: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogImage {
    pub id: Uuid,
    pub display_name: String,
    pub provider: String,
    pub provider_slug: String,
    pub is_active: bool,
    /// `null` only when no `planId` was sent, which this service never does.
    pub compatible_with_plan: Option<bool>,
}

/// The catalog's answer to a coupon validation (§6).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CouponValidation {
    pub valid: bool,
    pub code: String,
    pub reason: Option<String>,
}

/// The catalog's answer to a redemption (§6).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Redemption {
    pub redemption_id: Uuid,
    pub code: String,
    pub order_id: Uuid,
    pub amount: i64,
    pub discount_amount: i64,
    pub final_price: i64,
}

const PROVIDER: &str = "digitalocean";

/// `INVALID_PLAN` reasons of §4.1; `None` = the plan can be ordered.
pub fn plan_problem(plan: &CatalogPlan) -> Option<&'static str> {
    if !plan.is_active {
        Some("PLAN_INACTIVE")
    } else if !plan.provider.eq_ignore_ascii_case(PROVIDER) {
        Some("PROVIDER_NOT_SUPPORTED")
    } else {
        None
    }
}

/// `INVALID_IMAGE` reasons of §4.1; `None` = the image can be ordered with the plan.
pub fn image_problem(image: &CatalogImage) -> Option<&'static str> {
    if !image.is_active {
        Some("IMAGE_INACTIVE")
    } else if !image.provider.eq_ignore_ascii_case(PROVIDER) {
        Some("PROVIDER_NOT_SUPPORTED")
    } else if image.compatible_with_plan != Some(true) {
        Some("IMAGE_NOT_AVAILABLE_FOR_PLAN")
    } else {
        None
    }
}

/// The pricing entry of `duration`, or the durations the plan does offer (`INVALID_DURATION`;
/// never a fallback to another duration).
pub fn pick_pricing(
    plan: &CatalogPlan,
    duration: PlanDuration,
) -> Result<&CatalogPricing, Vec<String>> {
    plan.pricings
        .iter()
        .find(|p| p.duration == duration.as_str())
        .ok_or_else(|| plan.pricings.iter().map(|p| p.duration.clone()).collect())
}

/// What the order stores (§1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub base_price: i64,
    pub promo_discount: i64,
    pub coupon_code: Option<String>,
    pub coupon_discount: i64,
    pub final_price: i64,
}

/// The catalog's figures broke a consistency check: `503 CATALOG_SERVICE_UNAVAILABLE` with
/// `reason = INVALID_RESPONSE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistent(pub &'static str);

/// The pricing entry's own checks, run before its `finalPrice` is sent as a coupon `amount`.
pub fn check_pricing(p: &CatalogPricing) -> Result<(), Inconsistent> {
    if p.price < 0 || p.promo_discount < 0 || p.final_price < 0 {
        return Err(Inconsistent("negative amount in pricing"));
    }
    if p.promo_discount > p.price {
        return Err(Inconsistent("promoDiscount exceeds price"));
    }
    if p.price.checked_sub(p.promo_discount) != Some(p.final_price) {
        return Err(Inconsistent(
            "pricing finalPrice is not price - promoDiscount",
        ));
    }
    Ok(())
}

/// Copies the catalog's figures into the snapshot after every check of §1.4; never recomputes a
/// discount. Without a coupon the pricing entry's `finalPrice` is the price to pay; with one, the
/// redemption's `discountAmount` and `finalPrice` are.
pub fn snapshot(
    pricing: &CatalogPricing,
    redemption: Option<&Redemption>,
) -> Result<Snapshot, Inconsistent> {
    check_pricing(pricing)?;
    let Some(r) = redemption else {
        return Ok(Snapshot {
            base_price: pricing.price,
            promo_discount: pricing.promo_discount,
            coupon_code: None,
            coupon_discount: 0,
            final_price: pricing.final_price,
        });
    };
    if r.amount < 0 || r.discount_amount < 0 || r.final_price < 0 {
        return Err(Inconsistent("negative amount in redemption"));
    }
    if r.amount != pricing.final_price {
        return Err(Inconsistent(
            "redemption amount differs from the pricing finalPrice",
        ));
    }
    if r.discount_amount > r.amount {
        return Err(Inconsistent("discountAmount exceeds amount"));
    }
    if r.amount.checked_sub(r.discount_amount) != Some(r.final_price) {
        return Err(Inconsistent(
            "redemption finalPrice is not amount - discountAmount",
        ));
    }
    Ok(Snapshot {
        base_price: pricing.price,
        promo_discount: pricing.promo_discount,
        coupon_code: Some(r.code.clone()),
        coupon_discount: r.discount_amount,
        final_price: r.final_price,
    })
}

/// The `PLAN` item's description (§1.4).
pub fn plan_item_description(plan: &CatalogPlan) -> String {
    format!(
        "{} - {} vCPU, {} MB RAM, {} GB SSD",
        plan.display_name, plan.cpu, plan.memory_mb, plan.disk_gb
    )
}

/// `couponCode` of the request (§4.1): `None` for absent/blank, else the trimmed, upper-cased
/// code, or the validation message.
pub fn normalize_coupon(raw: Option<&str>) -> Result<Option<String>, &'static str> {
    let Some(code) = raw.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    if code.chars().count() > 32 {
        return Err("couponCode maksimal 32 karakter");
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err("couponCode hanya boleh berisi huruf, angka, _ dan -");
    }
    Ok(Some(code.to_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pricing(price: i64, promo: i64, fin: i64) -> CatalogPricing {
        CatalogPricing {
            duration: "MONTHLY".into(),
            price,
            promo_discount: promo,
            final_price: fin,
        }
    }

    fn redemption(amount: i64, discount: i64, fin: i64) -> Redemption {
        Redemption {
            redemption_id: Uuid::nil(),
            code: "WELCOME10".into(),
            order_id: Uuid::nil(),
            amount,
            discount_amount: discount,
            final_price: fin,
        }
    }

    #[test]
    fn copies_the_spec_example() {
        let s = snapshot(
            &pricing(375_000, 75_000, 300_000),
            Some(&redemption(300_000, 30_000, 270_000)),
        )
        .expect("consistent");
        assert_eq!(
            s,
            Snapshot {
                base_price: 375_000,
                promo_discount: 75_000,
                coupon_code: Some("WELCOME10".into()),
                coupon_discount: 30_000,
                final_price: 270_000
            }
        );
    }

    #[test]
    fn without_coupon_the_pricing_final_price_is_kept() {
        let s = snapshot(&pricing(150_000, 0, 150_000), None).expect("consistent");
        assert_eq!(s.final_price, 150_000);
        assert_eq!(s.coupon_code, None);
        assert_eq!(s.coupon_discount, 0);
    }

    #[test]
    fn every_inconsistency_is_refused() {
        assert!(snapshot(&pricing(-1, 0, -1), None).is_err());
        assert!(snapshot(&pricing(100, 200, -100), None).is_err());
        assert!(snapshot(&pricing(100, 10, 95), None).is_err());
        let p = pricing(100, 10, 90);
        assert!(
            snapshot(&p, Some(&redemption(100, 10, 90))).is_err(),
            "amount"
        );
        assert!(
            snapshot(&p, Some(&redemption(90, 91, -1))).is_err(),
            "negative"
        );
        assert!(
            snapshot(&p, Some(&redemption(90, 100, 0))).is_err(),
            "discount > amount"
        );
        assert!(
            snapshot(&p, Some(&redemption(90, 10, 81))).is_err(),
            "final"
        );
        assert!(
            snapshot(&p, Some(&redemption(90, 90, 0))).is_ok(),
            "free is fine"
        );
    }

    fn plan() -> CatalogPlan {
        CatalogPlan {
            id: Uuid::nil(),
            display_name: "VPS Standard".into(),
            cpu: 2,
            memory_mb: 2048,
            disk_gb: 60,
            provider: "DigitalOcean".into(),
            provider_size_slug: "s-2vcpu-2gb".into(),
            is_active: true,
            pricings: vec![pricing(1, 0, 1), {
                let mut p = pricing(10, 0, 10);
                p.duration = "ANNUAL".into();
                p
            }],
        }
    }

    #[test]
    fn plan_checks() {
        let mut p = plan();
        assert_eq!(
            plan_problem(&p),
            None,
            "provider compared case-insensitively"
        );
        p.provider = "vultr".into();
        assert_eq!(plan_problem(&p), Some("PROVIDER_NOT_SUPPORTED"));
        p.is_active = false;
        assert_eq!(plan_problem(&p), Some("PLAN_INACTIVE"));
        assert_eq!(
            plan_item_description(&plan()),
            "VPS Standard - 2 vCPU, 2048 MB RAM, 60 GB SSD"
        );
    }

    #[test]
    fn duration_is_picked_exactly() {
        let p = plan();
        assert!(pick_pricing(&p, PlanDuration::Monthly).is_ok());
        assert_eq!(
            pick_pricing(&p, PlanDuration::Quarterly),
            Err(vec!["MONTHLY".to_string(), "ANNUAL".to_string()])
        );
    }

    #[test]
    fn image_checks() {
        let mut i = CatalogImage {
            id: Uuid::nil(),
            display_name: "Ubuntu".into(),
            provider: "digitalocean".into(),
            provider_slug: "ubuntu-22-04-x64".into(),
            is_active: true,
            compatible_with_plan: Some(true),
        };
        assert_eq!(image_problem(&i), None);
        i.compatible_with_plan = Some(false);
        assert_eq!(image_problem(&i), Some("IMAGE_NOT_AVAILABLE_FOR_PLAN"));
        i.provider = "aws".into();
        assert_eq!(image_problem(&i), Some("PROVIDER_NOT_SUPPORTED"));
        i.is_active = false;
        assert_eq!(image_problem(&i), Some("IMAGE_INACTIVE"));
    }

    #[test]
    fn coupon_codes_are_normalised() {
        assert_eq!(normalize_coupon(None), Ok(None));
        assert_eq!(normalize_coupon(Some("   ")), Ok(None));
        assert_eq!(
            normalize_coupon(Some(" hemat-20_x ")),
            Ok(Some("HEMAT-20_X".into()))
        );
        assert!(normalize_coupon(Some(&"A".repeat(33))).is_err());
        assert!(normalize_coupon(Some("no spaces")).is_err());
        assert!(normalize_coupon(Some("ÄBC")).is_err());
    }
}
