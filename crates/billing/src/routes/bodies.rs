//! Request bodies and query strings, read strictly field by field (every field is read before
//! the result is assembled, so all problems of one request are reported together).

use platform::extract::{FromJson, FromQuery, JsonFields, QueryFields};
use platform::pagination::PageQuery;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::channels;
use crate::domain::status::InvoiceStatus;

// The document's view of invoice creation; `CreateBody`'s parser is the authority.
/// Invoice creation (§4.1, §5.2).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = CreateInvoiceBody)]
#[allow(dead_code)]
pub struct CreateInvoiceRequest {
    order_id: Uuid,
}

// The document's view of `pay`; `PayBody`'s parser is the authority.
/// A payment on one channel (§4.4).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = PayInvoiceBody)]
#[allow(dead_code)]
pub struct PayInvoiceRequest {
    /// A PaymentChannel (`BRI_VA`) or its Tripay code (`BRIVA`), case-insensitive; an unknown
    /// name is `PAYMENT_CHANNEL_INVALID`.
    #[schema(max_length = 50, example = "BRI_VA")]
    channel: String,
    /// Trimmed; 1–100 characters, not blank. Default: the auth profile's name, else the e-mail's
    /// local part.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    customer_name: Option<String>,
    /// Trimmed, then 8–15 digits with an optional leading `+`. Default: the auth profile's
    /// phone number, else none.
    #[schema(pattern = r"^\s*\+?[0-9]{8,15}\s*$")]
    customer_phone: Option<String>,
    /// Where Tripay sends the customer back. Must start with the service's configured
    /// `CUSTOMER_WEB_BASE_URL` (compared as a plain, case-sensitive string prefix, e.g.
    /// `http://localhost:4200` on a development platform), else `VALIDATION_ERROR` on
    /// `returnUrl`; since that setting is always an `http://` or `https://` URL, so is every
    /// accepted value. Default `{CUSTOMER_WEB_BASE_URL}/invoices/{id}`.
    #[schema(max_length = 2048, pattern = r"^https?://")]
    return_url: Option<String>,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = InvoiceStatus)]
#[allow(dead_code)]
pub enum InvoiceStatusName {
    Pending,
    Paid,
    Expired,
    Cancelled,
}

/// Which date `from` and `to` of the transaction list apply to.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = TransactionDateField)]
#[allow(dead_code)]
pub enum DateFieldName {
    CreatedAt,
    PaidAt,
}

/// `channel` of the transaction list: a PaymentChannel or its Tripay code (the static table of
/// `domain::channels`), case-insensitive, surrounding whitespace ignored; anything else is a
/// `VALIDATION_ERROR`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[schema(as = TransactionChannelFilter)]
#[allow(dead_code)]
pub enum ChannelFilterName {
    #[serde(rename = "BCA_VA")]
    BcaVa,
    #[serde(rename = "BCAVA")]
    BcaVaCode,
    #[serde(rename = "BNI_VA")]
    BniVa,
    #[serde(rename = "BNIVA")]
    BniVaCode,
    #[serde(rename = "BRI_VA")]
    BriVa,
    #[serde(rename = "BRIVA")]
    BriVaCode,
    #[serde(rename = "MANDIRI_VA")]
    MandiriVa,
    #[serde(rename = "MANDIRIVA")]
    MandiriVaCode,
    #[serde(rename = "PERMATA_VA")]
    PermataVa,
    #[serde(rename = "PERMATAVA")]
    PermataVaCode,
    #[serde(rename = "BSI_VA")]
    BsiVa,
    #[serde(rename = "BSIVA")]
    BsiVaCode,
    #[serde(rename = "CIMB_VA")]
    CimbVa,
    #[serde(rename = "CIMBVA")]
    CimbVaCode,
    #[serde(rename = "MUAMALAT_VA")]
    MuamalatVa,
    #[serde(rename = "MUAMALATVA")]
    MuamalatVaCode,
    #[serde(rename = "QRIS")]
    Qris,
    #[serde(rename = "QRISC")]
    Qrisc,
    #[serde(rename = "OVO")]
    Ovo,
    #[serde(rename = "DANA")]
    Dana,
    #[serde(rename = "SHOPEEPAY")]
    Shopeepay,
    #[serde(rename = "GOPAY")]
    Gopay,
    #[serde(rename = "ALFAMART")]
    Alfamart,
    #[serde(rename = "INDOMARET")]
    Indomaret,
    #[serde(rename = "ALFAMIDI")]
    Alfamidi,
}

