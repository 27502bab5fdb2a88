//! VPS plans (catalog.md §4.1, §5): the row and the PublicPlan / AdminPlan shapes.

use platform::time_format::wire;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::bandwidth::Bandwidth;
use super::pricing::{AdminPricing, Pricing, PublicPricing};
use super::promo::{AdminPromo, Promo, PublicPromo};

/// The only provider of v1.
pub const PROVIDER: &str = "digitalocean";

/// A non-deleted `vps_plans` row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Plan {
    pub id: Uuid,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub cpu: i32,
    pub memory_mb: i32,
    pub disk_gb: i32,
    /// `bandwidth_tb × 100`, selected as an integer.
    pub bandwidth_centi: i64,
    pub provider: String,
    pub provider_size_slug: String,
    pub is_active: bool,
    pub sort_order: i32,
    pub tags: Vec<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicPlan {
    pub id: Uuid,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub cpu: i32,
    pub memory_mb: i32,
    pub disk_gb: i32,
    /// Terabytes, at most two decimals.
    #[schema(value_type = f64, minimum = 0, maximum = 999999.99)]
    pub bandwidth_tb: Bandwidth,
    pub provider: String,
    pub provider_size_slug: String,
    pub is_active: bool,
    pub sort_order: i32,
    pub tags: Vec<String>,
    /// Active rows only, MONTHLY → ANNUAL.
    pub pricings: Vec<PublicPricing>,
    /// Running promos only.
    pub promos: Vec<PublicPromo>,
}

impl PublicPlan {
    /// `pricings` and `promos` are this plan's rows, in any order and state: the public view
    /// keeps what a customer may see.
    pub fn new(plan: &Plan, pricings: &[Pricing], promos: &[Promo], now: OffsetDateTime) -> Self {
        let mut sellable: Vec<&Pricing> = pricings.iter().filter(|p| p.is_active).collect();
        sellable.sort_by_key(|p| p.duration);
        let mut running: Vec<&Promo> = promos.iter().filter(|p| p.is_running(now)).collect();
        running.sort_by(|a, b| a.start_at.cmp(&b.start_at).then(a.id.cmp(&b.id)));
        Self {
            id: plan.id,
            name: plan.name.clone(),
            display_name: plan.display_name.clone(),
            description: plan.description.clone(),
            cpu: plan.cpu,
            memory_mb: plan.memory_mb,
            disk_gb: plan.disk_gb,
            bandwidth_tb: Bandwidth(plan.bandwidth_centi),
            provider: plan.provider.clone(),
            provider_size_slug: plan.provider_size_slug.clone(),
            is_active: plan.is_active,
            sort_order: plan.sort_order,
            tags: plan.tags.clone(),
            pricings: sellable
                .into_iter()
                .map(|p| PublicPricing::new(p, promos, now))
                .collect(),
            promos: running.into_iter().map(PublicPromo::from).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminPlan {
    pub id: Uuid,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub cpu: i32,
    pub memory_mb: i32,
    pub disk_gb: i32,
    /// Terabytes, at most two decimals.
    #[schema(value_type = f64, minimum = 0, maximum = 999999.99)]
    pub bandwidth_tb: Bandwidth,
    pub provider: String,
    pub provider_size_slug: String,
    pub is_active: bool,
    pub sort_order: i32,
    pub tags: Vec<String>,
    /// The allow-list; `[]` = every image.
    pub image_ids: Vec<Uuid>,
    /// Every row, MONTHLY → ANNUAL.
    pub pricings: Vec<AdminPricing>,
    /// Every row, by start.
    pub promos: Vec<AdminPromo>,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "wire")]
    pub updated_at: OffsetDateTime,
}

impl AdminPlan {
    pub fn new(
        plan: &Plan,
        pricings: &[Pricing],
        promos: &[Promo],
        image_ids: Vec<Uuid>,
        now: OffsetDateTime,
    ) -> Self {
        let mut all: Vec<&Pricing> = pricings.iter().collect();
        all.sort_by_key(|p| p.duration);
        let mut by_start: Vec<&Promo> = promos.iter().collect();
        by_start.sort_by(|a, b| a.start_at.cmp(&b.start_at).then(a.id.cmp(&b.id)));
        Self {
            id: plan.id,
            name: plan.name.clone(),
            display_name: plan.display_name.clone(),
            description: plan.description.clone(),
            cpu: plan.cpu,
            memory_mb: plan.memory_mb,
            disk_gb: plan.disk_gb,
            bandwidth_tb: Bandwidth(plan.bandwidth_centi),
            provider: plan.provider.clone(),
            provider_size_slug: plan.provider_size_slug.clone(),
            is_active: plan.is_active,
            sort_order: plan.sort_order,
            tags: plan.tags.clone(),
            image_ids,
            pricings: all
                .into_iter()
                .map(|p| AdminPricing::new(p, promos, now))
                .collect(),
            promos: by_start
                .into_iter()
                .map(|p| AdminPromo::new(p, now))
                .collect(),
            created_at: plan.created_at,
            updated_at: plan.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::terms::PlanDuration;
    use time::macros::datetime;

    fn plan() -> Plan {
        Plan {
            id: Uuid::from_u128(1),
            name: "nano".into(),
            display_name: "VPS Nano".into(),
            description: None,
            cpu: 1,
            memory_mb: 512,
            disk_gb: 10,
            bandwidth_centi: 50,
            provider: PROVIDER.into(),
            provider_size_slug: "s-1vcpu-512mb-10gb".into(),
            is_active: true,
            sort_order: 1,
            tags: vec!["starter".into()],
            created_at: datetime!(2025-01-01 00:00:00 UTC),
            updated_at: datetime!(2025-01-01 00:00:00 UTC),
        }
    }

    fn pricing(id: u128, duration: PlanDuration, price: i64, active: bool) -> Pricing {
        Pricing {
            id: Uuid::from_u128(id),
            plan_id: Uuid::from_u128(1),
            duration,
            price,
            cost: price / 2,
            is_active: active,
            created_at: datetime!(2025-01-01 00:00:00 UTC),
            updated_at: datetime!(2025-01-01 00:00:00 UTC),
        }
    }

    #[test]
    fn public_view_hides_cost_and_inactive_pricings_and_sorts_durations() {
        let now = datetime!(2026-01-01 00:00:00 UTC);
        let pricings = [
            pricing(2, PlanDuration::Annual, 867_000, true),
            pricing(3, PlanDuration::Quarterly, 250_000, false),
            pricing(1, PlanDuration::Monthly, 85_000, true),
        ];
        let view = PublicPlan::new(&plan(), &pricings, &[], now);
        let json = serde_json::to_value(&view).expect("json");
        assert!(!json.to_string().contains("cost"), "{json}");
        assert_eq!(json["bandwidthTb"], serde_json::json!(0.5));
        let durations: Vec<&str> = json["pricings"]
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|p| p["duration"].as_str())
            .collect();
        assert_eq!(durations, vec!["MONTHLY", "ANNUAL"]);
        assert_eq!(json["pricings"][1]["pricePerMonth"], 72_250);
        assert_eq!(json["pricings"][0]["activePromo"], serde_json::Value::Null);

        let admin = AdminPlan::new(&plan(), &pricings, &[], vec![], now);
        let json = serde_json::to_value(&admin).expect("json");
        assert_eq!(json["pricings"].as_array().map(Vec::len), Some(3));
        assert_eq!(json["pricings"][0]["cost"], 42_500);
        assert_eq!(json["imageIds"], serde_json::json!([]));
    }
}
