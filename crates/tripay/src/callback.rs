//! The payment callback body (integrations.md §1.5): parsed by billing's rules (billing.md §6.5)
//! and serialized in Tripay's field order by the simulator.

use serde_json::{Map, Value};

use crate::model::integer_from;

/// A callback as Tripay sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub reference: String,
    pub merchant_ref: Option<String>,
    pub payment_method: Option<String>,
    pub payment_method_code: Option<String>,
    pub total_amount: i64,
    pub fee_merchant: Option<i64>,
    pub fee_customer: Option<i64>,
    pub total_fee: Option<i64>,
    pub amount_received: Option<i64>,
    pub is_closed_payment: i64,
    pub status: String,
    pub paid_at: Option<i64>,
    pub note: Option<String>,
}

/// Which field made a callback body unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CallbackParseError(pub String);

fn problem(message: impl Into<String>) -> CallbackParseError {
    CallbackParseError(message.into())
}

fn required_string(map: &Map<String, Value>, name: &str) -> Result<String, CallbackParseError> {
    match map.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(_) => Err(problem(format!("{name} must be a non-empty string"))),
        None => Err(problem(format!("{name} is required"))),
    }
}

fn optional_string(
    map: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, CallbackParseError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(problem(format!("{name} must be a string or null"))),
    }
}

fn optional_integer(
    map: &Map<String, Value>,
    name: &str,
) -> Result<Option<i64>, CallbackParseError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => integer_from(v)
            .map(Some)
            .ok_or_else(|| problem(format!("{name} must be an integer"))),
    }
}

impl Callback {
    /// Reads a callback body: `reference` and `status` strings, `total_amount` an integer (or a
    /// numeric string), `is_closed_payment` 0 or 1; the optional fields typed when present;
    /// fields Tripay may add later are ignored.
    pub fn parse(raw: &[u8]) -> Result<Callback, CallbackParseError> {
        let value: Value =
            serde_json::from_slice(raw).map_err(|e| problem(format!("not JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(problem("the body must be a JSON object"));
        };
        let total_amount = optional_integer(&map, "total_amount")?
            .ok_or_else(|| problem("total_amount is required"))?;
        let is_closed_payment = optional_integer(&map, "is_closed_payment")?
            .ok_or_else(|| problem("is_closed_payment is required"))?;
        if !(0..=1).contains(&is_closed_payment) {
            return Err(problem("is_closed_payment must be 0 or 1"));
        }
        Ok(Callback {
            reference: required_string(&map, "reference")?,
            merchant_ref: optional_string(&map, "merchant_ref")?,
            payment_method: optional_string(&map, "payment_method")?,
            payment_method_code: optional_string(&map, "payment_method_code")?,
            total_amount,
            fee_merchant: optional_integer(&map, "fee_merchant")?,
            fee_customer: optional_integer(&map, "fee_customer")?,
            total_fee: optional_integer(&map, "total_fee")?,
            amount_received: optional_integer(&map, "amount_received")?,
            is_closed_payment,
            status: required_string(&map, "status")?,
            paid_at: optional_integer(&map, "paid_at")?,
            note: optional_string(&map, "note")?,
        })
    }

    /// Compact JSON in the field order of integrations.md §1.5: the bytes Tripay signs.
    pub fn to_wire_bytes(&self) -> Vec<u8> {
        fn s(v: &Option<String>) -> Value {
            v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
        }
        fn n(v: Option<i64>) -> Value {
            v.map_or(Value::Null, Value::from)
        }
        let fields: [(&str, Value); 13] = [
            ("reference", Value::String(self.reference.clone())),
            ("merchant_ref", s(&self.merchant_ref)),
            ("payment_method", s(&self.payment_method)),
            ("payment_method_code", s(&self.payment_method_code)),
            ("total_amount", Value::from(self.total_amount)),
            ("fee_merchant", n(self.fee_merchant)),
            ("fee_customer", n(self.fee_customer)),
            ("total_fee", n(self.total_fee)),
            ("amount_received", n(self.amount_received)),
            ("is_closed_payment", Value::from(self.is_closed_payment)),
            ("status", Value::String(self.status.clone())),
            ("paid_at", n(self.paid_at)),
            ("note", s(&self.note)),
        ];
        // serde_json's map sorts keys, so the object is written by hand, values by serde_json.
        let mut out = Vec::with_capacity(320);
        out.push(b'{');
        for (i, (name, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(format!("\"{name}\":").as_bytes());
            out.extend_from_slice(value.to_string().as_bytes());
        }
        out.push(b'}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"{"reference":"T1234500000000000001","merchant_ref":"INV-20250115-7KQ3","payment_method":"BRI Virtual Account","payment_method_code":"BRIVA","total_amount":150000,"fee_merchant":4250,"fee_customer":0,"total_fee":4250,"amount_received":145750,"is_closed_payment":1,"status":"PAID","paid_at":1736935200,"note":null}"#;

    #[test]
    fn the_spec_body_round_trips_byte_for_byte() {
        let c = Callback::parse(SPEC.as_bytes()).unwrap();
        assert_eq!(c.reference, "T1234500000000000001");
        assert_eq!(c.total_amount, 150_000);
        assert_eq!(c.paid_at, Some(1_736_935_200));
        assert_eq!(c.note, None);
        assert_eq!(c.to_wire_bytes(), SPEC.as_bytes());
    }

    #[test]
    fn lenient_numbers_and_unknown_fields() {
        let c = Callback::parse(
            br#"{"reference":"T1","status":"paid","total_amount":"150000","is_closed_payment":"1","paid_at":"1736935200","extra":{"a":1}}"#,
        )
        .unwrap();
        assert_eq!(c.total_amount, 150_000);
        assert_eq!(c.is_closed_payment, 1);
        assert_eq!(c.paid_at, Some(1_736_935_200));
        assert_eq!(c.merchant_ref, None);
    }

    #[test]
    fn invalid_bodies_name_their_field() {
        for (body, field) in [
            (
                r#"{"status":"PAID","total_amount":1,"is_closed_payment":1}"#,
                "reference",
            ),
            (
                r#"{"reference":"T","total_amount":1,"is_closed_payment":1}"#,
                "status",
            ),
            (
                r#"{"reference":"T","status":"PAID","is_closed_payment":1}"#,
                "total_amount",
            ),
            (
                r#"{"reference":"T","status":"PAID","total_amount":1.5,"is_closed_payment":1}"#,
                "total_amount",
            ),
            (
                r#"{"reference":"T","status":"PAID","total_amount":1}"#,
                "is_closed_payment",
            ),
            (
                r#"{"reference":"T","status":"PAID","total_amount":1,"is_closed_payment":2}"#,
                "is_closed_payment",
            ),
            (
                r#"{"reference":7,"status":"PAID","total_amount":1,"is_closed_payment":1}"#,
                "reference",
            ),
            (
                r#"{"reference":"T","status":"PAID","total_amount":1,"is_closed_payment":1,"note":5}"#,
                "note",
            ),
            (
                r#"{"reference":"T","status":"PAID","total_amount":1,"is_closed_payment":1,"paid_at":"x"}"#,
                "paid_at",
            ),
            ("[1]", "object"),
            ("nope", "JSON"),
        ] {
            let err = Callback::parse(body.as_bytes()).unwrap_err();
            assert!(err.0.contains(field), "{body}: {err}");
        }
    }
}
