//! What the order service sends for a new droplet (order.md §7.3): name, tags and the root
//! password's cloud-config, so every caller builds them the same way.

use std::fmt;

use crate::cloud_config;
pub use crate::cloud_config::PasswordRejected;
use crate::model::{CreateDropletRequest, ImageRef};

/// The tag every droplet of the platform carries.
pub const PLATFORM_TAG: &str = "webrana";

/// `vps-` + the first 8 characters of the order id.
pub fn droplet_name(order_id: &str) -> String {
    let prefix: String = order_id.chars().take(8).collect();
    format!("vps-{prefix}")
}

/// `order-<order id>`: unique per order, so a droplet whose create answer was lost can be found
/// again (integrations.md §2.4).
pub fn order_tag(order_id: &str) -> String {
    format!("order-{order_id}")
}

/// `webrana` and `order-<order id>`.
pub fn droplet_tags(order_id: &str) -> Vec<String> {
    vec![PLATFORM_TAG.to_string(), order_tag(order_id)]
}

/// One order's droplet, before it is sent.
#[derive(Clone)]
pub struct OrderDroplet<'a> {
    pub order_id: &'a str,
    /// `DIGITALOCEAN_DEFAULT_REGION`.
    pub region: &'a str,
    /// The catalog plan's provider size slug.
    pub size: &'a str,
    /// The catalog image's provider slug.
    pub image: &'a str,
    pub root_password: &'a str,
}

// Hand-written so the password is never printed.
impl fmt::Debug for OrderDroplet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderDroplet")
            .field("order_id", &self.order_id)
            .field("region", &self.region)
            .field("size", &self.size)
            .field("image", &self.image)
            .field("root_password", &"***")
            .finish()
    }
}

impl OrderDroplet<'_> {
    /// The create body of order.md §7.3: monitoring on, IPv6 and backups off, no SSH keys.
    pub fn request(&self) -> Result<CreateDropletRequest, PasswordRejected> {
        Ok(CreateDropletRequest {
            name: droplet_name(self.order_id),
            region: self.region.to_string(),
            size: self.size.to_string(),
            image: ImageRef::Slug(self.image.to_string()),
            ssh_keys: Vec::new(),
            backups: false,
            ipv6: false,
            monitoring: true,
            tags: droplet_tags(self.order_id),
            user_data: Some(cloud_config::root_password(self.root_password)?),
            vpc_uuid: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ORDER_ID: &str = "6f0429ea-4344-496d-bd40-1f4e47a6220c";

    #[test]
    fn name_and_tags_follow_order_md() {
        assert_eq!(droplet_name(ORDER_ID), "vps-6f0429ea");
        assert_eq!(order_tag(ORDER_ID), format!("order-{ORDER_ID}"));
        assert_eq!(
            droplet_tags(ORDER_ID),
            vec!["webrana".to_string(), format!("order-{ORDER_ID}")]
        );
        // Short ids are taken whole rather than panicking on a slice.
        assert_eq!(droplet_name("abc"), "vps-abc");
    }

    #[test]
    fn the_request_is_the_body_of_order_md() {
        let order = OrderDroplet {
            order_id: ORDER_ID,
            region: "sgp1",
            size: "s-1vcpu-1gb",
            image: "ubuntu-22-04-x64",
            root_password: "Pw0rdPw0rdPw0rdPw0rdPw0r",
        };
        let body = serde_json::to_value(order.request().expect("valid password")).expect("json");
        assert_eq!(
            body,
            json!({
                "name": "vps-6f0429ea", "region": "sgp1", "size": "s-1vcpu-1gb",
                "image": "ubuntu-22-04-x64",
                "tags": ["webrana", format!("order-{ORDER_ID}")],
                "monitoring": true, "ipv6": false, "backups": false,
                "user_data": "#cloud-config\nchpasswd:\n  expire: false\n  users:\n    - {name: root, password: \"Pw0rdPw0rdPw0rdPw0rdPw0r\", type: text}\nssh_pwauth: true\n"
            })
        );
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let order = OrderDroplet {
            order_id: ORDER_ID,
            region: "sgp1",
            size: "s-1vcpu-1gb",
            image: "ubuntu-22-04-x64",
            root_password: "SuperSecretRootPassword1",
        };
        assert!(!format!("{order:?}").contains("SuperSecret"));
        let request = order.request().expect("valid password");
        assert!(!format!("{request:?}").contains("SuperSecret"));
    }

    #[test]
    fn a_bad_password_is_refused_before_anything_is_sent() {
        let order = OrderDroplet {
            order_id: ORDER_ID,
            region: "sgp1",
            size: "s-1vcpu-1gb",
            image: "ubuntu-22-04-x64",
            root_password: "two\nlines",
        };
        assert_eq!(order.request(), Err(PasswordRejected::ControlCharacter));
    }
}
