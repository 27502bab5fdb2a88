//! The events this service accepts and where each one goes (notification.md §2).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Event {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Channel {
    Email,
    Telegram,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Telegram];

    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "EMAIL",
            Channel::Telegram => "TELEGRAM",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

impl Event {
    pub const ALL: [Event; 9] = [
        Event::OrderCreated,
        Event::InvoiceCreated,
        Event::PaymentConfirmed,
        Event::VpsActive,
        Event::ProvisioningFailed,
        Event::VpsExpiring,
        Event::EmailVerification,
        Event::PasswordReset,
        Event::AccountSetPassword,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Event::OrderCreated => "ORDER_CREATED",
            Event::InvoiceCreated => "INVOICE_CREATED",
            Event::PaymentConfirmed => "PAYMENT_CONFIRMED",
            Event::VpsActive => "VPS_ACTIVE",
            Event::ProvisioningFailed => "PROVISIONING_FAILED",
            Event::VpsExpiring => "VPS_EXPIRING",
            Event::EmailVerification => "EMAIL_VERIFICATION",
            Event::PasswordReset => "PASSWORD_RESET",
            Event::AccountSetPassword => "ACCOUNT_SET_PASSWORD",
        }
    }

    /// The canonical event for a wire name; `VPS_EXPIRING_SOON` is the older name of
    /// `VPS_EXPIRING` and is stored under the new one.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw == "VPS_EXPIRING_SOON" {
            return Some(Event::VpsExpiring);
        }
        Self::ALL.into_iter().find(|e| e.as_str() == raw)
    }

    /// The template key shared by both channels of this event.
    pub const fn template_key(self) -> &'static str {
        match self {
            Event::OrderCreated => "order-created",
            Event::InvoiceCreated => "invoice-created",
            Event::PaymentConfirmed => "payment-confirmed",
            Event::VpsActive => "vps-active",
            Event::ProvisioningFailed => "provisioning-failed",
            Event::VpsExpiring => "vps-expiring",
            Event::EmailVerification => "email-verification",
            Event::PasswordReset => "password-reset",
            Event::AccountSetPassword => "account-set-password",
        }
    }

    /// Account e-mails are addressed to `data.email`; auth is not consulted for them.
    pub fn is_account(self) -> bool {
        matches!(
            self,
            Event::EmailVerification | Event::PasswordReset | Event::AccountSetPassword
        )
    }

    /// Whether the event routes to `channel` at all (the table of §2).
    pub fn routes_to(self, channel: Channel) -> bool {
        match channel {
            Channel::Email => true,
            Channel::Telegram => matches!(
                self,
                Event::PaymentConfirmed | Event::VpsActive | Event::ProvisioningFailed
            ),
        }
    }

    /// The e-mail opt-out does not apply to the only message with the login credentials, nor to
    /// the account e-mails a user needs to get into the account.
    pub fn ignores_email_preference(self) -> bool {
        self == Event::VpsActive || self.is_account()
    }
}

/// What is known about the recipient when the channels are chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingFacts {
    pub email_opt_in: bool,
    pub telegram_opt_in: bool,
    pub has_chat: bool,
    pub telegram_enabled: bool,
}

/// The channels of `event` for this recipient, before the template's `isActive` is consulted.
pub fn channels(event: Event, facts: &RoutingFacts) -> Vec<Channel> {
    let mut out = Vec::new();
    if event.routes_to(Channel::Email) && (facts.email_opt_in || event.ignores_email_preference()) {
        out.push(Channel::Email);
    }
    if event.routes_to(Channel::Telegram)
        && facts.telegram_enabled
        && facts.has_chat
        && facts.telegram_opt_in
    {
        out.push(Channel::Telegram);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> RoutingFacts {
        RoutingFacts {
            email_opt_in: true,
            telegram_opt_in: true,
            has_chat: true,
            telegram_enabled: true,
        }
    }

    #[test]
    fn alias_maps_to_the_canonical_event() {
        assert_eq!(Event::parse("VPS_EXPIRING_SOON"), Some(Event::VpsExpiring));
        assert_eq!(Event::parse("VPS_EXPIRING"), Some(Event::VpsExpiring));
        assert_eq!(Event::parse("vps_active"), None);
        assert_eq!(Event::parse("ORDER_PAID"), None);
        for e in Event::ALL {
            assert_eq!(Event::parse(e.as_str()), Some(e));
        }
    }

    #[test]
    fn telegram_only_for_payment_and_vps_status() {
        for e in Event::ALL {
            let got = channels(e, &facts());
            let expected_tg = matches!(
                e,
                Event::PaymentConfirmed | Event::VpsActive | Event::ProvisioningFailed
            );
            assert_eq!(got.contains(&Channel::Telegram), expected_tg, "{e:?}");
            assert!(got.contains(&Channel::Email), "{e:?}");
        }
    }

    #[test]
    fn telegram_needs_every_condition() {
        for change in 0..3 {
            let mut f = facts();
            match change {
                0 => f.telegram_enabled = false,
                1 => f.has_chat = false,
                _ => f.telegram_opt_in = false,
            }
            assert_eq!(channels(Event::PaymentConfirmed, &f), vec![Channel::Email]);
        }
    }

    #[test]
    fn email_opt_out_spares_credentials_and_account_mail() {
        let f = RoutingFacts {
            email_opt_in: false,
            ..facts()
        };
        assert_eq!(
            channels(Event::PaymentConfirmed, &f),
            vec![Channel::Telegram]
        );
        assert!(channels(Event::OrderCreated, &f).is_empty());
        assert!(channels(Event::VpsActive, &f).contains(&Channel::Email));
        for e in [
            Event::EmailVerification,
            Event::PasswordReset,
            Event::AccountSetPassword,
        ] {
            assert_eq!(channels(e, &f), vec![Channel::Email]);
        }
    }
}
