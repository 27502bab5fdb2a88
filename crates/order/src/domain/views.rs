//! Stored rows and the representations of order.md §3.

use platform::time_format::{wire, wire_option};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::status::OrderStatus;

/// One `orders` row; enum columns are read as text (`status::text`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub user_id: String,
    pub plan_id: Uuid,
    pub plan_name: String,
    pub image_id: Uuid,
    pub image_name: String,
    pub duration: String,
    pub provider_size_slug: String,
    pub provider_image_slug: String,
    pub base_price: i64,
    pub promo_discount: i64,
    pub coupon_code: Option<String>,
    pub coupon_discount: i64,
    pub final_price: i64,
    pub currency: String,
    pub status: String,
    pub payment_reference: Option<String>,
    pub paid_at: Option<OffsetDateTime>,
    pub canceled_at: Option<OffsetDateTime>,
    pub payment_deadline: OffsetDateTime,
    pub activated_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl OrderRow {
    /// The column is a PostgreSQL enum of exactly these names, so parsing cannot fail for a row
    /// this service wrote; an unknown value would be a schema drift worth a 500.
    pub fn status(&self) -> Result<OrderStatus, platform::AppError> {
        OrderStatus::parse(&self.status).ok_or_else(|| {
            platform::AppError::internal(anyhow::anyhow!("unknown order status {}", self.status))
        })
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemRow {
    pub id: Uuid,
    pub item_type: String,
    pub reference_id: Uuid,
    pub description: String,
    pub unit_price: i64,
    pub quantity: i32,
    pub total_price: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: Uuid,
    pub status: String,
    pub do_region: String,
    pub do_size: String,
    pub do_image: String,
    pub droplet_id: Option<String>,
    pub droplet_name: Option<String>,
    pub droplet_status: Option<String>,
    pub ipv4_public: Option<String>,
    pub ipv4_private: Option<String>,
    pub droplet_tags: Vec<String>,
    pub droplet_created_at: Option<OffsetDateTime>,
    pub abandoned_droplet_ids: Vec<String>,
    pub attempts: i32,
    pub retry_count: i32,
    pub next_poll_at: Option<OffsetDateTime>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_detail: Option<String>,
    pub started_at: Option<OffsetDateTime>,
    pub completed_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRow {
    pub id: Uuid,
    pub previous_status: Option<String>,
    pub new_status: String,
    pub actor: String,
    pub reason: Option<String>,
    pub metadata: Option<Value>,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
}

/// One row of `jobs` as the admin detail shows it: never the payload (§3.3).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRow {
    pub id: Uuid,
    pub queue: String,
    pub event: Option<String>,
    pub state: String,
    pub attempts: i32,
    pub dead_reason: Option<String>,
    pub last_error: Option<String>,
    #[serde(with = "wire")]
    pub run_at: OffsetDateTime,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "wire_option")]
    pub done_at: Option<OffsetDateTime>,
}

/// A list row (§3.2): the order plus the task's public IPv4.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    pub id: Uuid,
    pub user_id: String,
    pub status: String,
    pub plan_id: Uuid,
    pub plan_name: String,
    pub image_id: Uuid,
    pub image_name: String,
    pub duration: String,
    pub final_price: i64,
    pub currency: String,
    pub ipv4_public: Option<String>,
    #[serde(with = "wire_option")]
    pub paid_at: Option<OffsetDateTime>,
    #[serde(with = "wire_option")]
    pub activated_at: Option<OffsetDateTime>,
    #[serde(with = "wire_option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PricingView {
    pub base_price: i64,
    pub promo_discount: i64,
    pub coupon_code: Option<String>,
    pub coupon_discount: i64,
    pub final_price: i64,
    pub currency: String,
}

/// The task as its owner sees it (§3.1).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    pub status: String,
    pub droplet_id: Option<String>,
    pub droplet_name: Option<String>,
    pub droplet_status: Option<String>,
    pub ipv4_public: Option<String>,
    pub ipv4_private: Option<String>,
    pub do_region: String,
    pub do_size: String,
    pub do_image: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    #[serde(with = "wire_option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "wire_option")]
    pub completed_at: Option<OffsetDateTime>,
}

impl From<&TaskRow> for TaskView {
    fn from(t: &TaskRow) -> Self {
        Self {
            status: t.status.clone(),
            droplet_id: t.droplet_id.clone(),
            droplet_name: t.droplet_name.clone(),
            droplet_status: t.droplet_status.clone(),
            ipv4_public: t.ipv4_public.clone(),
            ipv4_private: t.ipv4_private.clone(),
            do_region: t.do_region.clone(),
            do_size: t.do_size.clone(),
            do_image: t.do_image.clone(),
            error_code: t.error_code.clone(),
            error_message: t.error_message.clone(),
            started_at: t.started_at,
            completed_at: t.completed_at,
        }
    }
}

