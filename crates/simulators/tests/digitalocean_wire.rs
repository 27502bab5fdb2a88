//! The DigitalOcean simulator on the wire (integrations.md §2): status codes, headers, body
//! shapes, lifecycle, failure injection, rate limiting, control routes and determinism.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use simulators::digitalocean::DoSimConfig;

const TOKEN: &str = "sim-test-token";

struct Sim {
    base: String,
    http: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn header_number(&self, name: &str) -> i64 {
        self.header(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("header {name} missing or not a number"))
    }
}

async fn start(config: DoSimConfig) -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(simulators::digitalocean::serve(listener, config, async {
        let _ = rx.await;
    }));
    Sim {
        base,
        http: reqwest::Client::new(),
        _shutdown: tx,
    }
}

async fn start_default() -> Sim {
    start(DoSimConfig::for_tests(TOKEN)).await
}

impl Sim {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON body")
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, Some(TOKEN), None)
            .await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(TOKEN), Some(body))
            .await
    }

    async fn control(&self, path: &str, body: Value) -> Answer {
        self.send(
            reqwest::Method::POST,
            &format!("/_sim/{path}"),
            None,
            Some(body),
        )
        .await
    }

    async fn create(&self, name: &str, tags: &[&str]) -> Answer {
        self.post("/v2/droplets", create_body(name, tags)).await
    }
}

fn create_body(name: &str, tags: &[&str]) -> Value {
    json!({
        "name": name, "region": "sgp1", "size": "s-1vcpu-1gb", "image": "ubuntu-22-04-x64",
        "tags": tags, "monitoring": true, "ipv6": false, "backups": false,
        "user_data": "#cloud-config\n"
    })
}

fn assert_error(answer: &Answer, status: StatusCode, id: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["id"], id, "{}", answer.body);
    assert!(answer.body["message"].is_string(), "{}", answer.body);
    let request_id = answer.body["request_id"].as_str().expect("request_id");
    assert_eq!(request_id.len(), 36, "uuid-shaped: {request_id}");
}

fn public_v4(droplet: &Value) -> Option<String> {
    droplet["networks"]["v4"]
        .as_array()?
        .iter()
        .find(|n| n["type"] == "public")
        .and_then(|n| n["ip_address"].as_str())
        .map(str::to_string)
}

#[tokio::test]
async fn the_bearer_token_is_required() {
    let sim = start_default().await;
    for token in [None, Some("wrong")] {
        let answer = sim
            .send(reqwest::Method::GET, "/v2/account", token, None)
            .await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(answer.body["message"], "Unable to authenticate you");
    }
    assert_eq!(sim.get("/v2/account").await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_api_answer_carries_the_rate_limit_headers() {
    let sim = start_default().await;
    let before = time::OffsetDateTime::now_utc().unix_timestamp();
    let answers = [
        sim.get("/v2/account").await,
        sim.get("/v2/droplets/1").await,
        sim.send(reqwest::Method::GET, "/v2/account", None, None)
            .await,
        sim.get("/nowhere").await,
    ];
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer.header_number("ratelimit-limit"), 250);
        assert_eq!(answer.header_number("ratelimit-remaining"), 249 - i as i64);
        let reset = answer.header_number("ratelimit-reset");
        assert!((before + 59..=before + 65).contains(&reset), "{reset}");
    }
}

#[tokio::test]
async fn unknown_routes_answer_digitalocean_style_404() {
    let sim = start_default().await;
    for path in ["/v2/volumes", "/nowhere", "/v2/droplets/not-a-number"] {
        let answer = sim.get(path).await;
        assert_error(&answer, StatusCode::NOT_FOUND, "not_found");
        assert_eq!(
            answer.body["message"],
            "The resource you were accessing could not be found."
        );
    }
}

