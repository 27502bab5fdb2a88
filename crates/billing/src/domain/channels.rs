//! The product's payment channels and their Tripay codes (billing.md §2.1). The table lives in
//! code: Tripay codes are never stored in the `paymentChannel` column.

use std::collections::HashMap;

/// How a channel is paid (`PaymentMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentMethod {
    VirtualAccount,
    Ewallet,
    Qris,
    ConvenienceStore,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VirtualAccount => "VIRTUAL_ACCOUNT",
            Self::Ewallet => "EWALLET",
            Self::Qris => "QRIS",
            Self::ConvenienceStore => "CONVENIENCE_STORE",
        }
    }
}

/// One row of the channel table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channel {
    /// `PaymentChannel` value, e.g. `BRI_VA`.
    pub name: &'static str,
    /// Tripay `method` code; `None` for channels Tripay cannot take (GOPAY).
    pub code: Option<&'static str>,
    pub method: PaymentMethod,
    /// Fallback amount range when Tripay's channel list has none.
    pub min_amount: i64,
    pub max_amount: i64,
    /// Tripay's expiry window in minutes (not exposed by its API).
    pub min_expiry_minutes: i64,
    pub max_expiry_minutes: i64,
}

const fn ch(
    name: &'static str,
    code: Option<&'static str>,
    method: PaymentMethod,
    amounts: (i64, i64),
    expiry: (i64, i64),
) -> Channel {
    Channel {
        name,
        code,
        method,
        min_amount: amounts.0,
        max_amount: amounts.1,
        min_expiry_minutes: expiry.0,
        max_expiry_minutes: expiry.1,
    }
}

use PaymentMethod::{ConvenienceStore, Ewallet, Qris, VirtualAccount};

const VA: (i64, i64) = (10_000, 10_000_000);
const QR: (i64, i64) = (1_000, 5_000_000);
const EW: (i64, i64) = (1_000, 10_000_000);
const MONTH: i64 = 43_200;

pub const CHANNELS: [Channel; 17] = [
    ch("BCA_VA", Some("BCAVA"), VirtualAccount, VA, (15, MONTH)),
    ch("BNI_VA", Some("BNIVA"), VirtualAccount, VA, (15, 1_440)),
    ch("BRI_VA", Some("BRIVA"), VirtualAccount, VA, (60, MONTH)),
    ch(
        "MANDIRI_VA",
        Some("MANDIRIVA"),
        VirtualAccount,
        VA,
        (60, MONTH),
    ),
    ch(
        "PERMATA_VA",
        Some("PERMATAVA"),
        VirtualAccount,
        VA,
        (60, MONTH),
    ),
    ch("BSI_VA", Some("BSIVA"), VirtualAccount, VA, (60, 180)),
    ch("CIMB_VA", Some("CIMBVA"), VirtualAccount, VA, (15, MONTH)),
    ch(
        "MUAMALAT_VA",
        Some("MUAMALATVA"),
        VirtualAccount,
        VA,
        (60, 180),
    ),
    ch("QRIS", Some("QRIS"), Qris, QR, (10, 60)),
    ch("QRISC", Some("QRISC"), Qris, QR, (10, 1_440)),
    ch("OVO", Some("OVO"), Ewallet, EW, (15, MONTH)),
    ch("DANA", Some("DANA"), Ewallet, EW, (15, 60)),
    ch("SHOPEEPAY", Some("SHOPEEPAY"), Ewallet, EW, (15, 60)),
    ch("GOPAY", None, Ewallet, (0, 0), (0, 0)),
    ch(
        "ALFAMART",
        Some("ALFAMART"),
        ConvenienceStore,
        (10_000, 2_500_000),
        (60, 1_440),
    ),
    ch(
        "INDOMARET",
        Some("INDOMARET"),
        ConvenienceStore,
        (10_000, 2_500_000),
        (15, MONTH),
    ),
    ch(
        "ALFAMIDI",
        Some("ALFAMIDI"),
        ConvenienceStore,
        (5_000, 2_500_000),
        (60, 1_440),
    ),
];

/// Every `PaymentChannel` value, for validation messages.
pub fn names() -> Vec<&'static str> {
    CHANNELS.iter().map(|c| c.name).collect()
}