/// The task as the back office sees it (§3.3); the root password is never part of it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminTaskView {
    pub id: Uuid,
    #[serde(flatten)]
    pub public: TaskView,
    pub attempts: i32,
    pub max_attempts: u32,
    pub retry_count: i32,
    #[serde(with = "wire_option")]
    pub next_poll_at: Option<OffsetDateTime>,
    pub droplet_tags: Vec<String>,
    #[serde(with = "wire_option")]
    pub droplet_created_at: Option<OffsetDateTime>,
    pub error_detail: Option<String>,
    pub abandoned_droplet_ids: Vec<String>,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "wire")]
    pub updated_at: OffsetDateTime,
}

impl AdminTaskView {
    pub fn new(t: &TaskRow, max_attempts: u32) -> Self {
        Self {
            id: t.id,
            public: TaskView::from(t),
            attempts: t.attempts,
            max_attempts,
            retry_count: t.retry_count,
            next_poll_at: t.next_poll_at,
            droplet_tags: t.droplet_tags.clone(),
            droplet_created_at: t.droplet_created_at,
            error_detail: t.error_detail.clone(),
            abandoned_droplet_ids: t.abandoned_droplet_ids.clone(),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// The order of the user routes (§3.1); every key is always present. `T` is the provisioning
/// task's representation: the user's, or the admin's richer one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderBody<T> {
    pub id: Uuid,
    pub user_id: String,
    pub status: String,
    pub duration: String,
    pub plan_id: Uuid,
    pub plan_name: String,
    pub image_id: Uuid,
    pub image_name: String,
    pub pricing: PricingView,
    pub items: Vec<ItemRow>,
    /// `null` until the order is paid. Inlined: utoipa drops the `null` of a referenced generic
    /// `Option<T>` (`OrderBody<AdminTaskView>` documented a required object).
    #[schema(inline)]
    pub provisioning_task: Option<T>,
    #[serde(with = "wire_option")]
    pub paid_at: Option<OffsetDateTime>,
    #[serde(with = "wire_option")]
    pub activated_at: Option<OffsetDateTime>,
    #[serde(with = "wire_option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "wire_option")]
    pub canceled_at: Option<OffsetDateTime>,
    #[serde(with = "wire")]
    pub payment_deadline: OffsetDateTime,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "wire")]
    pub updated_at: OffsetDateTime,
}

pub type OrderView = OrderBody<TaskView>;

impl<T> OrderBody<T> {
    pub fn with_task(o: &OrderRow, items: Vec<ItemRow>, provisioning_task: Option<T>) -> Self {
        Self {
            id: o.id,
            user_id: o.user_id.clone(),
            status: o.status.clone(),
            duration: o.duration.clone(),
            plan_id: o.plan_id,
            plan_name: o.plan_name.clone(),
            image_id: o.image_id,
            image_name: o.image_name.clone(),
            pricing: PricingView {
                base_price: o.base_price,
                promo_discount: o.promo_discount,
                coupon_code: o.coupon_code.clone(),
                coupon_discount: o.coupon_discount,
                final_price: o.final_price,
                currency: o.currency.clone(),
            },
            items,
            provisioning_task,
            paid_at: o.paid_at,
            activated_at: o.activated_at,
            expires_at: o.expires_at,
            canceled_at: o.canceled_at,
            payment_deadline: o.payment_deadline,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

impl OrderView {
    pub fn new(o: &OrderRow, items: Vec<ItemRow>, task: Option<&TaskRow>) -> Self {
        Self::with_task(o, items, task.map(TaskView::from))
    }
}

/// The admin detail (§3.3): the user representation plus the back-office fields.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminOrderView {
    #[serde(flatten)]
    pub order: OrderBody<AdminTaskView>,
    pub payment_reference: Option<String>,
    pub status_history: Vec<HistoryRow>,
    pub jobs: Vec<JobRow>,
}

/// What the admin detail is built from.
#[derive(Debug, Clone)]
pub struct AdminParts {
    pub order: OrderRow,
    pub items: Vec<ItemRow>,
    pub task: Option<TaskRow>,
    pub history: Vec<HistoryRow>,
    pub jobs: Vec<JobRow>,
}

impl AdminOrderView {
    pub fn new(p: AdminParts, max_attempts: u32) -> Self {
        let task = p.task.as_ref().map(|t| AdminTaskView::new(t, max_attempts));
        Self {
            order: OrderBody::with_task(&p.order, p.items, task),
            payment_reference: p.order.payment_reference.clone(),
            status_history: p.history,
            jobs: p.jobs,
        }
    }
}

/// The answer of a payment-status call (§4.4).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentStatusView {
    pub id: Uuid,
    pub status: String,
    pub previous_status: String,
    #[serde(with = "wire_option")]
    pub paid_at: Option<OffsetDateTime>,
    pub payment_reference: Option<String>,
    pub replayed: bool,
    #[serde(with = "wire")]
    pub updated_at: OffsetDateTime,
}