#[tokio::test]
async fn create_answers_202_with_a_new_droplet_and_its_action() {
    let sim = start_default().await;
    let answer = sim
        .create("vps-6f0429ea", &["webrana", "order-6f0429ea"])
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let droplet = &answer.body["droplet"];
    let id = droplet["id"].as_i64().expect("integer id");
    assert!(id > 0);
    assert_eq!(droplet["name"], "vps-6f0429ea");
    assert_eq!(droplet["status"], "new");
    assert_eq!(droplet["memory"], 1024);
    assert_eq!(droplet["vcpus"], 1);
    assert_eq!(droplet["disk"], 25);
    assert_eq!(droplet["locked"], false);
    assert_eq!(droplet["features"], json!(["monitoring"]));
    assert_eq!(droplet["networks"], json!({"v4": [], "v6": []}));
    assert_eq!(droplet["image"]["slug"], "ubuntu-22-04-x64");
    assert_eq!(droplet["image"]["id"], 129_211_873);
    assert_eq!(droplet["size"]["slug"], "s-1vcpu-1gb");
    assert_eq!(droplet["size"]["price_monthly"], 6.0);
    assert_eq!(droplet["size_slug"], "s-1vcpu-1gb");
    assert_eq!(droplet["region"]["slug"], "sgp1");
    assert_eq!(droplet["region"]["name"], "Singapore 1");
    assert_eq!(droplet["tags"], json!(["webrana", "order-6f0429ea"]));
    assert!(droplet["vpc_uuid"].as_str().is_some_and(|u| u.len() == 36));
    for list in ["backup_ids", "snapshot_ids", "volume_ids"] {
        assert_eq!(droplet[list], json!([]));
    }
    let created_at = droplet["created_at"].as_str().expect("created_at");
    assert!(
        time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339)
            .is_ok()
    );
    assert!(created_at.ends_with('Z'));

    let action = &answer.body["links"]["actions"][0];
    assert_eq!(action["rel"], "create");
    let action_id = action["id"].as_i64().expect("action id");
    assert_eq!(
        action["href"],
        format!("{}/v2/actions/{action_id}", sim.base)
    );
    let action = sim.get(&format!("/v2/actions/{action_id}")).await;
    assert_eq!(action.status, StatusCode::OK);
    assert_eq!(action.body["action"]["type"], "create");
    assert_eq!(action.body["action"]["resource_id"], id);
    assert_eq!(action.body["action"]["resource_type"], "droplet");
}

#[tokio::test]
async fn invalid_creates_are_refused_with_422() {
    let sim = start_default().await;
    let mut cases = Vec::new();
    for (field, value) in [
        ("region", json!("nyc9")),
        ("size", json!("s-64vcpu-512gb")),
        ("image", json!("windows-11")),
        ("image", json!(1)),
        ("name", json!("bad_name!")),
        ("name", json!(null)),
        ("tags", json!(["no spaces allowed"])),
        ("monitoring", json!("yes")),
    ] {
        let mut body = create_body("vps-1", &[]);
        body[field] = value;
        cases.push(body);
    }
    let mut missing = create_body("vps-1", &[]);
    missing.as_object_mut().expect("object").remove("size");
    cases.push(missing);
    let mut huge = create_body("vps-1", &[]);
    huge["user_data"] = json!("x".repeat(64 * 1024 + 1));
    cases.push(huge);
    cases.push(create_body("vps-1", &["sim:fail-create"]));
    for body in cases {
        let answer = sim.post("/v2/droplets", body.clone()).await;
        assert_error(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable_entity",
        );
    }
    let by_image_id = sim
        .post("/v2/droplets", {
            let mut body = create_body("vps-1", &[]);
            body["image"] = json!(129_211_873);
            body
        })
        .await;
    assert_eq!(by_image_id.status, StatusCode::ACCEPTED);

    let not_json = sim
        .http
        .post(format!("{}/v2/droplets", sim.base))
        .bearer_auth(TOKEN)
        .body("{nope")
        .send()
        .await
        .expect("request");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    let body: Value = not_json.json().await.expect("json");
    assert_eq!(body["id"], "bad_request");
}

