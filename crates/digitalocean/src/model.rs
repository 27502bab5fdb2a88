//! Wire types of DigitalOcean API v2 (integrations.md §2.2–§2.5).
//!
//! Responses are read leniently: unknown fields are ignored, optional fields may be missing or
//! `null`, and ids are accepted as numbers or numeric strings. Field names stay snake_case here;
//! callers translate them at their own boundary.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

use crate::status::DropletStatus;

/// A droplet as DigitalOcean describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Droplet {
    /// An integer on the wire; the order service stores it as a string ([`Droplet::id_string`]).
    #[serde(deserialize_with = "int_or_numeric_string")]
    pub id: i64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    pub status: DropletStatus,
    #[serde(default)]
    pub memory: Option<u64>,
    #[serde(default)]
    pub vcpus: Option<u64>,
    #[serde(default)]
    pub disk: Option<u64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub locked: bool,
    /// RFC 3339 as sent; [`Droplet::created_at`] parses it.
    #[serde(default, rename = "created_at")]
    pub created_at_raw: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub features: Vec<String>,
    #[serde(default)]
    pub image: Option<Image>,
    #[serde(default)]
    pub size: Option<Size>,
    #[serde(default)]
    pub size_slug: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub networks: Networks,
    #[serde(default)]
    pub region: Option<Region>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub vpc_uuid: Option<String>,
}

impl Droplet {
    /// The id the way the order service stores it.
    pub fn id_string(&self) -> String {
        self.id.to_string()
    }

    /// The first `public` IPv4 address, if the droplet has one yet (order.md §7.5).
    pub fn public_ipv4(&self) -> Option<&str> {
        self.networks.first_v4(NetworkV4::PUBLIC)
    }

    /// The first `private` IPv4 address.
    pub fn private_ipv4(&self) -> Option<&str> {
        self.networks.first_v4(NetworkV4::PRIVATE)
    }

    /// Provisioning is complete only when the droplet is `active` and has a public IPv4 (§2.3).
    pub fn is_ready(&self) -> bool {
        self.status == DropletStatus::Active && self.public_ipv4().is_some()
    }

    pub fn region_slug(&self) -> Option<&str> {
        self.region.as_ref().map(|r| r.slug.as_str())
    }

    /// `size_slug`, or the nested `size.slug` when only that is present.
    pub fn size_slug(&self) -> Option<&str> {
        self.size_slug
            .as_deref()
            .or_else(|| self.size.as_ref().and_then(|s| s.slug.as_deref()))
    }

    /// `created_at` parsed; `None` when missing or not RFC 3339.
    pub fn created_at(&self) -> Option<OffsetDateTime> {
        self.created_at_raw
            .as_deref()
            .and_then(platform::time_format::parse)
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Networks {
    #[serde(default, deserialize_with = "null_as_default")]
    pub v4: Vec<NetworkV4>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub v6: Vec<NetworkV6>,
}

impl Networks {
    fn first_v4(&self, kind: &str) -> Option<&str> {
        self.v4
            .iter()
            .find(|n| n.kind == kind && !n.ip_address.is_empty())
            .map(|n| n.ip_address.as_str())
    }
}

/// One `networks.v4` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NetworkV4 {
    pub ip_address: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub netmask: String,
    #[serde(default)]
    pub gateway: Option<String>,
    /// `public` or `private`.
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub kind: String,
}

impl NetworkV4 {
    pub const PUBLIC: &'static str = "public";
    pub const PRIVATE: &'static str = "private";
}

/// One `networks.v6` entry; its `netmask` is a prefix length (an integer), unlike v4's.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NetworkV6 {
    pub ip_address: String,
    #[serde(default, deserialize_with = "opt_int_or_numeric_string")]
    pub netmask: Option<i64>,
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Image {
    #[serde(default, deserialize_with = "opt_int_or_numeric_string")]
    pub id: Option<i64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub distribution: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub public: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Size {
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub memory: Option<u64>,
    #[serde(default)]
    pub vcpus: Option<u64>,
    #[serde(default)]
    pub disk: Option<u64>,
    #[serde(default)]
    pub transfer: Option<f64>,
    #[serde(default)]
    pub price_monthly: Option<f64>,
    #[serde(default)]
    pub price_hourly: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Region {
    pub slug: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub available: Option<bool>,
}

/// The answer to `POST /v2/droplets`: the droplet (status `new`) and its create action.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedDroplet {
    pub droplet: Droplet,
    pub actions: Vec<ActionLink>,
}

/// `links.actions[]` of a create answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ActionLink {
    #[serde(deserialize_with = "int_or_numeric_string")]
    pub id: i64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub rel: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub href: String,
}

/// One page of `GET /v2/droplets`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropletList {
    pub droplets: Vec<Droplet>,
    /// `meta.total`: droplets matching the filter over all pages.
    pub total: Option<u64>,
    /// `links.pages.next`, when there are more pages.
    pub next_page: Option<String>,
}

