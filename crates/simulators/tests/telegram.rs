//! The Telegram simulator over real HTTP, with the wire format of integrations.md §3: the Bot
//! API methods, long polling, injected faults and the inbox views.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use simulators::telegram::{
    ChatMode, DEFAULT_TOKEN, TelegramSimConfig, TelegramSimHandle, router_with_handle,
};

const CHAT: &str = "123456789";

struct Sim {
    url: String,
    http: reqwest::Client,
    handle: TelegramSimHandle,
}

impl Sim {
    async fn start(config: TelegramSimConfig) -> Self {
        let (router, handle) = router_with_handle(config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            url,
            http: reqwest::Client::new(),
            handle,
        }
    }

    async fn default() -> Self {
        Self::start(TelegramSimConfig::for_tests(DEFAULT_TOKEN).with_known_chats([CHAT])).await
    }

    fn method(&self, name: &str) -> String {
        format!("{}/bot{DEFAULT_TOKEN}/{name}", self.url)
    }

    async fn call(&self, name: &str, body: Value) -> (u16, Value) {
        read(self.http.post(self.method(name)).json(&body)).await
    }

    async fn send(&self, chat: &str, text: &str) -> (u16, Value) {
        self.call(
            "sendMessage",
            json!({"chat_id": chat, "text": text, "parse_mode": "HTML"}),
        )
        .await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        read(self.http.get(format!("{}{path}", self.url))).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        read(self.http.post(format!("{}{path}", self.url)).json(&body)).await
    }
}

async fn read(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn get_me_answers_with_the_bot() {
    let sim = Sim::default().await;
    let (status, body) = sim.call("getMe", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true);
    assert_eq!(body["result"]["id"], 7_000_000_001_i64);
    assert_eq!(body["result"]["is_bot"], true);
    assert_eq!(body["result"]["first_name"], "WeBrana Cloud");
    assert_eq!(body["result"]["username"], "webrana_cloud_bot");
    // GET works too, and method names are case-insensitive.
    let (status, body) = read(sim.http.get(sim.method("GETME"))).await;
    assert_eq!((status, &body["ok"]), (200, &json!(true)), "{body}");
}

#[tokio::test]
async fn wrong_tokens_and_paths_are_refused_like_telegram_does() {
    let sim = Sim::default().await;
    let (status, body) = read(
        sim.http
            .post(format!("{}/bot123456:wrong-token/getMe", sim.url))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );
    for path in [
        "/botnot-a-token/getMe".to_owned(),
        "/getMe".to_owned(),
        format!("/bot{DEFAULT_TOKEN}/noSuchMethod"),
        format!("/x{DEFAULT_TOKEN}/getMe"),
    ] {
        let (status, body) = read(sim.http.post(format!("{}{path}", sim.url))).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["description"], "Not Found", "{path}");
        assert_eq!(body["ok"], false, "{path}");
    }
    assert!(sim.handle.messages().is_empty());
}

