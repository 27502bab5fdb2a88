//! JSON shapes of DigitalOcean API v2 (integrations.md §2.2–§2.5), as the real API writes them.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use super::config::DoSimConfig;
use super::state::{SimAction, SimDroplet, Status};

/// `2025-01-15T10:01:03Z`: DigitalOcean writes whole seconds.
pub fn timestamp(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// The error body of §2.1 with its status.
pub fn error(status: StatusCode, id: &str, message: &str, request_id: String) -> Response {
    (
        status,
        Json(json!({ "id": id, "message": message, "request_id": request_id })),
    )
        .into_response()
}

pub const NOT_FOUND: &str = "The resource you were accessing could not be found.";
pub const UNAUTHORIZED: &str = "Unable to authenticate you";
pub const TOO_MANY_REQUESTS: &str = "API Rate limit exceeded.";
pub const SERVER_ERROR: &str = "Server Error";
pub const SERVICE_UNAVAILABLE: &str = "Service Unavailable";

/// A droplet object as a read reports it with `status`; addresses appear once it has booted.
pub fn droplet(d: &SimDroplet, status: Status, config: &DoSimConfig) -> Value {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    if status.has_networks() {
        // Private first, as DigitalOcean often lists it: clients must pick by `type`.
        v4.push(json!({
            "ip_address": d.private_v4.to_string(), "netmask": "255.255.0.0",
            "gateway": "10.130.0.1", "type": "private"
        }));
        v4.push(json!({
            "ip_address": d.public_v4.to_string(), "netmask": "255.255.255.0",
            "gateway": "203.0.113.1", "type": "public"
        }));
        if d.ipv6 {
            let gateway = {
                let mut segments = d.public_v6.segments();
                segments[4..].copy_from_slice(&[0, 0, 0, 1]);
                std::net::Ipv6Addr::from(segments)
            };
            v6.push(json!({
                "ip_address": d.public_v6.to_string(), "netmask": 64,
                "gateway": gateway.to_string(), "type": "public"
            }));
        }
    }
    let mut features = Vec::new();
    if d.backups {
        features.push("backups");
    }
    if d.ipv6 {
        features.push("ipv6");
    }
    if d.monitoring {
        features.push("monitoring");
    }
    let region_slugs: Vec<&str> = config.regions.iter().map(|r| r.slug.as_str()).collect();
    let size_slugs: Vec<&str> = config.sizes.iter().map(|s| s.slug.as_str()).collect();
    json!({
        "id": d.id,
        "name": d.name,
        "memory": d.size.memory,
        "vcpus": d.size.vcpus,
        "disk": d.size.disk,
        "locked": false,
        "status": status.as_str(),
        "kernel": null,
        "created_at": timestamp(d.created_at),
        "features": features,
        "backup_ids": [],
        "next_backup_window": null,
        "snapshot_ids": [],
        "volume_ids": [],
        "image": {
            "id": d.image.id, "name": d.image.name, "distribution": d.image.distribution,
            "slug": d.image.slug, "public": true, "regions": region_slugs, "type": "base"
        },
        "size": {
            "slug": d.size.slug, "memory": d.size.memory, "vcpus": d.size.vcpus,
            "disk": d.size.disk, "transfer": d.size.transfer,
            "price_monthly": d.size.price_monthly, "price_hourly": d.size.price_hourly,
            "regions": region_slugs, "available": true
        },
        "size_slug": d.size.slug,
        "networks": { "v4": v4, "v6": v6 },
        "region": {
            "slug": d.region.slug, "name": d.region.name, "available": true,
            "sizes": size_slugs, "features": ["backups", "ipv6", "metadata", "install_agent"]
        },
        "tags": d.tags,
        "vpc_uuid": d.vpc_uuid,
    })
}

/// An action object (§2.5).
pub fn action(a: &SimAction) -> Value {
    json!({
        "id": a.id,
        "status": a.status.as_str(),
        "type": a.kind,
        "started_at": timestamp(a.started_at),
        "completed_at": a.completed_at.map(timestamp),
        "resource_id": a.droplet_id,
        "resource_type": "droplet",
        "region_slug": a.region_slug,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_whole_seconds_in_utc() {
        let t = OffsetDateTime::from_unix_timestamp(1_736_935_263).expect("time");
        assert_eq!(timestamp(t), "2025-01-15T10:01:03Z");
    }
}