/// `GET /v2/account`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Account {
    #[serde(default)]
    pub droplet_limit: Option<u64>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default)]
    pub uuid: Option<String>,
    /// `active`, `warning` or `locked`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_message: Option<String>,
}

/// A droplet action (§2.5).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Action {
    #[serde(deserialize_with = "int_or_numeric_string")]
    pub id: i64,
    pub status: ActionStatus,
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub kind: String,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub completed_at: Option<String>,
    #[serde(default, deserialize_with = "opt_int_or_numeric_string")]
    pub resource_id: Option<i64>,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub region_slug: Option<String>,
}

/// An action's `status`; unknown values are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionStatus {
    InProgress,
    Completed,
    Errored,
    Other(String),
}

impl<'de> Deserialize<'de> for ActionStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match String::deserialize(d)?.as_str() {
            "in-progress" => Self::InProgress,
            "completed" => Self::Completed,
            "errored" => Self::Errored,
            other => Self::Other(other.to_string()),
        })
    }
}

/// The droplet actions the platform may request (§2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionType {
    Reboot,
    PowerOff,
    PowerOn,
    PowerCycle,
    Shutdown,
    /// E-mails a new root password to the DigitalOcean account owner, never to a customer.
    PasswordReset,
}

/// The body of `POST /v2/droplets` (§2.2). Build it for an order with
/// [`crate::provisioning::OrderDroplet::request`].
#[derive(Clone, PartialEq, Serialize)]
pub struct CreateDropletRequest {
    pub name: String,
    pub region: String,
    pub size: String,
    pub image: ImageRef,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssh_keys: Vec<SshKeyRef>,
    pub backups: bool,
    pub ipv6: bool,
    pub monitoring: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_data: Option<UserData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_uuid: Option<String>,
}

// Hand-written so the user data, which carries the root password, is never printed.
impl fmt::Debug for CreateDropletRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateDropletRequest")
            .field("name", &self.name)
            .field("region", &self.region)
            .field("size", &self.size)
            .field("image", &self.image)
            .field("ssh_keys", &self.ssh_keys)
            .field("backups", &self.backups)
            .field("ipv6", &self.ipv6)
            .field("monitoring", &self.monitoring)
            .field("tags", &self.tags)
            .field("user_data", &self.user_data)
            .field("vpc_uuid", &self.vpc_uuid)
            .finish()
    }
}

/// `image`: a slug or a numeric image id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ImageRef {
    Slug(String),
    Id(i64),
}

/// `ssh_keys[]`: a key id or a fingerprint (not used in v1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SshKeyRef {
    Id(i64),
    Fingerprint(String),
}

/// cloud-init user data. It usually carries a password, so `Debug` shows only its size.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct UserData(String);

impl UserData {
    /// DigitalOcean refuses user data above 64 KiB.
    pub const MAX_BYTES: usize = 64 * 1024;

    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UserData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserData(<{} bytes redacted>)", self.0.len())
    }
}

// --- response envelopes -------------------------------------------------------------------

#[derive(Deserialize)]
pub(crate) struct DropletEnvelope {
    pub droplet: Droplet,
}

#[derive(Deserialize)]
pub(crate) struct CreatedEnvelope {
    pub droplet: Droplet,
    #[serde(default, deserialize_with = "null_as_default")]
    pub links: CreateLinks,
}