#[tokio::test]
async fn send_message_with_a_json_body_answers_the_message() {
    let sim = Sim::default().await;
    let text = "✅ <b>Pembayaran diterima</b>\nPesanan: <code>6F0429EA</code> — VPS &amp; Co";
    let (status, body) = sim
        .call(
            "sendMessage",
            json!({"chat_id": CHAT, "text": text, "parse_mode": "HTML",
                   "link_preview_options": {"is_disabled": true}, "protect_content": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let result = &body["result"];
    assert_eq!(body["ok"], true);
    assert_eq!(result["message_id"], 1);
    assert!(result["date"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(result["chat"]["id"], 123_456_789);
    assert_eq!(result["chat"]["type"], "private");
    assert_eq!(
        result["text"],
        "✅ Pembayaran diterima\nPesanan: 6F0429EA — VPS & Co"
    );
    assert_eq!(result["entities"][0]["type"], "bold");
    assert_eq!(result["entities"][1]["type"], "code");

    let (_, second) = sim.send(CHAT, "lagi").await;
    assert_eq!(second["result"]["message_id"], 2, "numbered per chat");

    let sent = sim.handle.messages_to(CHAT);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].text, text, "the inbox keeps the markup as sent");
    assert_eq!(sent[0].parse_mode.as_deref(), Some("HTML"));
    assert!(sent[0].protect_content && sent[0].link_preview_disabled);
    assert!(!sent[1].protect_content);
}

#[tokio::test]
async fn send_message_with_a_form_body_and_a_numeric_chat_id() {
    let sim = Sim::default().await;
    let form = serde_urlencoded::to_string([
        ("chat_id", CHAT),
        ("text", "<i>halo</i> & selamat"),
        ("parse_mode", "HTML"),
        ("disable_web_page_preview", "true"),
        ("disable_notification", "true"),
    ])
    .unwrap();
    let (status, body) = read(
        sim.http
            .post(sim.method("sendMessage"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["text"], "halo & selamat");
    let (status, body) = sim
        .call(
            "sendMessage",
            json!({"chat_id": 123_456_789, "text": "angka"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let sent = sim.handle.messages();
    assert!(sent[0].disable_notification && sent[0].link_preview_disabled);
    assert_eq!(sent[1].chat_id, CHAT);
    assert_eq!(sent[1].parse_mode, None);
}

#[tokio::test]
async fn bad_requests_carry_telegrams_descriptions() {
    let sim = Sim::default().await;
    let cases = [
        (json!({"text": "x"}), "Bad Request: chat_id is empty"),
        (
            json!({"chat_id": CHAT}),
            "Bad Request: message text is empty",
        ),
        (
            json!({"chat_id": "555", "text": "x"}),
            "Bad Request: chat not found",
        ),
        (
            json!({"chat_id": CHAT, "text": "<div>x</div>", "parse_mode": "HTML"}),
            "Bad Request: can't parse entities: Unsupported start tag \"div\" at byte offset 0",
        ),
        (
            json!({"chat_id": CHAT, "text": "x".repeat(4097)}),
            "Bad Request: message is too long",
        ),
    ];
    for (body, description) in cases {
        let (status, answer) = sim.call("sendMessage", body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["error_code"], 400);
        assert_eq!(answer["description"], description, "{body}");
    }
    // 4096 characters of text once the markup is gone is still fine.
    let long = format!("<b>{}</b>", "é".repeat(4096));
    assert_eq!(sim.send(CHAT, &long).await.0, 200);
    assert_eq!(sim.handle.messages().len(), 1);
}

#[tokio::test]
async fn flood_control_answers_429_for_the_next_sends_then_recovers() {
    let sim = Sim::default().await;
    let (status, config) = sim
        .post(
            "/_sim/config",
            json!({"flood": {"count": 2, "retryAfter": 7}}),
        )
        .await;
    assert_eq!(status, 200, "{config}");
    for _ in 0..2 {
        let (status, body) = sim.send(CHAT, "x").await;
        assert_eq!(status, 429);
        assert_eq!(
            body,
            json!({"ok": false, "error_code": 429,
                   "description": "Too Many Requests: retry after 7",
                   "parameters": {"retry_after": 7}})
        );
    }
    assert_eq!(sim.send(CHAT, "x").await.0, 200);
    assert_eq!(
        sim.handle.messages().len(),
        1,
        "refused sends are not in the inbox"
    );

    // The same per chat, and from the environment.
    let (status, _) = sim
        .post(
            &format!("/_sim/chats/{CHAT}"),
            json!({"mode": "flood", "count": 1, "retryAfter": 3}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = sim.send(CHAT, "x").await;
    assert_eq!(
        (status, &body["parameters"]["retry_after"]),
        (429, &json!(3))
    );
    assert_eq!(sim.send(CHAT, "x").await.0, 200);

    let mut env = platform::config::Env::from_pairs([
        ("SIM_TELEGRAM_FLOOD_COUNT", "1"),
        ("SIM_TELEGRAM_RETRY_AFTER", "2"),
        ("SIM_TELEGRAM_CHATS", CHAT),
    ]);
    let from_env = Sim::start(TelegramSimConfig::read(&mut env)).await;
    let (status, body) = from_env.send(CHAT, "x").await;
    assert_eq!(
        (status, &body["parameters"]["retry_after"]),
        (429, &json!(2))
    );
    assert_eq!(from_env.send(CHAT, "x").await.0, 200);
}

#[tokio::test]
async fn blocked_and_other_unreachable_chats_answer_403_or_400() {
    let mut env = platform::config::Env::from_pairs([("SIM_TELEGRAM_BLOCKED_CHATS", "777")]);
    let sim = Sim::start(TelegramSimConfig::read(&mut env).with_known_chats([CHAT])).await;
    let (status, body) = sim.send("777", "x").await;
    assert_eq!(status, 403);
    assert_eq!(
        body["description"],
        "Forbidden: bot was blocked by the user"
    );

    let (status, _) = sim
        .post(
            &format!("/_sim/chats/{CHAT}"),
            json!({"mode": "deactivated"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = sim.send(CHAT, "x").await;
    assert_eq!(
        (status, body["description"].as_str()),
        (403, Some("Forbidden: user is deactivated"))
    );

    sim.post(
        "/_sim/chats/-4001",
        json!({"mode": "migrated", "migrateToChatId": -1_004_001}),
    )
    .await;
    let (status, body) = sim.send("-4001", "x").await;
    assert_eq!(status, 400);
    assert_eq!(body["parameters"]["migrate_to_chat_id"], -1_004_001);

    sim.handle.set_chat_mode(777, ChatMode::Ok, 0, 1);
    assert_eq!(sim.send("777", "x").await.0, 200);
    let (status, _) = sim.post("/_sim/chats/1", json!({"mode": "asleep"})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn get_updates_delivers_injected_messages_and_confirms_by_offset() {
    let sim = Sim::start(
        TelegramSimConfig::for_tests(DEFAULT_TOKEN).with_known_chats(Vec::<String>::new()),
    )
    .await;
    let (status, body) = sim
        .call("deleteWebhook", json!({"drop_pending_updates": false}))
        .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)));
    // An unknown chat becomes reachable once its user writes to the bot.
    assert_eq!(sim.send("42", "x").await.0, 400);
    let (status, injected) = sim
        .post(
            "/_sim/updates",
            json!({"chatId": "42", "text": "/start ABCD2345", "username": "@budi_s"}),
        )
        .await;
    assert_eq!(status, 201, "{injected}");
    sim.post("/_sim/updates", json!({"chatId": 42, "text": "/stop"}))
        .await;
    let first = injected["data"]["update_id"].as_i64().unwrap();

    let (_, body) = sim
        .call("getUpdates", json!({"allowed_updates": ["message"]}))
        .await;
    let updates = body["result"].as_array().unwrap();
    assert_eq!(updates.len(), 2, "{body}");
    let message = &updates[0]["message"];
    assert_eq!(updates[0]["update_id"], first);
    assert_eq!(message["text"], "/start ABCD2345");
    assert_eq!(
        message["chat"],
        json!({"id": 42, "type": "private", "first_name": "Pelanggan", "username": "budi_s"})
    );
    assert_eq!(message["from"]["id"], 42);
    assert_eq!(message["from"]["username"], "budi_s");
    assert_eq!(
        message["entities"][0],
        json!({"type": "bot_command", "offset": 0, "length": 6})
    );
    assert_eq!(updates[1]["update_id"], first + 1);

    // Not confirmed yet: asked again, both come back; `limit` trims; the offset confirms.
    let (_, body) = sim.call("getUpdates", json!({"limit": 1})).await;
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
    let (_, body) = sim.call("getUpdates", json!({"offset": first + 1})).await;
    assert_eq!(body["result"][0]["message"]["text"], "/stop");
    let (_, body) = sim.call("getUpdates", json!({"offset": first + 2})).await;
    assert_eq!(body["result"], json!([]));
    let (_, pending) = sim.get("/_sim/updates").await;
    assert_eq!(pending["data"], json!([]));
    assert_eq!(sim.send("42", "x").await.0, 200);
}

#[tokio::test]
async fn a_long_poll_waits_for_the_next_update_or_its_timeout() {
    let sim = Sim::default().await;
    // Nothing comes: the poll answers an empty list after its timeout.
    let started = Instant::now();
    let (status, body) = sim.call("getUpdates", json!({"timeout": 1})).await;
    assert_eq!((status, &body["result"]), (200, &json!([])));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );

    // An update arriving mid-poll answers it at once.
    let poll = {
        let (http, url) = (sim.http.clone(), sim.method("getUpdates"));
        tokio::spawn(async move { read(http.post(url).json(&json!({"timeout": 30}))).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    sim.post(
        "/_sim/updates",
        json!({"chatId": CHAT, "text": "/start K0DE"}),
    )
    .await;
    let (status, body) = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("answered before its timeout")
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["result"][0]["message"]["text"], "/start K0DE");
    assert!(started.elapsed() < Duration::from_secs(2));

    // A second poller ends the first with 409, as on Telegram.
    let offset = body["result"][0]["update_id"].as_i64().unwrap() + 1;
    let first = {
        let (http, url) = (sim.http.clone(), sim.method("getUpdates"));
        tokio::spawn(async move {
            read(
                http.post(url)
                    .json(&json!({"timeout": 30, "offset": offset})),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = {
        let (http, url) = (sim.http.clone(), sim.method("getUpdates"));
        tokio::spawn(async move {
            read(
                http.post(url)
                    .json(&json!({"timeout": 1, "offset": offset})),
            )
            .await
        })
    };
    let (status, body) = tokio::time::timeout(Duration::from_secs(5), first)
        .await
        .expect("the first poll ends")
        .unwrap();
    assert_eq!(status, 409, "{body}");
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .starts_with("Conflict: terminated by other getUpdates request")
    );
    assert_eq!(second.await.unwrap().0, 200);
}

#[tokio::test]
async fn update_ids_keep_growing_across_resets() {
    let sim = Sim::default().await;
    let (_, a) = sim
        .post("/_sim/updates", json!({"chatId": CHAT, "text": "a"}))
        .await;
    sim.send(CHAT, "x").await;
    let (status, _) = sim.post("/_sim/reset", json!({})).await;
    assert_eq!(status, 200);
    assert!(sim.handle.messages().is_empty());
    let (_, b) = sim
        .post("/_sim/updates", json!({"chatId": CHAT, "text": "b"}))
        .await;
    assert!(b["data"]["update_id"].as_i64() > a["data"]["update_id"].as_i64());
}

#[tokio::test]
async fn the_inbox_lists_messages_newest_first_escaped_and_as_json() {
    let sim = Sim::default().await;
    sim.post("/_sim/chats/555", json!({})).await;
    sim.send(CHAT, "<b>pertama</b> &lt;script&gt;alert(1)&lt;/script&gt;")
        .await;
    sim.send("555", "kedua <a href=\"javascript:alert(2)\">tautan</a>")
        .await;

    let response = sim
        .http
        .get(format!("{}/inbox", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    let first = page.find("pertama").expect("first message shown");
    let second = page.find("kedua").expect("second message shown");
    assert!(second < first, "newest first");
    assert!(
        page.contains("<b>pertama</b> &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "{page}");
    assert!(!page.contains("href=\"javascript"), "{page}");
    assert!(
        page.contains("&lt;b&gt;pertama&lt;/b&gt;"),
        "the source as sent, escaped"
    );

    let filtered = sim
        .http
        .get(format!("{}/inbox?chatId=555", sim.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(filtered.contains("kedua") && !filtered.contains("pertama"));

    let (status, body) = sim.get("/_sim/messages").await;
    assert_eq!(status, 200);
    let list = body["data"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["chatId"], CHAT);
    assert_eq!(list[0]["parseMode"], "HTML");
    assert_eq!(list[0]["plainText"], "pertama <script>alert(1)</script>");
    assert_eq!(list[0]["messageId"], 1);
    assert!(list[0]["sentAt"].is_string());
    let (_, only) = sim.get("/_sim/messages?chatId=555").await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1);

    // The page's form writes to the bot as a user.
    let form = serde_urlencoded::to_string([("chatId", "555"), ("text", "/start K0DE")]).unwrap();
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirect
        .post(format!("{}/inbox/send", sim.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let (_, pending) = sim.get("/_sim/updates").await;
    assert_eq!(pending["data"][0]["message"]["text"], "/start K0DE");

    let response = sim
        .http
        .delete(format!("{}/_sim/messages", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(sim.handle.messages().is_empty());
}
