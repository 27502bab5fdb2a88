//! The `/v2` routes: droplets (create, list by tag, read, delete), actions and the account.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::config::{DoSimConfig, SimImage, SimRegion, SimSize};
use super::state::{
    ActionStatus, Behaviour, Sim, SimAction, SimDroplet, State as SimState, Status,
};
use super::wire;

/// DigitalOcean's `user_data` limit.
const MAX_USER_DATA_BYTES: usize = 64 * 1024;
const MAX_PER_PAGE: u64 = 200;
const DEFAULT_PER_PAGE: u64 = 20;
const ACTION_TYPES: &[&str] = &[
    "reboot",
    "power_off",
    "power_on",
    "power_cycle",
    "shutdown",
    "password_reset",
];

type Shared = State<Arc<Sim>>;

pub(crate) async fn create(State(sim): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return bad_request(&sim, "The request body is not a JSON object.");
    };
    let base = base_href(&headers);
    let (answer, hold) = {
        let mut state = sim.lock();
        let mut request = match CreateRequest::validate(&fields, &sim.startup) {
            Ok(request) => request,
            Err(message) => {
                // A refused create still uses up the injected tags: they were meant for it.
                state.next_create_tags.clear();
                return unprocessable(&mut state, &message);
            }
        };
        for tag in std::mem::take(&mut state.next_create_tags) {
            if !request.tags.contains(&tag) {
                request.tags.push(tag);
            }
        }
        let behaviour = Behaviour::detect(&request.name, &request.tags);
        if behaviour.fail_create {
            return unprocessable(
                &mut state,
                "The simulator refused this Droplet (sim:fail-create).",
            );
        }
        if state.droplets.len() >= sim.startup.droplet_limit as usize {
            return unprocessable(
                &mut state,
                "creating this/these droplet(s) will exceed your droplet limit",
            );
        }
        let droplet = insert_droplet(&mut state, request, behaviour);
        tracing::info!(droplet_id = droplet.id, name = %droplet.name, "simulated droplet created");
        let answer = json!({
            "droplet": wire::droplet(&droplet, Status::New, &sim.startup),
            "links": { "actions": [{
                "id": droplet.create_action, "rel": "create",
                "href": format!("{base}/v2/actions/{}", droplet.create_action)
            }]}
        });
        let hold = behaviour
            .slow_create
            .then_some(state.settings.slow_create_delay);
        (answer, hold)
    };
    if let Some(hold) = hold {
        // The droplet exists already; only the answer is late, so the client times out and
        // must find it again by its tag.
        tokio::time::sleep(hold).await;
    }
    (StatusCode::ACCEPTED, Json(answer)).into_response()
}

fn insert_droplet(
    state: &mut SimState,
    request: CreateRequest,
    behaviour: Behaviour,
) -> SimDroplet {
    let id = state.next_droplet_id();
    let create_action = state.next_action_id();
    let public_v4 = state.next_public_v4();
    let private_v4 = state.next_private_v4();
    let public_v6 = state.next_public_v6();
    let vpc_uuid = match request.vpc_uuid {
        Some(uuid) => uuid,
        None => state.vpc_uuid(&request.region.slug),
    };
    let now = OffsetDateTime::now_utc();
    let started = Instant::now();
    let droplet = SimDroplet {
        id,
        name: request.name,
        region: request.region,
        size: request.size,
        image: request.image,
        tags: request.tags,
        monitoring: request.monitoring,
        ipv6: request.ipv6,
        backups: request.backups,
        vpc_uuid,
        user_data: request.user_data,
        created_at: now,
        created: started,
        behaviour,
        forced: None,
        powered_off: false,
        public_v4,
        private_v4,
        public_v6,
        create_action,
    };
    state.actions.insert(
        create_action,
        SimAction {
            id: create_action,
            droplet_id: id,
            kind: "create".into(),
            status: ActionStatus::InProgress,
            started_at: now,
            started,
            completed_at: None,
            region_slug: droplet.region.slug.clone(),
        },
    );
    state.droplets.insert(id, droplet.clone());
    state.creates += 1;
    droplet
}