#[derive(Deserialize, Default)]
pub(crate) struct CreateLinks {
    #[serde(default, deserialize_with = "null_as_default")]
    pub actions: Vec<ActionLink>,
}

#[derive(Deserialize)]
pub(crate) struct DropletsEnvelope {
    #[serde(deserialize_with = "null_as_default")]
    pub droplets: Vec<Droplet>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub links: ListLinks,
    #[serde(default, deserialize_with = "null_as_default")]
    pub meta: ListMeta,
}

#[derive(Deserialize, Default)]
pub(crate) struct ListLinks {
    #[serde(default, deserialize_with = "null_as_default")]
    pub pages: Pages,
}

#[derive(Deserialize, Default)]
pub(crate) struct Pages {
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct ListMeta {
    #[serde(default)]
    pub total: Option<u64>,
}

#[derive(Deserialize)]
pub(crate) struct AccountEnvelope {
    pub account: Account,
}

#[derive(Deserialize)]
pub(crate) struct ActionEnvelope {
    pub action: Action,
}

// --- lenient field readers ----------------------------------------------------------------

/// `null` reads as the type's default, so `"tags": null` is an empty list, not an error.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IntOrString {
    Int(i64),
    Text(String),
}

fn int_or_numeric_string<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match IntOrString::deserialize(d)? {
        IntOrString::Int(n) => Ok(n),
        IntOrString::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("expected an integer id, got {s:?}"))),
    }
}

