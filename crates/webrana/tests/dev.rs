//! The whole platform as a customer meets it: `webrana dev` (the README's run command) starts the
//! five services and the simulators as separate processes, on ports and databases of this test's
//! own, and a new customer registers, verifies the e-mail from the mailbox, orders with a coupon,
//! pays an invoice on the Tripay checkout page and ends with an ACTIVE VPS — having received one
//! e-mail for each step, and, after linking a Telegram chat through the bot, one Telegram message
//! for the payment and one for the VPS.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ADMIN_DB: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const SERVICES: [&str; 5] = ["auth", "catalog", "order", "billing", "notification"];

/// A running `webrana dev`; stopped with SIGINT (as Ctrl-C) when dropped.
struct Platform {
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
    offset: u16,
    prefix: String,
    state_dir: PathBuf,
}

impl Platform {
    fn start() -> Self {
        let pid = std::process::id();
        let offset = 20_000 + (pid % 200) as u16 * 10;
        let prefix = format!("journey_{pid}");
        let state_dir = std::env::temp_dir().join(format!("webrana-journey-{pid}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_webrana"))
            .args(["dev", "--port-offset", &offset.to_string()])
            .args(["--database-prefix", &prefix])
            .arg("--state-dir")
            .arg(&state_dir)
            // The user's settings win over dev's defaults: a fast platform for a test.
            .env("LOG_LEVEL", "warn")
            .env("SIM_ACTIVE_AFTER_SECONDS", "0")
            .env("PROVISIONING_POLL_INTERVAL_MS", "300")
            .env("JOB_POLL_INTERVAL_MS", "200")
            // Registration is limited per client IP, and every local test client is 127.0.0.1.
            .env("RATE_LIMIT_ENABLED", "false")
            .env_remove("DATABASE_URL")
            // A real bot in the caller's environment would make dev skip the Telegram simulator.
            .env_remove("TELEGRAM_BOT_TOKEN")
            .env_remove("TELEGRAM_API_BASE_URL")
            .env_remove("TELEGRAM_ENABLED")
            .env_remove("TELEGRAM_LINKING_ENABLED")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("webrana dev starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Ok(mut o) = output.lock() {
                        o.push(line);
                    }
                }
            });
        }
        Self {
            child,
            output,
            offset,
            prefix,
            state_dir,
        }
    }

    fn url(&self, port: u16) -> String {
        format!("http://127.0.0.1:{}", port + self.offset)
    }

    fn log(&self) -> String {
        self.output.lock().map(|o| o.join("\n")).unwrap_or_default()
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            if self.log().contains("Press Ctrl-C to stop everything") {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("webrana dev exited with {status}:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "not ready:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn api_key(&self) -> String {
        std::fs::read_to_string(self.state_dir.join("internal-api-key"))
            .expect("dev wrote the API key")
            .trim()
            .to_string()
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        // SAFETY: signalling our own child by its pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.state_dir);
        // Also after a failed assertion: a runtime of its own, since this may run inside one.
        let prefix = self.prefix.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_databases(&prefix));
            }
        })
        .join();
        if std::thread::panicking() {
            eprintln!("---- webrana dev output ----\n{}", self.log());
        }
    }
}

async fn drop_databases(prefix: &str) {
    let Ok(pool) = sqlx::PgPool::connect(ADMIN_DB).await else {
        return;
    };
    for service in SERVICES {
        let sql = format!("DROP DATABASE IF EXISTS {prefix}_{service} WITH (FORCE)");
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
    }
}

