//! The variables the service adds to every template (notification.md §2.2).

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::data;
use super::event::{Channel, Event};

pub const APP_NAME: &str = "WeBrana Cloud";

/// Settings the derived variables read.
#[derive(Debug, Clone)]
pub struct Site {
    pub support_email: String,
    pub dashboard_url: String,
    pub telegram_include_password: bool,
}

/// Who the message is for.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: String,
    pub full_name: Option<String>,
}

/// `data` plus the derived variables, for one channel. Values from `data` win where the spec
/// says so (`orderNumber`, `supportEmail`); the derived ones fill the rest.
pub fn build(
    event: Event,
    channel: Channel,
    data: &Map<String, Value>,
    recipient: &Recipient,
    site: &Site,
    now: OffsetDateTime,
) -> Map<String, Value> {
    let mut vars = data.clone();
    let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
    let int = |key: &str| data.get(key).and_then(Value::as_i64).unwrap_or(0);

    let name = recipient
        .full_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| local_part(&recipient.email).to_owned());
    vars.insert("customerName".into(), json!(name));
    vars.insert("customerEmail".into(), json!(recipient.email));
    let order_id = text("orderId");
    if let Some(number) = text("orderNumber")
        .filter(|n| !n.is_empty())
        .or_else(|| order_id.as_deref().map(short_order_number))
    {
        vars.insert("orderNumber".into(), json!(number));
    }
    vars.insert("appName".into(), json!(APP_NAME));
    let support = text("supportEmail")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| site.support_email.clone());
    vars.insert("supportEmail".into(), json!(support));
    vars.insert("dashboardUrl".into(), json!(site.dashboard_url));
    let order_url = text("invoiceUrl").filter(|u| !u.is_empty()).or_else(|| {
        order_id
            .as_ref()
            .map(|id| format!("{}/orders/{id}", site.dashboard_url))
    });
    if let Some(url) = order_url {
        vars.insert("orderUrl".into(), json!(url));
    }
    vars.insert(
        "discount".into(),
        json!(int("promoDiscount").saturating_add(int("couponDiscount"))),
    );
    vars.insert(
        "year".into(),
        json!(crate::templates::helpers::to_wib(now).year()),
    );
    if event == Event::VpsActive {
        let username = text("username")
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "root".to_owned());
        if text("sshCommand").is_none_or(|c| c.is_empty()) {
            let ip = text("ipAddress").unwrap_or_default();
            vars.insert("sshCommand".into(), json!(format!("ssh {username}@{ip}")));
        }
        vars.insert("username".into(), json!(username));
    }
    if event == Event::VpsExpiring && !vars.contains_key("autoRenew") {
        vars.insert("autoRenew".into(), json!(false));
    }
    if channel == Channel::Telegram {
        let has_password = data.get("password").is_some_and(|p| !p.is_null());
        vars.insert(
            "showPassword".into(),
            json!(has_password && site.telegram_include_password),
        );
    }
    vars
}

fn local_part(email: &str) -> &str {
    email.split('@').next().unwrap_or(email)
}

/// The first 8 characters of the order id, upper-cased (`6F0429EA`).
pub fn short_order_number(order_id: &str) -> String {
    order_id.chars().take(8).collect::<String>().to_uppercase()
}

/// The variables a template of `event` on `channel` may use: its event's data fields and the
/// derived ones. `None` is the layout.
pub fn allowed(event: Option<Event>, channel: Channel) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    };
    let Some(event) = event else {
        for name in ["subject", "appName", "supportEmail", "dashboardUrl", "year"] {
            add(name);
        }
        return out;
    };
    for field in data::fields(event) {
        add(field.name);
    }
    for name in [
        "customerName",
        "customerEmail",
        "orderNumber",
        "appName",
        "supportEmail",
        "dashboardUrl",
        "orderUrl",
        "discount",
        "year",
    ] {
        add(name);
    }
    match channel {
        Channel::Email => add("subject"),
        Channel::Telegram => add("showPassword"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            support_email: "support@webrana.id".into(),
            dashboard_url: "http://localhost:4200".into(),
            telegram_include_password: false,
        }
    }

    fn recipient() -> Recipient {
        Recipient {
            email: "budi@example.com".into(),
            full_name: None,
        }
    }

    #[test]
    fn derived_variables_follow_the_spec() {
        let mut d = data::sample(Event::OrderCreated);
        d.remove("invoiceUrl");
        let now = time::macros::datetime!(2025-12-31 20:00 UTC);
        let v = build(
            Event::OrderCreated,
            Channel::Email,
            &d,
            &recipient(),
            &site(),
            now,
        );
        assert_eq!(v["customerName"], "budi");
        assert_eq!(v["orderNumber"], "6F0429EA");
        assert_eq!(
            v["orderUrl"],
            "http://localhost:4200/orders/6f0429ea-1c2b-4d3e-8f90-a1b2c3d4e5f6"
        );
        assert_eq!(v["discount"], 105000);
        // 20:00 UTC on New Year's Eve is already the next year in Jakarta.
        assert_eq!(v["year"], 2026);
        assert_eq!(v["supportEmail"], "support@webrana.id");
        assert!(!v.contains_key("showPassword"));
    }

    #[test]
    fn vps_defaults_and_telegram_password_switch() {
        let mut d = data::sample(Event::VpsActive);
        d.remove("username");
        d.remove("sshCommand");
        let now = OffsetDateTime::UNIX_EPOCH;
        let v = build(
            Event::VpsActive,
            Channel::Telegram,
            &d,
            &recipient(),
            &site(),
            now,
        );
        assert_eq!(v["username"], "root");
        assert_eq!(v["sshCommand"], "ssh root@203.0.113.10");
        assert_eq!(v["showPassword"], false);
        let mut s = site();
        s.telegram_include_password = true;
        let v = build(
            Event::VpsActive,
            Channel::Telegram,
            &d,
            &recipient(),
            &s,
            now,
        );
        assert_eq!(v["showPassword"], true);
    }
}
