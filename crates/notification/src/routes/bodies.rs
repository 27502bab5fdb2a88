//! The document's view of the request bodies and enum-typed parameters. The hand-written
//! `FromJson` / `FromQuery` readers beside each handler stay the authority; these mirror their
//! field names, types, optionality and limits.

use serde_json::{Map, Value};

/// An event to turn into messages (§3).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = SendNotificationBody)]
#[allow(dead_code)]
pub struct SendRequest {
    /// An unknown name is `INVALID_NOTIFICATION_EVENT`.
    event: EventName,
    /// 1–128 characters.
    #[schema(min_length = 1, max_length = 128)]
    user_id: String,
    /// The event's data (notification.md §2.1, `domain::data`). An open object: fields the
    /// event does not know are kept. Each event requires its own fields; a missing, `null`,
    /// blank (text) or mistyped one is a `VALIDATION_ERROR` naming it (`data.<field>`), checked
    /// after `event`. Optional fields may be absent or `null` but are type-checked when given.
    /// Types: text = string, int = integer (IDR amounts, counts), time = ISO 8601 string,
    /// email = e-mail address string, bool = boolean.
    ///
    /// - `ORDER_CREATED`: required `orderId`, `planName`, `duration` (text), `basePrice`,
    ///   `finalPrice` (int); optional `orderNumber`, `imageName`, `couponCode`, `currency`,
    ///   `invoiceUrl` (text), `promoDiscount`, `couponDiscount` (int), `createdAt`,
    ///   `paymentDeadline` (time).
    /// - `INVOICE_CREATED`: required `orderId`, `invoiceId`, `invoiceNumber` (text), `amount`
    ///   (int), `expiredAt` (time); optional `orderNumber`, `invoiceUrl` (text).
    /// - `PAYMENT_CONFIRMED`: required `orderId`, `planName`, `paymentMethod` (text), `amount`
    ///   (int), `paidAt` (time); optional `orderNumber`, `invoiceNumber` (text).
    /// - `VPS_ACTIVE`: required `orderId`, `planName`, `hostname`, `ipAddress`, `region` (text);
    ///   optional `orderNumber`, `imageName`, `duration`, `ipv4Private`, `username`, `password`,
    ///   `sshCommand`, `instanceUrl` (text), `activatedAt`, `expiresAt` (time).
    /// - `PROVISIONING_FAILED`: required `orderId`, `planName`, `errorMessage` (text); optional
    ///   `orderNumber`, `imageName`, `errorCode`, `supportEmail` (text).
    /// - `VPS_EXPIRING` (and its alias `VPS_EXPIRING_SOON`): required `orderId`, `planName`
    ///   (text), `expiresAt` (time), `hoursRemaining` (int); optional `orderNumber`, `hostname`,
    ///   `renewUrl` (text), `autoRenew` (bool).
    /// - `EMAIL_VERIFICATION`, `PASSWORD_RESET`, `ACCOUNT_SET_PASSWORD`: required `email`
    ///   (email), `fullName`, `actionUrl` (text); optional `expiresAt` (time).
    #[schema(value_type = Object)]
    data: Map<String, Value>,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = NotificationEvent)]
#[allow(dead_code)]
pub enum EventName {
    OrderCreated,
    InvoiceCreated,
    PaymentConfirmed,
    VpsActive,
    ProvisioningFailed,
    VpsExpiring,
    /// Accepted on `send` as an alias of `VPS_EXPIRING`.
    VpsExpiringSoon,
    EmailVerification,
    PasswordReset,
    AccountSetPassword,
}

/// The events as stored on templates and logs (no aliases).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = StoredNotificationEvent)]
#[allow(dead_code)]
pub enum StoredEventName {
    OrderCreated,
    InvoiceCreated,
    PaymentConfirmed,
    VpsActive,
    ProvisioningFailed,
    VpsExpiring,
    EmailVerification,
    PasswordReset,
    AccountSetPassword,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = NotificationChannel)]
#[allow(dead_code)]
pub enum ChannelName {
    Email,
    Telegram,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = NotificationStatus)]
#[allow(dead_code)]
pub enum LogStatusName {
    Queued,
    Sent,
    Failed,
}

/// A template edit: at least one field (a `null` `body` or `isActive` does not count). The template must still compile, use only its
/// `variables`, and render with sample data (else `TEMPLATE_INVALID`).
///
/// `subject`, `body` and `textBody` are Handlebars: every variable they reference must be in the
/// template's `variables` list (`GET` the template to see it); any other name is refused with
/// 422 `TEMPLATE_INVALID` listing `details.unknownVariables`. Triple-stash `{{{…}}}` is refused
/// too (422).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = UpdateTemplateBody, min_properties = 1)]
#[allow(dead_code)]
pub struct UpdateTemplateRequest {
    /// E-mail templates other than `layout` only; `null` is refused. Handlebars using only the
    /// template's `variables` (else 422 `TEMPLATE_INVALID`, `details.unknownVariables`); it must
    /// render to 1–200 characters (422 otherwise), so a blank subject is refused.
    #[schema(nullable = false, pattern = r"\S")]
    subject: Option<String>,
    /// Not blank. Handlebars using only the template's `variables` (else 422
    /// `TEMPLATE_INVALID`, `details.unknownVariables`).
    #[schema(pattern = r"\S")]
    body: Option<String>,
    /// E-mail templates other than `layout` only; `null` resets it to the text derived from `body`.
    /// Handlebars using only the template's `variables` (else 422 `TEMPLATE_INVALID`,
    /// `details.unknownVariables`).
    text_body: Option<String>,
    is_active: Option<bool>,
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    use super::SendRequest;
    use crate::domain::{Event, data};

    /// The per-event description of `data` names every field `data::validate` knows, required
    /// ones under "required", in the event's own bullet.
    #[test]
    fn the_send_document_lists_each_events_fields() {
        let schema = serde_json::to_value(SendRequest::schema()).unwrap();
        let text = schema["properties"]["data"]["description"]
            .as_str()
            .expect("data.description")
            .to_owned();
        for event in Event::ALL {
            let bullet = text
                .split("\n- ")
                .find(|b| b.contains(&format!("`{}`", event.as_str())))
                .unwrap_or_else(|| panic!("{} is not described", event.as_str()));
            let (required, optional) = bullet.split_once("optional").unwrap_or((bullet, ""));
            for field in data::fields(event) {
                let name = format!("`{}`", field.name);
                let part = if field.required { required } else { optional };
                assert!(
                    part.contains(&name),
                    "{}: {} is not described as {}",
                    event.as_str(),
                    field.name,
                    if field.required {
                        "required"
                    } else {
                        "optional"
                    }
                );
            }
        }
    }
}
