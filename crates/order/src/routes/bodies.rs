//! Request bodies and query strings, read strictly field by field (every field is read before
//! the result is assembled, so all problems of one request are reported together).

use platform::extract::{FromJson, FromQuery, JsonFields, QueryFields};
use platform::pagination::PageQuery;
use time::OffsetDateTime;

use crate::domain::payment::PaymentEvent;
use crate::domain::pricing::normalize_coupon;
use crate::domain::status::{OrderStatus, PlanDuration};
use crate::flows::create::CreateOrder;

pub struct CreateBody(pub CreateOrder);

// Documentation only: `CreateBody`'s parser decides what is accepted; keep the two in step.
/// What to order: a plan, an image offered for it, a billing duration and optionally a coupon.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
// The example is the demo catalog's basic plan with Ubuntu 22.04 (catalog spec §9): Swagger UI's
// "Try it out" and scripts/fuzz.sh create a real order with it on a development platform.
#[schema(as = CreateOrderBody, example = json!({
    "planId": "a1000000-0000-4000-8000-000000000002",
    "imageId": "b1000000-0000-4000-8000-000000000001",
    "duration": "MONTHLY"
}))]
#[allow(dead_code)]
pub struct CreateOrderRequest {
    plan_id: uuid::Uuid,
    image_id: uuid::Uuid,
    duration: DurationName,
    /// Trimmed, then 1–32 of `A–Z a–z 0–9 _ -`, upper-cased before use; `null` or blank means
    /// no coupon (order.md §4.1).
    #[schema(pattern = r"^\s*[A-Za-z0-9_-]{0,32}\s*$")]
    coupon_code: Option<String>,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = PlanDuration)]
#[allow(dead_code)]
pub enum DurationName {
    Monthly,
    Quarterly,
    SemiAnnual,
    Annual,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = OrderStatus)]
#[allow(dead_code)]
pub enum OrderStatusName {
    PendingPayment,
    Paid,
    Provisioning,
    Active,
    Failed,
    Canceled,
}

// Documentation only: `PaymentBody`'s parser decides what is accepted; keep the two in step.
/// The payment outcome billing reports for an order.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = PaymentStatusBody)]
#[allow(dead_code)]
pub struct PaymentStatusRequest {
    status: PaymentEventName,
    /// Printable ASCII.
    #[schema(min_length = 1, max_length = 100, pattern = r"^[ -~]*$")]
    reference: Option<String>,
    /// At most 5 minutes in the future.
    paid_at: Option<time::OffsetDateTime>,
    #[schema(max_length = 1000)]
    notes: Option<String>,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code)]
pub enum PaymentEventName {
    Paid,
    PaymentFailed,
}

impl FromJson for CreateBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let plan_id = f.uuid("planId");
        let image_id = f.uuid("imageId");
        let duration = req_enum(f, "duration", &PlanDuration::NAMES, PlanDuration::parse);
        let raw_coupon = f.opt_string("couponCode");
        let coupon_code = match normalize_coupon(raw_coupon.as_deref()) {
            Ok(code) => Some(code),
            Err(message) => {
                f.problem("couponCode", message);
                None
            }
        };
        Some(CreateBody(CreateOrder {
            plan_id: plan_id?,
            image_id: image_id?,
            duration: duration?,
            coupon_code: coupon_code?,
        }))
    }
}

/// A required string that must be one of `names`.
fn req_enum<T>(
    f: &mut JsonFields,
    name: &str,
    names: &[&str],
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    let raw = f.string(name)?;
    let value = parse(&raw);
    if value.is_none() {
        f.problem(
            name,
            format!("{name} harus salah satu dari: {}", names.join(", ")),
        );
    }
    value
}

pub struct PaymentBody {
    pub event: PaymentEvent,
    pub reference: Option<String>,
    pub paid_at: Option<OffsetDateTime>,
    pub notes: Option<String>,
}

impl FromJson for PaymentBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let event = match f.string("status") {
            Some(raw) => {
                let event = PaymentEvent::parse(&raw);
                if event.is_none() {
                    f.problem("status", "status harus PAID atau PAYMENT_FAILED");
                }
                event
            }
            None => None,
        };
        let reference = f.opt_string("reference");
        let reference_ok = match &reference {
            Some(r) if r.is_empty() || r.chars().count() > 100 => {
                f.problem("reference", "reference harus 1-100 karakter");
                false
            }
            Some(r) if !r.chars().all(|c| c.is_ascii_graphic() || c == ' ') => {
                f.problem(
                    "reference",
                    "reference hanya boleh berisi karakter yang dapat dicetak",
                );
                false
            }
            _ => true,
        };
        let paid_at = match f.opt_string("paidAt") {
            Some(raw) => {
                let parsed = platform::time_format::parse(&raw);
                if parsed.is_none() {
                    f.problem("paidAt", "paidAt harus berupa tanggal ISO 8601");
                }
                parsed.map(Some)
            }
            None => Some(None),
        };
        let notes = f.opt_string("notes");
        let notes_ok = notes.as_ref().is_none_or(|n| n.chars().count() <= 1000);
        if !notes_ok {
            f.problem("notes", "notes maksimal 1000 karakter");
        }
        if !(reference_ok && notes_ok) {
            return None;
        }
        Some(PaymentBody {
            event: event?,
            reference,
            paid_at: paid_at?,
            notes,
        })
    }
}

/// `page`, `limit`, `status` of `GET /orders`.
pub struct UserListQuery {
    pub page: PageQuery,
    pub status: Option<OrderStatus>,
}

impl FromQuery for UserListQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let status = q
            .one_of("status", &OrderStatus::NAMES)
            .and_then(|s| OrderStatus::parse(&s));
        Some(UserListQuery { page, status })
    }
}

/// The internal list adds `userId` and `expiresBefore` (§4.5).
pub struct AdminListQuery {
    pub page: PageQuery,
    pub status: Option<OrderStatus>,
    pub user_id: Option<String>,
    pub expires_before: Option<OffsetDateTime>,
}

impl FromQuery for AdminListQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let status = q
            .one_of("status", &OrderStatus::NAMES)
            .and_then(|s| OrderStatus::parse(&s));
        let user_id = q.string("userId");
        if user_id.as_ref().is_some_and(|u| u.chars().count() > 128) {
            q.problem("userId", "userId maksimal 128 karakter");
        }
        let expires_before = q.string("expiresBefore").and_then(|raw| {
            let parsed = platform::time_format::parse(&raw);
            if parsed.is_none() {
                q.problem(
                    "expiresBefore",
                    "expiresBefore harus berupa tanggal ISO 8601",
                );
            }
            parsed
        });
        Some(AdminListQuery {
            page,
            status,
            user_id,
            expires_before,
        })
    }
}