#[tokio::test]
async fn a_droplet_turns_active_with_addresses_after_the_delay() {
    let sim = start(DoSimConfig {
        active_after: Duration::from_millis(400),
        ..DoSimConfig::for_tests(TOKEN)
    })
    .await;
    let mut body = create_body("vps-1", &[]);
    body["ipv6"] = json!(true);
    let created = sim.post("/v2/droplets", body).await;
    let id = created.body["droplet"]["id"].as_i64().expect("id");
    let early = sim.get(&format!("/v2/droplets/{id}")).await;
    assert_eq!(early.body["droplet"]["status"], "new");
    assert_eq!(early.body["droplet"]["networks"]["v4"], json!([]));

    tokio::time::sleep(Duration::from_millis(450)).await;
    let later = sim.get(&format!("/v2/droplets/{id}")).await;
    let droplet = &later.body["droplet"];
    assert_eq!(droplet["status"], "active");
    let v4 = droplet["networks"]["v4"].as_array().expect("v4");
    assert_eq!(v4.len(), 2);
    // Private first: a client must pick by type, not by position.
    assert_eq!(v4[0]["type"], "private");
    assert!(
        v4[0]["ip_address"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("10.130."))
    );
    assert_eq!(v4[0]["netmask"], "255.255.0.0");
    assert_eq!(v4[1]["type"], "public");
    assert!(
        v4[1]["ip_address"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("203.0.113."))
    );
    assert_eq!(v4[1]["netmask"], "255.255.255.0");
    assert_eq!(v4[1]["gateway"], "203.0.113.1");
    let v6 = &droplet["networks"]["v6"][0];
    assert_eq!(v6["netmask"], 64, "v6 netmask is an integer");
    assert!(
        v6["ip_address"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("2001:db8:"))
    );
    assert_eq!(droplet["features"], json!(["ipv6", "monitoring"]));

    let action_id = created.body["links"]["actions"][0]["id"]
        .as_i64()
        .expect("action");
    let action = sim.get(&format!("/v2/actions/{action_id}")).await;
    assert_eq!(action.body["action"]["status"], "completed");
    assert!(action.body["action"]["completed_at"].is_string());
}

#[tokio::test]
async fn injected_lifecycle_failures() {
    let sim = start_default().await;
    let errored = sim.create("vps-e", &["sim:errored"]).await;
    let never = sim.create("vps-n", &["sim:never-active"]).await;
    let vanish = sim.create("vps-v", &["sim:vanish"]).await;
    let by_name = sim.create("vps-sim-never-active", &[]).await;
    let id = |a: &Answer| a.body["droplet"]["id"].as_i64().expect("id");
    let action = |a: &Answer| {
        a.body["links"]["actions"][0]["id"]
            .as_i64()
            .expect("action")
    };

    let e = sim.get(&format!("/v2/droplets/{}", id(&errored))).await;
    assert_eq!(
        e.body["droplet"]["status"], "new",
        "standard DigitalOcean has no errored"
    );
    let e_action = sim.get(&format!("/v2/actions/{}", action(&errored))).await;
    assert_eq!(e_action.body["action"]["status"], "errored");
    sim.control("config", json!({ "nonstandard_errored": true }))
        .await;
    let e = sim.get(&format!("/v2/droplets/{}", id(&errored))).await;
    assert_eq!(e.body["droplet"]["status"], "errored");

    for never in [&never, &by_name] {
        let n = sim.get(&format!("/v2/droplets/{}", id(never))).await;
        assert_eq!(n.body["droplet"]["status"], "new");
        let n_action = sim.get(&format!("/v2/actions/{}", action(never))).await;
        assert_eq!(n_action.body["action"]["status"], "in-progress");
    }

    assert_eq!(vanish.status, StatusCode::ACCEPTED);
    let v = sim.get(&format!("/v2/droplets/{}", id(&vanish))).await;
    assert_error(&v, StatusCode::NOT_FOUND, "not_found");
    let listed = sim.get("/v2/droplets?tag_name=sim:vanish").await;
    assert_eq!(listed.body["meta"]["total"], 0);
    let all = sim.get("/_sim/droplets").await;
    let seen = all.body["droplets"]
        .as_array()
        .expect("droplets")
        .iter()
        .find(|d| d["id"] == id(&vanish))
        .cloned()
        .expect("still known to the simulator");
    assert_eq!(seen["_sim"]["vanished"], true);
}