async fn call(req: reqwest::RequestBuilder) -> (u16, Value) {
    let response = req.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Polls `probe` until it returns `Some`, at most `seconds`.
async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_buys_a_vps_and_hears_about_every_step() {
    let mut platform = Platform::start();
    let prefix = platform.prefix.clone();
    drop_databases(&prefix).await;
    platform.wait_ready().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (auth, catalog, order, billing) = (
        platform.url(3001),
        platform.url(3002),
        platform.url(3003),
        platform.url(3004),
    );
    let (digitalocean, mailbox, telegram) =
        (platform.url(3101), platform.url(3103), platform.url(3104));
    let email = format!("budi.{}@example.com", std::process::id());
    let messages = |expected: usize| {
        let http = http.clone();
        let url = format!("{mailbox}/_sim/messages?to={email}");
        async move {
            eventually(60, &format!("{expected} e-mails"), || {
                let (http, url) = (http.clone(), url.clone());
                async move {
                    let (_, body) = call(http.get(&url)).await;
                    let list = body["data"].as_array()?.clone();
                    (list.len() >= expected).then_some(list)
                }
            })
            .await
        }
    };

    // Register; the verification link arrives by e-mail.
    let (status, body) = call(
        http.post(format!("{auth}/api/v1/auth/register"))
            .json(&json!({
                "email": email, "password": "Journey123!", "fullName": "Budi Santoso"
            })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let mail = messages(1).await;
    // The link as a browser reads it: the href, with Handlebars' entity escapes undone.
    let html = mail[0]["html"].as_str().expect("html part");
    let link = html
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the mail carries the verification link")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&");
    let token = link
        .split("token=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap_or_else(|| panic!("no token in {link}"));
    let (status, body) = call(
        http.post(format!("{auth}/api/v1/auth/verify-email"))
            .json(&json!({ "token": token })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(http.post(format!("{auth}/api/v1/auth/login")).json(&json!({
        "email": email, "password": "Journey123!"
    })))
    .await;
    assert_eq!(status, 200, "{body}");
    let bearer = format!("Bearer {}", body["data"]["accessToken"].as_str().unwrap());

    // Link Telegram as the dashboard does (notification.md §7.3): a code from auth, sent to the
    // bot as `/start <code>`; notification's poller redeems it and the bot confirms.
    let chat = (700_000_000 + std::process::id()).to_string();
    let bot_messages = |expected: usize| {
        let http = http.clone();
        let url = format!("{telegram}/_sim/messages?chatId={chat}");
        async move {
            eventually(90, &format!("{expected} Telegram messages"), || {
                let (http, url) = (http.clone(), url.clone());
                async move {
                    let (_, body) = call(http.get(&url)).await;
                    let list = body["data"].as_array()?.clone();
                    (list.len() >= expected).then_some(list)
                }
            })
            .await
        }
    };
    let (status, link) = call(
        http.post(format!("{auth}/api/v1/auth/me/telegram/link-code"))
            .header("authorization", &bearer),
    )
    .await;
    assert_eq!(status, 201, "{link}");
    let code = link["data"]["code"].as_str().unwrap().to_string();
    assert_eq!(
        link["data"]["deepLink"],
        format!("https://t.me/webrana_cloud_bot?start={code}")
    );
    let (status, body) = call(
        http.post(format!("{telegram}/_sim/updates"))
            .json(&json!({"chatId": chat, "text": format!("/start {code}"), "username": "budi_s"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let replies = bot_messages(1).await;
    assert!(
        replies[0]["plainText"]
            .as_str()
            .unwrap()
            .starts_with("Akun WeBrana Cloud Anda sudah terhubung"),
        "{replies:#?}"
    );
    let (_, me) = call(
        http.get(format!("{auth}/api/v1/auth/me"))
            .header("authorization", &bearer),
    )
    .await;
    assert_eq!(me["data"]["telegramChatId"], chat.as_str(), "{me}");
    assert_eq!(me["data"]["telegramUsername"], "budi_s", "{me}");

    // Browse, order with a coupon, invoice, pay with a BRI virtual account.
    let (status, plans) = call(http.get(format!("{catalog}/api/v1/catalog/plans"))).await;
    assert_eq!(status, 200);
    assert!(!plans["data"].as_array().unwrap().is_empty());
    let (status, created) = call(
        http.post(format!("{order}/api/v1/orders"))
            .header("authorization", &bearer)
            .json(&json!({
                "planId": "a1000000-0000-4000-8000-000000000002",
                "imageId": "b1000000-0000-4000-8000-000000000001",
                "duration": "MONTHLY", "couponCode": "WELCOME10"
            })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let order_id = created["data"]["id"].as_str().unwrap().to_string();
    let final_price = created["data"]["pricing"]["finalPrice"].as_i64().unwrap();
    assert!(
        created["data"]["pricing"]["couponDiscount"]
            .as_i64()
            .unwrap()
            > 0
    );
    let (status, invoice) = call(
        http.post(format!("{billing}/api/v1/billing/invoices"))
            .header("authorization", &bearer)
            .json(&json!({ "orderId": order_id })),
    )
    .await;
    assert_eq!(status, 201, "{invoice}");
    assert_eq!(invoice["data"]["amount"], final_price);
    let invoice_id = invoice["data"]["id"].as_str().unwrap().to_string();
    let (status, paying) = call(
        http.post(format!(
            "{billing}/api/v1/billing/invoices/{invoice_id}/pay"
        ))
        .header("authorization", &bearer)
        .json(&json!({"channel": "BRI_VA"})),
    )
    .await;
    assert_eq!(status, 200, "{paying}");
    let checkout = paying["data"]["payment"]["paymentUrl"]
        .as_str()
        .unwrap()
        .to_string();

    // The customer presses Pay on Tripay's page; Tripay calls billing back.
    let response = http.post(format!("{checkout}/pay")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let active = eventually(90, "the order to become ACTIVE", || {
        let (http, url, bearer) = (
            http.clone(),
            format!("{order}/api/v1/orders/{order_id}"),
            bearer.clone(),
        );
        async move {
            let (_, body) = call(http.get(url).header("authorization", bearer)).await;
            let status = body["data"]["status"].as_str()?;
            assert_ne!(status, "FAILED", "{body}");
            (status == "ACTIVE").then_some(body["data"].clone())
        }
    })
    .await;
    let ip = active["provisioningTask"]["ipv4Public"]
        .as_str()
        .expect("an IP address")
        .to_string();
    assert!(active["paidAt"].is_string());

    // Billing: paid once, by this transaction.
    let (_, detail) = call(
        http.get(format!(
            "{billing}/api/v1/internal/billing/invoices/{invoice_id}"
        ))
        .header("x-api-key", platform.api_key()),
    )
    .await;
    assert_eq!(detail["data"]["invoice"]["status"], "PAID", "{detail}");
    assert_eq!(detail["data"]["payments"].as_array().unwrap().len(), 1);
    // DigitalOcean: one droplet for the order.
    let (_, droplets) = call(http.get(format!("{digitalocean}/_sim/droplets"))).await;
    let mine = droplets["droplets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["tags"].to_string().contains(&order_id))
        .count();
    assert_eq!(mine, 1, "{droplets}");

    // One e-mail per step, each rendered.
    let mails = messages(4).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails_after = messages(4).await;
    assert_eq!(mails.len(), mails_after.len(), "no duplicates arrive later");
    assert_eq!(mails_after.len(), 4, "{mails_after:#?}");
    let subjects: Vec<&str> = mails
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert!(subjects[1].contains("menunggu pembayaran"), "{subjects:?}");
    assert!(subjects[2].contains("diterima"), "{subjects:?}");
    assert!(subjects[3].contains("siap digunakan"), "{subjects:?}");
    for mail in &mails {
        for part in ["text", "html"] {
            let body = mail[part].as_str().unwrap_or_default();
            assert!(!body.is_empty() && !body.contains("{{"), "{part} of {mail}");
        }
    }
    assert!(
        mails[3]["text"].as_str().unwrap().contains(&ip),
        "the VPS e-mail names its IP"
    );
    assert!(
        subjects[2].to_lowercase().contains(&order_id[..8]),
        "the payment e-mail names the order: {subjects:?}"
    );

    // Telegram: the link confirmation, then the payment and the VPS, once each (the wait for
    // duplicate e-mails above covered these too), in HTML mode.
    bot_messages(3).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let chats = bot_messages(3).await;
    assert_eq!(chats.len(), 3, "no duplicates: {chats:#?}");
    let texts: Vec<&str> = chats
        .iter()
        .map(|m| m["plainText"].as_str().unwrap())
        .collect();
    assert!(texts[1].starts_with("✅ Pembayaran diterima"), "{texts:?}");
    assert!(texts[2].starts_with("🚀 VPS siap digunakan"), "{texts:?}");
    for message in &chats[1..] {
        assert_eq!(message["parseMode"], "HTML", "{message}");
        assert!(
            message["linkPreviewDisabled"].as_bool().unwrap(),
            "{message}"
        );
        let text = message["plainText"].as_str().unwrap();
        assert!(
            text.to_lowercase().contains(&order_id[..8]),
            "names the order: {text}"
        );
        assert!(
            !message["text"].as_str().unwrap().contains("{{"),
            "{message}"
        );
    }
    assert!(
        texts[2].contains(&ip),
        "the VPS message names its IP: {}",
        texts[2]
    );
    assert!(
        chats[2]["protectContent"].as_bool().unwrap(),
        "VPS_ACTIVE is sent protected"
    );
}