/// A create body that passed validation.
struct CreateRequest {
    name: String,
    region: SimRegion,
    size: SimSize,
    image: SimImage,
    tags: Vec<String>,
    monitoring: bool,
    ipv6: bool,
    backups: bool,
    user_data: Option<String>,
    vpc_uuid: Option<String>,
}

impl CreateRequest {
    /// Required fields, slugs and formats of §2.2; the message is the `422`'s.
    fn validate(
        fields: &serde_json::Map<String, Value>,
        config: &DoSimConfig,
    ) -> Result<Self, String> {
        let name = match fields.get("name") {
            None | Some(Value::Null) => {
                return Err("You must provide a name for the Droplet.".into());
            }
            Some(Value::String(name)) if is_hostname(name) => name.clone(),
            Some(_) => {
                return Err(
                    "Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)".into(),
                );
            }
        };
        let slug = |field: &str| match fields.get(field) {
            None | Some(Value::Null) => Err(format!("You must specify a {field} for the Droplet.")),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!(
                "You specified an invalid {field} for Droplet creation."
            )),
        };
        let region_slug = slug("region")?;
        let region = config
            .regions
            .iter()
            .find(|r| r.slug == region_slug)
            .cloned()
            .ok_or("You specified an invalid region for Droplet creation.")?;
        let size_slug = slug("size")?;
        let size = config
            .sizes
            .iter()
            .find(|s| s.slug == size_slug)
            .cloned()
            .ok_or("You specified an invalid size for Droplet creation.")?;
        let image = match fields.get("image") {
            None | Some(Value::Null) => {
                return Err("You must specify an image for the Droplet.".into());
            }
            Some(Value::String(slug)) => config.images.iter().find(|i| &i.slug == slug),
            Some(Value::Number(id)) => config.images.iter().find(|i| id.as_i64() == Some(i.id)),
            Some(_) => None,
        }
        .cloned()
        .ok_or("You specified an invalid image for Droplet creation.")?;
        let mut tags: Vec<String> = Vec::new();
        match fields.get("tags") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    match item.as_str() {
                        Some(tag) if is_tag(tag) => {
                            if !tags.iter().any(|t| t == tag) {
                                tags.push(tag.to_string());
                            }
                        }
                        _ => {
                            return Err("Tag names may only contain letters, numbers, colons, \
                                        dashes and underscores, and be at most 255 characters."
                                .into());
                        }
                    }
                }
            }
            Some(_) => return Err("tags must be an array of strings.".into()),
        }
        let flag = |field: &str| match fields.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("{field} must be a boolean.")),
        };
        let user_data = match fields.get("user_data") {
            None | Some(Value::Null) => None,
            Some(Value::String(data)) if data.len() <= MAX_USER_DATA_BYTES => Some(data.clone()),
            Some(Value::String(_)) => return Err("user_data must be at most 64 KiB.".into()),
            Some(_) => return Err("user_data must be a string.".into()),
        };
        match fields.get("ssh_keys") {
            None | Some(Value::Null) | Some(Value::Array(_)) => {}
            Some(_) => return Err("ssh_keys must be an array.".into()),
        }
        let vpc_uuid = match fields.get("vpc_uuid") {
            None | Some(Value::Null) => None,
            Some(Value::String(uuid)) => Some(uuid.clone()),
            Some(_) => return Err("vpc_uuid must be a string.".into()),
        };
        Ok(Self {
            name,
            region,
            size,
            image,
            tags,
            monitoring: flag("monitoring")?,
            ipv6: flag("ipv6")?,
            backups: flag("backups")?,
            user_data,
            vpc_uuid,
        })
    }
}

/// Letters, digits, `.` and `-`.
fn is_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// Letters, digits, `:`, `-`, `_`; at most 255 characters.
fn is_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 255
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'))
}

