//! Tripay's wire objects (integrations.md §1.2–§1.5), snake_case as on the wire. Reading is
//! lenient where Tripay is known to vary: numbers may arrive as numeric strings, `pay_code` as a
//! number, optional fields may be missing.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A number that may arrive as a numeric string (`"0.70"`).
fn number_from(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An integer that may arrive as a numeric string; fractions are refused.
pub(crate) fn integer_from(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn flexible_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let value = Value::deserialize(d)?;
    number_from(&value).ok_or_else(|| de::Error::custom("expected a number"))
}

fn flexible_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = Value::deserialize(d)?;
    integer_from(&value).ok_or_else(|| de::Error::custom("expected an integer"))
}

fn flexible_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let value = Value::deserialize(d)?;
    match value {
        Value::Null => Ok(None),
        other => integer_from(&other)
            .map(Some)
            .ok_or_else(|| de::Error::custom("expected an integer or null")),
    }
}

/// A string, number or null (Tripay's `pay_code`).
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(de::Error::custom("expected a string or a number")),
    }
}

/// `{flat, percent}` of a channel's fees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Fee {
    #[serde(deserialize_with = "flexible_i64", default)]
    pub flat: i64,
    #[serde(deserialize_with = "flexible_f64", default)]
    pub percent: f64,
}

/// One entry of `GET /merchant/payment-channel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentChannel {
    #[serde(default)]
    pub group: String,
    pub code: String,
    #[serde(default)]
    pub name: String,
    /// `direct` or `redirect`.
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub fee_merchant: Fee,
    #[serde(default)]
    pub fee_customer: Fee,
    #[serde(default)]
    pub total_fee: Fee,
    #[serde(default, deserialize_with = "flexible_opt_i64")]
    pub minimum_fee: Option<i64>,
    #[serde(default, deserialize_with = "flexible_opt_i64")]
    pub maximum_fee: Option<i64>,
    #[serde(default, deserialize_with = "flexible_opt_i64")]
    pub minimum_amount: Option<i64>,
    #[serde(default, deserialize_with = "flexible_opt_i64")]
    pub maximum_amount: Option<i64>,
    #[serde(default)]
    pub icon_url: Option<String>,
    #[serde(default)]
    pub active: bool,
}

/// One line of `order_items`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub name: String,
    pub price: i64,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// The body of `POST /transaction/create` (closed payment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTransaction {
    pub method: String,
    pub merchant_ref: String,
    pub amount: i64,
    pub customer_name: String,
    pub customer_email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_phone: Option<String>,
    pub order_items: Vec<OrderItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_time: Option<i64>,
    pub signature: String,
}

/// Payment steps as Tripay shows them; steps may hold `<b>` markup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instruction {
    pub title: String,
    #[serde(default)]
    pub steps: Vec<String>,
}

/// The transaction object of `transaction/create` and `transaction/detail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    pub reference: String,
    #[serde(default)]
    pub merchant_ref: Option<String>,
    #[serde(default)]
    pub payment_selection_type: Option<String>,
    #[serde(default)]
    pub payment_method: String,
    #[serde(default)]
    pub payment_name: String,
    #[serde(default)]
    pub customer_name: Option<String>,
    #[serde(default)]
    pub customer_email: Option<String>,
    #[serde(default)]
    pub customer_phone: Option<String>,
    #[serde(default)]
    pub callback_url: Option<String>,
    #[serde(default)]
    pub return_url: Option<String>,
    #[serde(deserialize_with = "flexible_i64")]
    pub amount: i64,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub fee_merchant: i64,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub fee_customer: i64,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub total_fee: i64,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub amount_received: i64,
    #[serde(default, deserialize_with = "string_or_number")]
    pub pay_code: Option<String>,
    #[serde(default)]
    pub pay_url: Option<String>,
    #[serde(default)]
    pub checkout_url: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "flexible_i64")]
    pub expired_time: i64,
    #[serde(default, deserialize_with = "flexible_opt_i64")]
    pub paid_at: Option<i64>,
    #[serde(default)]
    pub order_items: Vec<Value>,
    #[serde(default)]
    pub instructions: Vec<Instruction>,
    #[serde(default)]
    pub qr_string: Option<String>,
    #[serde(default)]
    pub qr_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_channel_list_reads_with_string_percents() {
        let body = r#"[
  {"group": "Virtual Account", "code": "BRIVA", "name": "BRI Virtual Account", "type": "direct",
   "fee_merchant": {"flat": 4250, "percent": 0}, "fee_customer": {"flat": 0, "percent": 0},
   "total_fee": {"flat": 4250, "percent": "0.00"}, "minimum_fee": 4250, "maximum_fee": 4250,
   "minimum_amount": 10000, "maximum_amount": 10000000,
   "icon_url": "https://tripay.co.id/images/payment-channel/briva.png", "active": true},
  {"group": "E-Wallet", "code": "QRIS", "name": "QRIS", "type": "direct",
   "fee_merchant": {"flat": 750, "percent": 0.7}, "fee_customer": {"flat": 0, "percent": 0},
   "total_fee": {"flat": 750, "percent": "0.70"}, "minimum_fee": 750, "maximum_fee": null,
   "minimum_amount": 1000, "maximum_amount": 5000000,
   "icon_url": "https://tripay.co.id/images/payment-channel/qris.png", "active": true}]"#;
        let list: Vec<PaymentChannel> = serde_json::from_str(body).unwrap();
        assert_eq!(list[0].kind, "direct");
        assert_eq!(list[1].total_fee.percent, 0.7);
        assert_eq!(list[1].maximum_fee, None);
        assert_eq!(list[0].minimum_amount, Some(10_000));
    }

    #[test]
    fn a_transaction_reads_with_a_numeric_pay_code_and_string_paid_at() {
        let body = serde_json::json!({
            "reference": "T1", "merchant_ref": "INV-20250115-7KQ3", "payment_method": "BRIVA",
            "payment_name": "BRI Virtual Account", "amount": 150000, "fee_merchant": 4250,
            "fee_customer": 0, "total_fee": 4250, "amount_received": 145750,
            "pay_code": 57585748548596587u64, "checkout_url": "https://x/checkout/T1",
            "status": "PAID", "expired_time": 1737021600, "paid_at": "1736935200",
            "instructions": [{"title": "ATM", "steps": ["<b>1</b>"]}]
        });
        let t: Transaction = serde_json::from_value(body).unwrap();
        assert_eq!(t.pay_code.as_deref(), Some("57585748548596587"));
        assert_eq!(t.paid_at, Some(1_736_935_200));
        assert_eq!(t.instructions[0].steps[0], "<b>1</b>");
        assert!(t.qr_string.is_none());
    }

    #[test]
    fn a_create_request_omits_absent_fields() {
        let req = CreateTransaction {
            method: "BRIVA".into(),
            merchant_ref: "INV-1".into(),
            amount: 1,
            customer_name: "a".into(),
            customer_email: "a@b.c".into(),
            customer_phone: None,
            order_items: vec![OrderItem {
                sku: None,
                name: "x".into(),
                price: 1,
                quantity: 1,
                product_url: None,
                image_url: None,
            }],
            callback_url: None,
            return_url: None,
            expired_time: None,
            signature: "s".into(),
        };
        let text = serde_json::to_string(&req).unwrap();
        for absent in ["customer_phone", "callback_url", "sku", "expired_time"] {
            assert!(!text.contains(absent), "{text}");
        }
    }
}
