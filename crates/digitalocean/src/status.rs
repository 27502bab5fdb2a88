//! Droplet statuses (integrations.md §2.3).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A droplet's `status`. DigitalOcean documents `new`, `active`, `off` and `archive`; some mocks
/// send a non-standard `errored`, and the provider may add values at any time, so any other
/// string is kept as [`DropletStatus::Other`] instead of failing the whole response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DropletStatus {
    /// Being built.
    New,
    /// Running.
    Active,
    /// Powered off.
    Off,
    /// Destroyed or archived.
    Archive,
    /// Non-standard, reported by some mocks (and our simulator when asked) for a failed build.
    Errored,
    /// Anything else, verbatim.
    Other(String),
}

impl DropletStatus {
    pub fn parse(raw: &str) -> Self {
        match raw {
            "new" => Self::New,
            "active" => Self::Active,
            "off" => Self::Off,
            "archive" => Self::Archive,
            "errored" => Self::Errored,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::New => "new",
            Self::Active => "active",
            Self::Off => "off",
            Self::Archive => "archive",
            Self::Errored => "errored",
            Self::Other(raw) => raw,
        }
    }

    /// `errored` and `archive` seen while provisioning mean the build failed (order.md §7.5).
    /// Unknown values are not failures: the worker keeps polling and the attempt budget decides.
    pub fn is_provisioning_failure(&self) -> bool {
        matches!(self, Self::Errored | Self::Archive)
    }
}

impl fmt::Display for DropletStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DropletStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DropletStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Ok(Self::parse(&raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_statuses_parse() {
        assert_eq!(DropletStatus::parse("new"), DropletStatus::New);
        assert_eq!(DropletStatus::parse("active"), DropletStatus::Active);
        assert_eq!(DropletStatus::parse("off"), DropletStatus::Off);
        assert_eq!(DropletStatus::parse("archive"), DropletStatus::Archive);
    }

    #[test]
    fn nonstandard_errored_and_unknown_values_are_tolerated() {
        assert_eq!(DropletStatus::parse("errored"), DropletStatus::Errored);
        let odd: DropletStatus = serde_json::from_str("\"migrating\"").expect("any string parses");
        assert_eq!(odd, DropletStatus::Other("migrating".into()));
        assert_eq!(odd.as_str(), "migrating");
        // Case matters on the wire; an unexpected spelling is kept, not guessed.
        assert_eq!(
            DropletStatus::parse("Active"),
            DropletStatus::Other("Active".into())
        );
    }

    #[test]
    fn failure_statuses_during_provisioning() {
        assert!(DropletStatus::Errored.is_provisioning_failure());
        assert!(DropletStatus::Archive.is_provisioning_failure());
        for keep_polling in [
            DropletStatus::New,
            DropletStatus::Active,
            DropletStatus::Off,
            DropletStatus::Other("x".into()),
        ] {
            assert!(!keep_polling.is_provisioning_failure(), "{keep_polling}");
        }
    }

    #[test]
    fn round_trips_as_a_plain_string() {
        for s in ["new", "active", "off", "archive", "errored", "whatever"] {
            let status = DropletStatus::parse(s);
            let json = serde_json::to_string(&status).expect("serializes");
            assert_eq!(json, format!("\"{s}\""));
        }
    }
}
