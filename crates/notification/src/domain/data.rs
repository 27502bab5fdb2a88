//! The `data` object of each event (notification.md §2.1): which fields it needs, their types,
//! and a sample of each for template validation.

use platform::FieldError;
use serde_json::{Map, Value, json};

use super::event::Event;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Integer IDR amounts and counts.
    Int,
    /// ISO 8601 timestamp.
    Time,
    Bool,
    Email,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Text => "teks",
            Kind::Int => "bilangan bulat",
            Kind::Time => "waktu ISO 8601",
            Kind::Bool => "boolean",
            Kind::Email => "alamat email",
        }
    }

    fn accepts(self, value: &Value) -> bool {
        match self {
            Kind::Text => value.is_string(),
            Kind::Int => value.as_i64().is_some(),
            Kind::Time => value
                .as_str()
                .is_some_and(|s| platform::time_format::parse(s).is_some()),
            Kind::Bool => value.is_boolean(),
            Kind::Email => value
                .as_str()
                .is_some_and(platform::extract::is_valid_email),
        }
    }
}

/// One field of an event's data.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

use Kind::{Bool, Email, Int, Text, Time};

const ORDER_CREATED: &[Field] = &[
    req("orderId", Text),
    req("planName", Text),
    req("duration", Text),
    req("basePrice", Int),
    req("finalPrice", Int),
    opt("orderNumber", Text),
    opt("imageName", Text),
    opt("promoDiscount", Int),
    opt("couponCode", Text),
    opt("couponDiscount", Int),
    opt("currency", Text),
    opt("createdAt", Time),
    opt("invoiceUrl", Text),
    opt("paymentDeadline", Time),
];
const INVOICE_CREATED: &[Field] = &[
    req("orderId", Text),
    req("invoiceId", Text),
    req("invoiceNumber", Text),
    req("amount", Int),
    req("expiredAt", Time),
    opt("orderNumber", Text),
    opt("invoiceUrl", Text),
];
const PAYMENT_CONFIRMED: &[Field] = &[
    req("orderId", Text),
    req("planName", Text),
    req("amount", Int),
    req("paymentMethod", Text),
    req("paidAt", Time),
    opt("orderNumber", Text),
    opt("invoiceNumber", Text),
];
const VPS_ACTIVE: &[Field] = &[
    req("orderId", Text),
    req("planName", Text),
    req("hostname", Text),
    req("ipAddress", Text),
    req("region", Text),
    opt("orderNumber", Text),
    opt("imageName", Text),
    opt("duration", Text),
    opt("ipv4Private", Text),
    opt("username", Text),
    opt("password", Text),
    opt("sshCommand", Text),
    opt("activatedAt", Time),
    opt("expiresAt", Time),
    opt("instanceUrl", Text),
];
const PROVISIONING_FAILED: &[Field] = &[
    req("orderId", Text),
    req("planName", Text),
    req("errorMessage", Text),
    opt("orderNumber", Text),
    opt("imageName", Text),
    opt("errorCode", Text),
    opt("supportEmail", Text),
];
const VPS_EXPIRING: &[Field] = &[
    req("orderId", Text),
    req("planName", Text),
    req("expiresAt", Time),
    req("hoursRemaining", Int),
    opt("orderNumber", Text),
    opt("hostname", Text),
    opt("autoRenew", Bool),
    opt("renewUrl", Text),
];
const ACCOUNT: &[Field] = &[
    req("email", Email),
    req("fullName", Text),
    req("actionUrl", Text),
    opt("expiresAt", Time),
];

pub fn fields(event: Event) -> &'static [Field] {
    match event {
        Event::OrderCreated => ORDER_CREATED,
        Event::InvoiceCreated => INVOICE_CREATED,
        Event::PaymentConfirmed => PAYMENT_CONFIRMED,
        Event::VpsActive => VPS_ACTIVE,
        Event::ProvisioningFailed => PROVISIONING_FAILED,
        Event::VpsExpiring => VPS_EXPIRING,
        Event::EmailVerification | Event::PasswordReset | Event::AccountSetPassword => ACCOUNT,
    }
}

/// One problem per missing or mistyped field, named `data.<field>`. Optional fields may be
/// `null`; fields the event does not know are kept as they are (the object is open).
pub fn validate(event: Event, data: &Map<String, Value>) -> Vec<FieldError> {
    let mut problems = Vec::new();
    for field in fields(event) {
        let path = format!("data.{}", field.name);
        match data.get(field.name) {
            None | Some(Value::Null) if field.required => {
                problems.push(FieldError::new(&path, format!("{path} wajib diisi")));
            }
            None | Some(Value::Null) => {}
            Some(value) if !field.kind.accepts(value) => {
                let label = field.kind.label();
                problems.push(FieldError::new(
                    &path,
                    format!("{path} harus berupa {label}"),
                ));
            }
            Some(Value::String(s)) if field.required && s.trim().is_empty() => {
                problems.push(FieldError::new(&path, format!("{path} wajib diisi")));
            }
            Some(_) => {}
        }
    }
    problems
}