#[tokio::test]
async fn a_slow_create_still_creates_the_droplet() {
    let sim = start_default().await;
    sim.control("config", json!({ "slow_create_delay_ms": 150 }))
        .await;
    let started = std::time::Instant::now();
    let answer = sim.create("vps-slow", &["sim:slow-create"]).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let listed = sim.get("/v2/droplets?tag_name=sim:slow-create").await;
    assert_eq!(listed.body["meta"]["total"], 1);
}

#[tokio::test]
async fn lists_by_tag_with_links_and_meta() {
    let sim = start_default().await;
    for name in ["vps-a", "vps-b", "vps-c"] {
        sim.create(name, &["webrana"]).await;
    }
    sim.create("vps-other", &["else"]).await;

    let all = sim.get("/v2/droplets?tag_name=webrana&per_page=20").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body["meta"]["total"], 3);
    assert_eq!(all.body["links"], json!({}));
    assert_eq!(all.body["droplets"].as_array().map(Vec::len), Some(3));

    let first = sim.get("/v2/droplets?tag_name=webrana&per_page=2").await;
    assert_eq!(first.body["droplets"].as_array().map(Vec::len), Some(2));
    let next = first.body["links"]["pages"]["next"]
        .as_str()
        .expect("next page link");
    assert!(
        next.contains("page=2") && next.contains("tag_name=webrana"),
        "{next}"
    );
    assert!(first.body["links"]["pages"]["last"].is_string());
    let second = sim
        .get(next.strip_prefix(&sim.base).expect("same host"))
        .await;
    assert_eq!(second.body["droplets"].as_array().map(Vec::len), Some(1));
    assert!(second.body["links"]["pages"]["prev"].is_string());
    assert!(second.body["links"]["pages"].get("next").is_none());

    let everything = sim.get("/v2/droplets").await;
    assert_eq!(everything.body["meta"]["total"], 4);
}