fn opt_int_or_numeric_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<IntOrString>::deserialize(d)? {
        None => Ok(None),
        Some(IntOrString::Int(n)) => Ok(Some(n)),
        // An unreadable optional number is dropped rather than failing the whole droplet.
        Some(IntOrString::Text(s)) => Ok(s.trim().parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The create answer of integrations.md §2.2, verbatim.
    const CREATE_ANSWER: &str = r#"{"droplet": {"id": 412345678, "name": "vps-6f0429ea", "memory": 1024, "vcpus": 1, "disk": 25, "locked": false,
  "status": "new", "created_at": "2025-01-15T10:01:03Z", "features": ["monitoring"],
  "backup_ids": [], "snapshot_ids": [], "volume_ids": [],
  "image": {"id": 129211873, "name": "22.04 (LTS) x64", "distribution": "Ubuntu", "slug": "ubuntu-22-04-x64", "public": true},
  "size": {"slug": "s-1vcpu-1gb", "memory": 1024, "vcpus": 1, "disk": 25, "transfer": 1.0, "price_monthly": 6.0, "price_hourly": 0.00893},
  "size_slug": "s-1vcpu-1gb",
  "networks": {"v4": [], "v6": []},
  "region": {"slug": "sgp1", "name": "Singapore 1", "available": true},
  "tags": ["webrana", "order-6f0429ea-4344-496d-bd40-1f4e47a6220c"],
  "vpc_uuid": "5a4981aa-9653-4bd1-bef5-d6bff52042e4"},
 "links": {"actions": [{"id": 2000000001, "rel": "create", "href": "https://api.digitalocean.com/v2/actions/2000000001"}]}}"#;

    #[test]
    fn reads_the_documented_create_answer() {
        let created: CreatedEnvelope = serde_json::from_str(CREATE_ANSWER).expect("spec sample");
        let d = created.droplet;
        assert_eq!(d.id, 412_345_678);
        assert_eq!(d.id_string(), "412345678");
        assert_eq!(d.status, DropletStatus::New);
        assert_eq!(d.region_slug(), Some("sgp1"));
        assert_eq!(d.size_slug(), Some("s-1vcpu-1gb"));
        assert!(d.has_tag("order-6f0429ea-4344-496d-bd40-1f4e47a6220c"));
        assert_eq!(d.public_ipv4(), None);
        assert!(!d.is_ready());
        assert_eq!(
            d.created_at().map(|t| t.unix_timestamp()),
            Some(1_736_935_263)
        );
        assert_eq!(created.links.actions[0].id, 2_000_000_001);
        assert_eq!(created.links.actions[0].rel, "create");
    }

    #[test]
    fn extracts_public_and_private_ipv4_whatever_the_order() {
        let d: Droplet = serde_json::from_value(json!({
            "id": 1, "name": "vps-1", "status": "active",
            "networks": {
                "v4": [
                    {"ip_address": "10.130.0.7", "netmask": "255.255.0.0", "gateway": "10.130.0.1", "type": "private"},
                    {"ip_address": "203.0.113.9", "netmask": "255.255.255.0", "gateway": "203.0.113.1", "type": "public"}
                ],
                "v6": [{"ip_address": "2001:db8::9", "netmask": 64, "gateway": "2001:db8::1", "type": "public"}]
            }
        }))
        .expect("droplet");
        assert_eq!(d.public_ipv4(), Some("203.0.113.9"));
        assert_eq!(d.private_ipv4(), Some("10.130.0.7"));
        assert_eq!(d.networks.v6[0].netmask, Some(64));
        assert!(d.is_ready());
    }

    #[test]
    fn active_without_public_ipv4_is_not_ready() {
        let d: Droplet = serde_json::from_value(json!({
            "id": 1, "status": "active",
            "networks": {"v4": [{"ip_address": "10.130.0.7", "netmask": "255.255.0.0", "type": "private"}]}
        }))
        .expect("droplet");
        assert!(!d.is_ready());
    }

    #[test]
    fn lenient_reading_of_ids_nulls_and_unknown_fields() {
        let d: Droplet = serde_json::from_value(json!({
            "id": "412345678", "status": "errored", "tags": null, "networks": null,
            "features": null, "kernel": {"id": 1}, "brand_new_field": true
        }))
        .expect("lenient droplet");
        assert_eq!(d.id, 412_345_678);
        assert_eq!(d.status, DropletStatus::Errored);
        assert!(d.tags.is_empty());
        assert!(d.networks.v4.is_empty());
        assert!(d.created_at().is_none());
    }

    #[test]
    fn an_id_that_is_not_a_number_is_rejected() {
        let err = serde_json::from_value::<Droplet>(json!({"id": "abc", "status": "new"}));
        assert!(err.is_err());
    }

    #[test]
    fn create_request_serializes_like_order_md() {
        let req = CreateDropletRequest {
            name: "vps-6f0429ea".into(),
            region: "sgp1".into(),
            size: "s-1vcpu-1gb".into(),
            image: ImageRef::Slug("ubuntu-22-04-x64".into()),
            ssh_keys: vec![],
            backups: false,
            ipv6: false,
            monitoring: true,
            tags: vec!["webrana".into()],
            user_data: Some(UserData::new("#cloud-config\n")),
            vpc_uuid: None,
        };
        let v = serde_json::to_value(&req).expect("serializes");
        assert_eq!(
            v,
            json!({"name": "vps-6f0429ea", "region": "sgp1", "size": "s-1vcpu-1gb",
                   "image": "ubuntu-22-04-x64", "backups": false, "ipv6": false,
                   "monitoring": true, "tags": ["webrana"], "user_data": "#cloud-config\n"})
        );
        let by_id = serde_json::to_value(ImageRef::Id(129_211_873)).expect("serializes");
        assert_eq!(by_id, json!(129_211_873));
    }

    #[test]
    fn debug_never_shows_user_data() {
        let req = CreateDropletRequest {
            name: "n".into(),
            region: "r".into(),
            size: "s".into(),
            image: ImageRef::Id(1),
            ssh_keys: vec![],
            backups: false,
            ipv6: false,
            monitoring: false,
            tags: vec![],
            user_data: Some(UserData::new("password: hunter2")),
            vpc_uuid: None,
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }

    #[test]
    fn action_types_serialize_snake_case() {
        let v = serde_json::to_value(ActionType::PowerCycle).expect("serializes");
        assert_eq!(v, json!("power_cycle"));
        let a: Action = serde_json::from_value(json!({
            "id": 7, "status": "in-progress", "type": "reboot", "started_at": "2025-01-15T10:01:03Z",
            "completed_at": null, "resource_id": 412345678, "resource_type": "droplet", "region_slug": "sgp1"
        }))
        .expect("action");
        assert_eq!(a.status, ActionStatus::InProgress);
        assert_eq!(a.kind, "reboot");
        assert_eq!(a.resource_id, Some(412_345_678));
    }
}