/// `GET /v2/droplets[?tag_name=&page=&per_page=]`.
pub(crate) async fn list(
    State(sim): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let tag = query.get("tag_name").filter(|t| !t.is_empty());
    let page = number(&query, "page").unwrap_or(1).max(1);
    let per_page = number(&query, "per_page")
        .unwrap_or(DEFAULT_PER_PAGE)
        .clamp(1, MAX_PER_PAGE);
    let state = sim.lock();
    let now = Instant::now();
    let matching: Vec<&SimDroplet> = state
        .droplets
        .values()
        .filter(|d| d.visible())
        .filter(|d| tag.is_none_or(|t| d.tags.contains(t)))
        .collect();
    let total = matching.len() as u64;
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let droplets: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(per_page as usize)
        .map(|d| wire::droplet(d, d.status(now, &state.settings), &sim.startup))
        .collect();
    let last = total.div_ceil(per_page).max(1);
    let mut pages = serde_json::Map::new();
    let link = |p: u64| {
        let mut url = format!(
            "{}/v2/droplets?page={p}&per_page={per_page}",
            base_href(&headers)
        );
        if let Some(tag) = tag {
            url.push_str("&tag_name=");
            url.push_str(&encode_query_value(tag));
        }
        Value::String(url)
    };
    if page > 1 {
        pages.insert("first".into(), link(1));
        pages.insert("prev".into(), link((page - 1).min(last)));
    }
    if page < last {
        pages.insert("next".into(), link(page + 1));
        pages.insert("last".into(), link(last));
    }
    let links = if pages.is_empty() {
        json!({})
    } else {
        json!({ "pages": pages })
    };
    Json(json!({ "droplets": droplets, "links": links, "meta": { "total": total } }))
        .into_response()
}

/// `GET /v2/droplets/{id}`.
pub(crate) async fn get(State(sim): Shared, Path(id): Path<String>) -> Response {
    let mut state = sim.lock();
    let Some(droplet) = id.parse().ok().and_then(|id| state.droplet(id)) else {
        return not_found_in(&mut state);
    };
    let status = droplet.status(Instant::now(), &state.settings);
    Json(json!({ "droplet": wire::droplet(droplet, status, &sim.startup) })).into_response()
}