/// A body that must be empty or `{}`.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EmptyBody)]
pub struct EmptyRequest {}

// The document's view of the callback; `tripay::Callback::parse` is the authority.
/// Tripay's payment callback (integrations.md §1.5), in Tripay's snake_case. Integer fields also
/// accept numeric strings; fields Tripay adds later are ignored.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[schema(as = TripayCallbackBody)]
#[allow(dead_code)]
pub struct TripayCallbackRequest {
    /// Tripay's transaction reference.
    #[schema(example = "T1234500000000000001")]
    reference: String,
    /// The invoice number, with `-<n>` from the second payment attempt on.
    #[schema(example = "INV-20250115-7KQ3")]
    merchant_ref: Option<String>,
    /// The channel's display name.
    payment_method: Option<String>,
    /// The channel's Tripay code, e.g. `BRIVA`.
    payment_method_code: Option<String>,
    /// What the customer paid.
    total_amount: i64,
    fee_merchant: Option<i64>,
    fee_customer: Option<i64>,
    total_fee: Option<i64>,
    /// Net for the merchant.
    amount_received: Option<i64>,
    /// `1` for a closed payment; `0` (open payment) is acknowledged and ignored.
    #[schema(minimum = 0, maximum = 1)]
    is_closed_payment: i64,
    /// `PAID`, `EXPIRED`, `FAILED` or `REFUND` (case-insensitive); others are acknowledged and
    /// ignored.
    status: String,
    /// Unix seconds of the payment.
    paid_at: Option<i64>,
    note: Option<String>,
}

/// `{"orderId"}` of invoice creation (§4.1, §5.2).
pub struct CreateBody {
    pub order_id: Uuid,
}

impl FromJson for CreateBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let order_id = f.uuid("orderId");
        Some(Self {
            order_id: order_id?,
        })
    }
}

/// The body of `pay` (§4.4); the channel name is normalized by the pay flow after the
/// ownership, status and deadline checks (behaviour steps 1–3), which answers an unknown one
/// with `PAYMENT_CHANNEL_INVALID` rather than a validation error.
pub struct PayBody {
    pub channel: String,
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
    pub return_url: Option<String>,
}

fn is_phone(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

impl FromJson for PayBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let channel = f.string("channel");
        let customer_name = f.opt_string("customerName").map(|n| n.trim().to_owned());
        let customer_phone = f.opt_string("customerPhone").map(|p| p.trim().to_owned());
        let return_url = f.opt_string("returnUrl");
        let mut ok = true;
        if customer_name
            .as_ref()
            .is_some_and(|n| !(1..=100).contains(&n.chars().count()))
        {
            f.problem("customerName", "customerName harus 1–100 karakter");
            ok = false;
        }
        if customer_phone.as_ref().is_some_and(|p| !is_phone(p)) {
            f.problem(
                "customerPhone",
                "customerPhone harus 8–15 digit, boleh diawali +",
            );
            ok = false;
        }
        if return_url
            .as_ref()
            .is_some_and(|u| u.chars().count() > 2048)
        {
            f.problem("returnUrl", "returnUrl maksimal 2048 karakter");
            ok = false;
        }
        if channel.as_ref().is_some_and(|c| c.chars().count() > 50) {
            f.problem("channel", "channel maksimal 50 karakter");
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(Self {
            channel: channel?,
            customer_name,
            customer_phone,
            return_url,
        })
    }
}

/// `page`, `limit`, `status`, `orderId` of `GET /invoices` (§4.2).
pub struct UserListQuery {
    pub page: PageQuery,
    pub status: Option<InvoiceStatus>,
    pub order_id: Option<Uuid>,
}

impl FromQuery for UserListQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let status = q
            .one_of("status", &InvoiceStatus::NAMES)
            .and_then(|s| InvoiceStatus::parse(&s));
        let order_id = q.uuid("orderId");
        Some(Self {
            page,
            status,
            order_id,
        })
    }
}

/// `amount` of the channel list (§4.5).
pub struct ChannelsQuery {
    pub amount: Option<i64>,
}

impl FromQuery for ChannelsQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let amount = q.string("amount").and_then(|raw| {
            let parsed = raw.trim().parse::<i64>().ok().filter(|a| *a > 0);
            if parsed.is_none() {
                q.problem("amount", "amount harus bilangan bulat positif");
            }
            parsed
        });
        Some(Self { amount })
    }
}

