//! The default templates (notification.md §5.3–§5.4), inserted at startup where missing.

use crate::domain::{Channel, Event};

/// One default row.
#[derive(Debug, Clone, Copy)]
pub struct DefaultTemplate {
    pub key: &'static str,
    pub channel: Channel,
    /// `None` for the layout.
    pub event: Option<Event>,
    pub subject: Option<&'static str>,
    pub body: &'static str,
}

pub const LAYOUT_KEY: &str = "layout";

macro_rules! email {
    ($event:expr, $file:literal, $subject:literal) => {
        DefaultTemplate {
            key: $event.template_key(),
            channel: Channel::Email,
            event: Some($event),
            subject: Some($subject),
            body: include_str!(concat!("files/email/", $file, ".hbs")),
        }
    };
}

macro_rules! telegram {
    ($event:expr, $file:literal) => {
        DefaultTemplate {
            key: $event.template_key(),
            channel: Channel::Telegram,
            event: Some($event),
            subject: None,
            body: include_str!(concat!("files/telegram/", $file, ".hbs")),
        }
    };
}

pub const DEFAULTS: [DefaultTemplate; 13] = [
    DefaultTemplate {
        key: LAYOUT_KEY,
        channel: Channel::Email,
        event: None,
        subject: None,
        body: include_str!("files/email/layout.hbs"),
    },
    email!(
        Event::OrderCreated,
        "order-created",
        "[{{appName}}] Pesanan {{orderNumber}} menunggu pembayaran"
    ),
    email!(
        Event::InvoiceCreated,
        "invoice-created",
        "[{{appName}}] Tagihan {{invoiceNumber}} sudah terbit"
    ),
    email!(
        Event::PaymentConfirmed,
        "payment-confirmed",
        "[{{appName}}] Pembayaran pesanan {{orderNumber}} diterima"
    ),
    email!(
        Event::VpsActive,
        "vps-active",
        "[{{appName}}] VPS {{hostname}} siap digunakan"
    ),
    email!(
        Event::ProvisioningFailed,
        "provisioning-failed",
        "[{{appName}}] Kendala pembuatan VPS pesanan {{orderNumber}}"
    ),
    email!(
        Event::VpsExpiring,
        "vps-expiring",
        "[{{appName}}] Masa aktif VPS {{planName}} segera berakhir"
    ),
    email!(
        Event::EmailVerification,
        "email-verification",
        "[{{appName}}] Verifikasi alamat email Anda"
    ),
    email!(
        Event::PasswordReset,
        "password-reset",
        "[{{appName}}] Permintaan atur ulang kata sandi"
    ),
    email!(
        Event::AccountSetPassword,
        "account-set-password",
        "[{{appName}}] Buat kata sandi akun Anda"
    ),
    telegram!(Event::PaymentConfirmed, "payment-confirmed"),
    telegram!(Event::VpsActive, "vps-active"),
    telegram!(Event::ProvisioningFailed, "provisioning-failed"),
];

/// The default layout body, used when the stored one is missing.
pub fn layout() -> &'static str {
    DEFAULTS[0].body
}