/// Realistic data for `event`, every optional field filled, used to prove a template renders.
pub fn sample(event: Event) -> Map<String, Value> {
    let value = match event {
        Event::OrderCreated => json!({
            "orderId": "6f0429ea-1c2b-4d3e-8f90-a1b2c3d4e5f6", "planName": "VPS Standard",
            "duration": "MONTHLY", "basePrice": 375000, "finalPrice": 270000,
            "imageName": "Ubuntu 22.04 LTS", "promoDiscount": 75000, "couponCode": "HEMAT10",
            "couponDiscount": 30000, "currency": "IDR", "createdAt": "2025-01-15T10:00:00.000Z",
            "invoiceUrl": "https://webrana.id/invoices/1",
            "paymentDeadline": "2025-01-18T10:00:00.000Z"
        }),
        Event::InvoiceCreated => json!({
            "orderId": "6f0429ea-1c2b-4d3e-8f90-a1b2c3d4e5f6",
            "invoiceId": "9a7e0d12-3c4b-4e5f-8a9b-0c1d2e3f4a5b",
            "invoiceNumber": "INV-20250115-7KQ3", "amount": 300000,
            "expiredAt": "2025-01-16T10:00:00.000Z", "invoiceUrl": "https://webrana.id/invoices/1"
        }),
        Event::PaymentConfirmed => json!({
            "orderId": "6f0429ea-1c2b-4d3e-8f90-a1b2c3d4e5f6", "planName": "VPS Standard",
            "amount": 300000, "paymentMethod": "BRI Virtual Account",
            "paidAt": "2025-01-15T10:01:00.000Z", "invoiceNumber": "INV-20250115-7KQ3"
        }),
        Event::VpsActive => json!({
            "orderId": "6f0429ea-1c2b-4d3e-8f90-a1b2c3d4e5f6", "planName": "VPS Standard",
            "hostname": "vps-6f0429ea", "ipAddress": "203.0.113.10", "region": "sgp1",
            "imageName": "Ubuntu 22.04 LTS", "duration": "MONTHLY", "ipv4Private": "10.0.0.5",
            "username": "root", "password": "S4mple-Passw0rd", "sshCommand": "ssh root@203.0.113.10",
            "activatedAt": "2025-01-15T10:05:00.000Z", "expiresAt": "2025-02-15T10:05:00.000Z",
            "instanceUrl": "https://webrana.id/instances/1"
        }),
        Event::ProvisioningFailed => json!({
            "orderId": "6f0429ea-1c2b-4d3e-8f90-a1b2c3d4e5f6", "planName": "VPS Standard",
            "errorMessage": "Kapasitas server di lokasi ini sedang penuh.",
            "imageName": "Ubuntu 22.04 LTS", "errorCode": "PROVIDER_CAPACITY"
        }),
        Event::VpsExpiring => json!({
            "orderId": "6f0429ea-1c2b-4d3e-8f90-a1b2c3d4e5f6", "planName": "VPS Standard",
            "expiresAt": "2025-02-15T10:05:00.000Z", "hoursRemaining": 72,
            "hostname": "vps-6f0429ea", "autoRenew": false,
            "renewUrl": "https://webrana.id/orders/6f0429ea"
        }),
        Event::EmailVerification | Event::PasswordReset | Event::AccountSetPassword => json!({
            "email": "budi@example.com", "fullName": "Budi Santoso",
            "actionUrl": "https://webrana.id/auth/action?token=abc",
            "expiresAt": "2025-01-16T10:00:00.000Z"
        }),
    };
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_is_valid_for_its_event() {
        for e in Event::ALL {
            assert!(validate(e, &sample(e)).is_empty(), "{e:?}");
        }
    }

    #[test]
    fn missing_and_mistyped_fields_are_listed_by_path() {
        let data = json!({"orderId": "x", "planName": 5, "duration": "MONTHLY",
                          "basePrice": "100", "promoDiscount": null, "extra": {"kept": true}});
        let Value::Object(map) = data else {
            panic!("object")
        };
        let problems = validate(Event::OrderCreated, &map);
        let names: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            names,
            ["data.planName", "data.basePrice", "data.finalPrice"]
        );
    }

    #[test]
    fn times_and_emails_are_checked() {
        let Value::Object(map) = json!({"email": "not-an-email", "fullName": "A",
                                        "actionUrl": "u", "expiresAt": "yesterday"})
        else {
            panic!("object")
        };
        let problems = validate(Event::PasswordReset, &map);
        let names: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(names, ["data.email", "data.expiresAt"]);
    }
}