/// The filters of the admin transaction list (§5.3).
pub struct TransactionsQuery {
    pub page: PageQuery,
    pub statuses: Vec<String>,
    pub channel: Option<&'static channels::Channel>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub by_paid_at: bool,
    pub user_id: Option<String>,
    pub order_id: Option<String>,
    pub search: Option<String>,
}

fn date(q: &mut QueryFields, name: &str) -> Option<OffsetDateTime> {
    q.string(name).and_then(|raw| {
        let parsed = platform::time_format::parse(&raw);
        if parsed.is_none() {
            q.problem(name, format!("{name} harus berupa tanggal ISO 8601"));
        }
        parsed
    })
}

fn bounded(q: &mut QueryFields, name: &str, max: usize) -> Option<String> {
    let value = q.string(name)?;
    if value.chars().count() > max {
        q.problem(name, format!("{name} maksimal {max} karakter"));
        return None;
    }
    Some(value)
}

impl FromQuery for TransactionsQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let mut statuses = Vec::new();
        if let Some(raw) = q.string("status") {
            for part in raw.split(',').map(str::trim) {
                match InvoiceStatus::parse(part) {
                    Some(s) => statuses.push(s.as_str().to_owned()),
                    None => q.problem(
                        "status",
                        format!(
                            "status harus salah satu dari: {}",
                            InvoiceStatus::NAMES.join(", ")
                        ),
                    ),
                }
            }
        }
        let channel = q.string("channel").and_then(|raw| {
            let found = channels::normalize(&raw);
            if found.is_none() {
                q.problem(
                    "channel",
                    format!(
                        "channel harus salah satu dari: {}",
                        channels::names().join(", ")
                    ),
                );
            }
            found
        });
        let from = date(q, "from");
        let to = date(q, "to");
        let by_paid_at = q
            .one_of("dateField", &["createdAt", "paidAt"])
            .is_some_and(|f| f == "paidAt");
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            q.problem("from", "from tidak boleh setelah to");
        }
        let user_id = bounded(q, "userId", 128);
        let order_id = bounded(q, "orderId", 128);
        let search = bounded(q, "search", 100);
        Some(Self {
            page,
            statuses,
            channel,
            from,
            to,
            by_paid_at,
            user_id,
            order_id,
            search,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::extract::parse_json_body;

    #[test]
    fn phone_numbers() {
        assert!(is_phone("081234567890"));
        assert!(is_phone("+6281234567890"));
        assert!(!is_phone("0812-3456"));
        assert!(!is_phone("1234567"));
        assert!(!is_phone("+1234567890123456"));
    }

    #[test]
    fn pay_body_reports_every_problem() {
        let Err(err) = parse_json_body::<PayBody>(
            br#"{"channel":"BRI_VA","customerName":"","customerPhone":"x","extra":1}"#,
        ) else {
            panic!("an invalid body was accepted");
        };
        let text = format!("{:?}", err.details);
        for field in ["customerName", "customerPhone", "extra"] {
            assert!(text.contains(field), "{field} missing in {text}");
        }
        let ok: PayBody = parse_json_body(br#"{"channel":"briva"}"#).unwrap();
        assert_eq!(ok.channel, "briva");
    }

    /// The document's channel filter lists exactly what `channels::normalize` accepts.
    #[test]
    fn channel_filter_enum_matches_the_table() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(ChannelFilterName::schema()).unwrap();
        let mut documented: Vec<String> = schema["enum"]
            .as_array()
            .expect("enum")
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        documented.sort();
        let mut accepted: Vec<String> = channels::CHANNELS
            .iter()
            .flat_map(|c| [Some(c.name), c.code])
            .flatten()
            .map(str::to_owned)
            .collect();
        accepted.sort();
        accepted.dedup();
        assert_eq!(documented, accepted);
        for name in &documented {
            assert!(channels::normalize(name).is_some(), "{name}");
        }
    }

    #[test]
    fn transaction_filters() {
        let parse = |s: &str| {
            let mut q = QueryFields::parse(s).unwrap();
            let v = TransactionsQuery::from_query(&mut q);
            q.finish(v)
        };
        let ok =
            parse("status=PAID,EXPIRED&channel=BRIVA&dateField=paidAt&from=2025-01-01T00:00:00Z")
                .unwrap();
        assert_eq!(ok.statuses, vec!["PAID", "EXPIRED"]);
        assert_eq!(ok.channel.map(|c| c.name), Some("BRI_VA"));
        assert!(ok.by_paid_at);
        for bad in [
            "status=PAID,NOPE",
            "channel=BITCOIN",
            "from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z",
            "from=yesterday",
            "dateField=updatedAt",
            "unknown=1",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