#[tokio::test]
async fn actions_and_deletion() {
    let sim = start_default().await;
    let created = sim.create("vps-a", &[]).await;
    let id = created.body["droplet"]["id"].as_i64().expect("id");

    let reboot = sim
        .post(
            &format!("/v2/droplets/{id}/actions"),
            json!({"type": "reboot"}),
        )
        .await;
    assert_eq!(reboot.status, StatusCode::CREATED);
    let action = &reboot.body["action"];
    assert_eq!(action["status"], "in-progress");
    assert_eq!(action["type"], "reboot");
    assert_eq!(action["completed_at"], Value::Null);
    assert_eq!(action["resource_id"], id);
    assert_eq!(action["region_slug"], "sgp1");
    let action_id = action["id"].as_i64().expect("action id");
    let scoped = sim
        .get(&format!("/v2/droplets/{id}/actions/{action_id}"))
        .await;
    assert_eq!(scoped.body["action"]["status"], "completed");
    let foreign = sim
        .get(&format!("/v2/droplets/1/actions/{action_id}"))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    let unknown = sim
        .post(
            &format!("/v2/droplets/{id}/actions"),
            json!({"type": "explode"}),
        )
        .await;
    assert_error(
        &unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable_entity",
    );

    // An action conflicting with the droplet's state.
    let building = sim.create("vps-b", &["sim:never-active"]).await;
    let building_id = building.body["droplet"]["id"].as_i64().expect("id");
    let conflict = sim
        .post(
            &format!("/v2/droplets/{building_id}/actions"),
            json!({"type": "power_off"}),
        )
        .await;
    assert_error(
        &conflict,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable_entity",
    );

    let deleted = sim
        .send(
            reqwest::Method::DELETE,
            &format!("/v2/droplets/{id}"),
            Some(TOKEN),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.body, Value::Null);
    assert!(deleted.header("ratelimit-remaining").is_some());
    let again = sim
        .send(
            reqwest::Method::DELETE,
            &format!("/v2/droplets/{id}"),
            Some(TOKEN),
            None,
        )
        .await;
    assert_error(&again, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_account_shape() {
    let sim = start_default().await;
    let answer = sim.get("/v2/account").await;
    let account = &answer.body["account"];
    assert_eq!(account["droplet_limit"], 25);
    assert_eq!(account["status"], "active");
    assert!(account["email"].is_string());
    assert!(account["uuid"].as_str().is_some_and(|u| u.len() == 36));
}

#[tokio::test]
async fn the_droplet_limit_is_enforced() {
    let sim = start(DoSimConfig {
        droplet_limit: 1,
        ..DoSimConfig::for_tests(TOKEN)
    })
    .await;
    assert_eq!(sim.create("vps-a", &[]).await.status, StatusCode::ACCEPTED);
    let refused = sim.create("vps-b", &[]).await;
    assert_error(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable_entity",
    );
}

#[tokio::test]
async fn the_per_minute_budget_answers_429() {
    let sim = start_default().await;
    sim.control("config", json!({ "per_minute_budget": 1 }))
        .await;
    assert_eq!(sim.get("/v2/account").await.status, StatusCode::OK);
    let refused = sim.get("/v2/account").await;
    assert_error(&refused, StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    assert_eq!(refused.header_number("ratelimit-remaining"), 0);
    assert_eq!(refused.header_number("ratelimit-limit"), 1);
    let retry_after = refused.header_number("retry-after");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // Control routes are not the API and are never limited.
    let config = sim.get("/_sim/config").await;
    assert_eq!(config.status, StatusCode::OK);
    assert_eq!(config.body["per_minute_budget"], 1);
}

#[tokio::test]
async fn forced_faults_apply_to_the_next_calls_only() {
    let sim = start_default().await;
    let configured = sim
        .control("config", json!({ "fault": "server_error", "count": 2 }))
        .await;
    assert_eq!(
        configured.body["fault"],
        json!({"kind": "server_error", "remaining": 2})
    );
    for _ in 0..2 {
        let answer = sim.get("/v2/account").await;
        assert_error(&answer, StatusCode::INTERNAL_SERVER_ERROR, "server_error");
        assert!(answer.header("ratelimit-limit").is_some());
    }
    assert_eq!(sim.get("/v2/account").await.status, StatusCode::OK);

    sim.control(
        "config",
        json!({ "fault": "service_unavailable", "count": 5 }),
    )
    .await;
    let answer = sim.get("/v2/account").await;
    assert_error(
        &answer,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    );
    sim.control("config", json!({ "fault": "none" })).await;
    assert_eq!(sim.get("/v2/account").await.status, StatusCode::OK);

    sim.control("config", json!({ "fault": "malformed_body" }))
        .await;
    let garbled = sim
        .http
        .get(format!("{}/v2/account", sim.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(garbled.status(), StatusCode::OK);
    let bytes = garbled.bytes().await.expect("body");
    assert!(serde_json::from_slice::<Value>(&bytes).is_err());

    let bad = sim.control("config", json!({ "fault": "gremlins" })).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "bad_request");
    let unknown_field = sim.control("config", json!({ "chaos": true })).await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_forced_timeout_holds_the_answer_but_takes_effect() {
    let sim = start_default().await;
    sim.control(
        "config",
        json!({ "fault": "timeout", "timeout_hold_ms": 1_000 }),
    )
    .await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let result = impatient
        .post(format!("{}/v2/droplets", sim.base))
        .bearer_auth(TOKEN)
        .json(&create_body("vps-late", &["late"]))
        .send()
        .await;
    assert!(result.is_err_and(|e| e.is_timeout()));
    let listed = sim.get("/v2/droplets?tag_name=late").await;
    assert_eq!(listed.body["meta"]["total"], 1);
}

#[tokio::test]
async fn control_routes_force_a_status_list_and_reset() {
    let sim = start_default().await;
    let created = sim.create("vps-a", &[]).await;
    let id = created.body["droplet"]["id"].as_i64().expect("id");

    let forced = sim
        .control(&format!("droplets/{id}/status"), json!({"status": "off"}))
        .await;
    assert_eq!(forced.status, StatusCode::OK);
    assert_eq!(forced.body["droplet"]["status"], "off");
    let read = sim.get(&format!("/v2/droplets/{id}")).await;
    assert_eq!(read.body["droplet"]["status"], "off");
    let cleared = sim
        .control(&format!("droplets/{id}/status"), json!({"status": null}))
        .await;
    assert_eq!(cleared.body["droplet"]["status"], "active");
    let bad = sim
        .control(
            &format!("droplets/{id}/status"),
            json!({"status": "melted"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let missing = sim
        .control("droplets/1/status", json!({"status": "active"}))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let listed = sim.get("/_sim/droplets").await;
    assert_eq!(listed.body["meta"]["total"], 1);
    assert_eq!(
        listed.body["droplets"][0]["_sim"]["user_data"],
        "#cloud-config\n"
    );

    let reset = sim.control("reset", json!({})).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    let listed = sim.get("/_sim/droplets").await;
    assert_eq!(listed.body["meta"]["total"], 0);
    assert_eq!(listed.body["meta"]["creates"], 0);
    assert_error(
        &sim.get(&format!("/v2/droplets/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn next_create_tags_apply_once() {
    let sim = start_default().await;
    sim.control("config", json!({ "next_create_tags": ["sim:fail-create"] }))
        .await;
    let refused = sim.create("vps-a", &["webrana"]).await;
    assert_error(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable_entity",
    );
    assert_eq!(
        sim.create("vps-a", &["webrana"]).await.status,
        StatusCode::ACCEPTED
    );
}

/// Ids, addresses and request ids of `n` creates and one error.
async fn fingerprint(sim: &Sim) -> Vec<Value> {
    let mut seen = Vec::new();
    for name in ["vps-a", "vps-b", "vps-c"] {
        let created = sim.create(name, &[]).await;
        let id = created.body["droplet"]["id"].clone();
        let droplet = sim.get(&format!("/v2/droplets/{id}")).await.body["droplet"].clone();
        seen.push(json!([
            id,
            created.body["links"]["actions"][0]["id"],
            public_v4(&droplet),
            droplet["networks"]["v4"][0]["ip_address"],
            droplet["vpc_uuid"],
        ]));
    }
    seen.push(sim.get("/v2/droplets/1").await.body["request_id"].clone());
    seen.push(sim.get("/v2/account").await.body["account"]["uuid"].clone());
    seen
}

#[tokio::test]
async fn a_fixed_seed_gives_the_same_values_and_reset_replays_them() {
    let config = || DoSimConfig {
        seed: 42,
        ..DoSimConfig::for_tests(TOKEN)
    };
    let one = start(config()).await;
    let two = start(config()).await;
    let first = fingerprint(&one).await;
    assert!(first[0][2].is_string(), "creates were answered: {first:?}");
    assert_eq!(first, fingerprint(&two).await);
    one.control("reset", json!({})).await;
    assert_eq!(first, fingerprint(&one).await);

    let other = start(DoSimConfig {
        seed: 43,
        ..DoSimConfig::for_tests(TOKEN)
    })
    .await;
    assert_ne!(first, fingerprint(&other).await);

    // Distinct droplets get distinct addresses.
    let publics: std::collections::HashSet<String> = first[..3]
        .iter()
        .filter_map(|row| row[2].as_str().map(str::to_string))
        .collect();
    assert_eq!(publics.len(), 3);
}