/// `DELETE /v2/droplets/{id}` → `204`. Its actions stay readable, as on DigitalOcean.
pub(crate) async fn delete(State(sim): Shared, Path(id): Path<String>) -> Response {
    let mut state = sim.lock();
    let Some(id) = id.parse().ok().filter(|id| state.droplet(*id).is_some()) else {
        return not_found_in(&mut state);
    };
    state.droplets.remove(&id);
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /v2/droplets/{id}/actions` → `201`, or `422` when the droplet is not in a state for it
/// or another action is running.
pub(crate) async fn post_action(
    State(sim): Shared,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let kind = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(fields)) => fields
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => return bad_request(&sim, "The request body is not a JSON object."),
    };
    let mut state = sim.lock();
    let now = Instant::now();
    let Some(droplet) = id.parse().ok().and_then(|id| state.droplet(id)) else {
        return not_found_in(&mut state);
    };
    let (droplet_id, region_slug) = (droplet.id, droplet.region.slug.clone());
    let status = droplet.status(now, &state.settings);
    if !ACTION_TYPES.contains(&kind.as_str()) {
        return unprocessable(
            &mut state,
            &format!("The action type {kind:?} is not valid."),
        );
    }
    let conflict = match (kind.as_str(), status) {
        (_, Status::New | Status::Archive | Status::Errored) => {
            Some("Droplet is not ready for this action.")
        }
        ("power_on", Status::Active) => Some("Droplet is already powered on."),
        ("power_off" | "shutdown", Status::Off) => Some("Droplet is already powered off."),
        _ => None,
    };
    let running = state
        .actions
        .values()
        .any(|a| a.droplet_id == droplet_id && a.status == ActionStatus::InProgress);
    if let Some(message) = conflict.or(running.then_some("Droplet already has a pending event.")) {
        return unprocessable(&mut state, message);
    }
    let action_id = state.next_action_id();
    let action = SimAction {
        id: action_id,
        droplet_id,
        kind,
        status: ActionStatus::InProgress,
        started_at: OffsetDateTime::now_utc(),
        started: now,
        completed_at: None,
        region_slug,
    };
    let body = json!({ "action": wire::action(&action) });
    state.actions.insert(action_id, action);
    (StatusCode::CREATED, Json(body)).into_response()
}

/// `GET /v2/actions/{id}`.
pub(crate) async fn get_action(State(sim): Shared, Path(id): Path<String>) -> Response {
    let mut state = sim.lock();
    match id.parse().ok().and_then(|id: i64| state.actions.get(&id)) {
        Some(action) => Json(json!({ "action": wire::action(action) })).into_response(),
        None => not_found_in(&mut state),
    }
}

/// `GET /v2/droplets/{id}/actions/{action_id}`.
pub(crate) async fn get_droplet_action(
    State(sim): Shared,
    Path((id, action_id)): Path<(String, String)>,
) -> Response {
    let mut state = sim.lock();
    let droplet = id
        .parse()
        .ok()
        .and_then(|id| state.droplet(id))
        .map(|d| d.id);
    let action = action_id
        .parse()
        .ok()
        .and_then(|a: i64| state.actions.get(&a))
        .filter(|a| Some(a.droplet_id) == droplet);
    match action {
        Some(action) => Json(json!({ "action": wire::action(action) })).into_response(),
        None => not_found_in(&mut state),
    }
}

/// `GET /v2/account`.
pub(crate) async fn account(State(sim): Shared) -> Response {
    let state = sim.lock();
    Json(json!({ "account": {
        "droplet_limit": sim.startup.droplet_limit,
        "floating_ip_limit": 3,
        "volume_limit": 10,
        "email": "simulator@webrana.test",
        "email_verified": true,
        "uuid": state.account_uuid,
        "status": "active",
        "status_message": "",
    }}))
    .into_response()
}

/// Any other path: DigitalOcean's `404` body.
pub(crate) async fn not_found(State(sim): Shared) -> Response {
    not_found_in(&mut sim.lock())
}

/// A known path with another method.
pub(crate) async fn method_not_allowed(State(sim): Shared) -> Response {
    let request_id = sim.lock().request_id();
    wire::error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "The method is not allowed for the requested URL.",
        request_id,
    )
}

fn not_found_in(state: &mut SimState) -> Response {
    wire::error(
        StatusCode::NOT_FOUND,
        "not_found",
        wire::NOT_FOUND,
        state.request_id(),
    )
}

fn unprocessable(state: &mut SimState, message: &str) -> Response {
    wire::error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable_entity",
        message,
        state.request_id(),
    )
}

fn bad_request(sim: &Sim, message: &str) -> Response {
    let request_id = sim.lock().request_id();
    wire::error(StatusCode::BAD_REQUEST, "bad_request", message, request_id)
}

fn number(query: &HashMap<String, String>, name: &str) -> Option<u64> {
    query.get(name).and_then(|v| v.trim().parse().ok())
}

/// `http://<Host>` of the request, for `href`s and page links.
fn base_href(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostname_and_tag_rules() {
        assert!(is_hostname("vps-6f0429ea"));
        assert!(is_hostname("a.b-c"));
        assert!(!is_hostname(""));
        assert!(!is_hostname("has space"));
        assert!(!is_hostname("under_score"));
        assert!(is_tag("order-6f0429ea-4344-496d-bd40-1f4e47a6220c"));
        assert!(is_tag("sim:fail-create"));
        assert!(is_tag("a_b"));
        assert!(!is_tag("no space"));
        assert!(!is_tag(&"x".repeat(256)));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query_value("order-1:a_b"), "order-1%3Aa_b");
        assert_eq!(encode_query_value("a b&c"), "a%20b%26c");
    }
}