/// A request's channel: the `PaymentChannel` value (`BRI_VA`) or the Tripay code (`BRIVA`),
/// case-insensitively. `None` = unknown (`PAYMENT_CHANNEL_INVALID`).
pub fn normalize(raw: &str) -> Option<&'static Channel> {
    let wanted = raw.trim().to_ascii_uppercase();
    CHANNELS
        .iter()
        .find(|c| c.name == wanted || c.code == Some(wanted.as_str()))
}

/// The channel a Tripay code belongs to (callbacks, channel lists).
pub fn by_code(code: &str) -> Option<&'static Channel> {
    CHANNELS.iter().find(|c| c.code == Some(code))
}

pub fn by_name(name: &str) -> Option<&'static Channel> {
    CHANNELS.iter().find(|c| c.name == name)
}

/// Expiry windows from `TRIPAY_CHANNEL_EXPIRY_OVERRIDES` (`QRIS=10-60,BNIVA=15-1440`), keyed
/// by Tripay code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryOverrides(HashMap<String, (i64, i64)>);

impl ExpiryOverrides {
    /// Parses the variable; each problem is described for the configuration report.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut map = HashMap::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, window) = entry
                .split_once('=')
                .ok_or_else(|| format!("{entry:?} is not CODE=MIN-MAX"))?;
            let channel = normalize(name)
                .filter(|c| c.code.is_some())
                .ok_or_else(|| format!("{name:?} is not a Tripay channel"))?;
            let (min, max) = window
                .split_once('-')
                .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                .ok_or_else(|| format!("{window:?} is not MIN-MAX minutes"))?;
            if min < 1 || max < min {
                return Err(format!(
                    "{entry:?}: the window must satisfy 1 <= MIN <= MAX"
                ));
            }
            if let Some(code) = channel.code {
                map.insert(code.to_owned(), (min, max));
            }
        }
        Ok(Self(map))
    }

    /// The expiry window of `channel` in minutes.
    pub fn window(&self, channel: &Channel) -> (i64, i64) {
        channel
            .code
            .and_then(|code| self.0.get(code).copied())
            .unwrap_or((channel.min_expiry_minutes, channel.max_expiry_minutes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_normalize_to_the_enum_value() {
        assert_eq!(normalize("BRI_VA").map(|c| c.name), Some("BRI_VA"));
        assert_eq!(normalize("BRIVA").map(|c| c.name), Some("BRI_VA"));
        assert_eq!(normalize(" briva ").map(|c| c.name), Some("BRI_VA"));
        assert_eq!(normalize("QRIS").map(|c| c.name), Some("QRIS"));
        assert_eq!(normalize("GOPAY").map(|c| c.code), Some(None));
        assert!(normalize("BITCOIN").is_none());
        assert!(normalize("").is_none());
    }

    #[test]
    fn codes_map_back_and_methods_follow_the_table() {
        assert_eq!(by_code("MANDIRIVA").map(|c| c.name), Some("MANDIRI_VA"));
        assert_eq!(by_code("QRISC").map(|c| c.method.as_str()), Some("QRIS"));
        assert_eq!(
            by_code("INDOMARET").map(|c| c.method.as_str()),
            Some("CONVENIENCE_STORE")
        );
        assert!(by_code("GOPAY").is_none());
        assert_eq!(CHANNELS.iter().filter(|c| c.code.is_some()).count(), 16);
    }

    #[test]
    fn overrides_replace_the_table_windows() {
        let o = ExpiryOverrides::parse("QRIS=10-30, bniva=20-100").unwrap();
        let qris = by_name("QRIS").unwrap();
        assert_eq!(o.window(qris), (10, 30));
        assert_eq!(o.window(by_name("BNI_VA").unwrap()), (20, 100));
        assert_eq!(o.window(by_name("BRI_VA").unwrap()), (60, MONTH));
        assert_eq!(
            ExpiryOverrides::parse("").unwrap(),
            ExpiryOverrides::default()
        );
        for bad in [
            "QRIS",
            "QRIS=10",
            "QRIS=a-b",
            "QRIS=60-10",
            "GOPAY=1-2",
            "X=1-2",
            "QRIS=0-5",
        ] {
            assert!(ExpiryOverrides::parse(bad).is_err(), "{bad}");
        }
    }
}
