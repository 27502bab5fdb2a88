//! The SMTP sink receiving real mail from lettre (the client the notification service uses):
//! MIME parsing, several recipients, dot-stuffing and the HTTP mailbox views.

use std::time::Duration;

use lettre::message::{Mailbox as Address, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;
use simulators::smtp::{Mailbox, SmtpSinkConfig, router, serve_smtp};

async fn start() -> (u16, String, Mailbox) {
    let mailbox = Mailbox::default();
    let smtp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = smtp.local_addr().unwrap().port();
    tokio::spawn(serve_smtp(smtp, mailbox.clone(), SmtpSinkConfig::default()));
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", http.local_addr().unwrap());
    let app = router(mailbox.clone());
    tokio::spawn(async move {
        let _ = axum::serve(http, app).await;
    });
    (port, url, mailbox)
}

fn transport(port: u16) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .build()
}

#[tokio::test]
async fn multipart_mail_with_a_non_ascii_subject_is_decoded() {
    let (port, url, mailbox) = start().await;
    let message = Message::builder()
        .from(
            "WeBrana Cloud <noreply@webrana.id>"
                .parse::<Address>()
                .unwrap(),
        )
        .to("budi@example.com".parse::<Address>().unwrap())
        .to("ani@example.com".parse::<Address>().unwrap())
        .subject("Pembayaran diterima – INV-20250115-7KQ3")
        .multipart(MultiPart::alternative_plain_html(
            "Terima kasih.\n.line starting with a dot\nRp 150.000".to_owned(),
            "<p>Terima <b>kasih</b> – Rp 150.000</p>".to_owned(),
        ))
        .unwrap();
    transport(port).send(message).await.unwrap();
    let mails = mailbox.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.subject, "Pembayaran diterima – INV-20250115-7KQ3");
    assert_eq!(mail.from, "noreply@webrana.id");
    assert_eq!(mail.to, vec!["budi@example.com", "ani@example.com"]);
    let text = mail.text.as_deref().unwrap();
    assert!(
        text.contains("\n.line starting with a dot"),
        "dot-unstuffed: {text:?}"
    );
    assert!(mail.html.as_deref().unwrap().contains("<b>kasih</b>"));

    let json: Value = reqwest::get(format!("{url}/_sim/messages?to=ani@example.com"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        json["data"][0]["subject"],
        "Pembayaran diterima – INV-20250115-7KQ3"
    );
    let none: Value = reqwest::get(format!("{url}/_sim/messages?to=other@example.com"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none["data"], serde_json::json!([]));
    let page = reqwest::get(format!("{url}/mailbox"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Pembayaran diterima"));
    let one = reqwest::get(format!("{url}/mailbox/1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        one.contains("srcdoc=\"&lt;p&gt;Terima"),
        "the HTML part is escaped into the frame"
    );
    let missing = reqwest::get(format!("{url}/mailbox/99")).await.unwrap();
    assert_eq!(missing.status(), reqwest::StatusCode::NOT_FOUND);

    reqwest::Client::new()
        .delete(format!("{url}/_sim/messages"))
        .send()
        .await
        .unwrap();
    assert!(mailbox.messages().is_empty());
}

#[tokio::test]
async fn the_protocol_refuses_out_of_order_commands() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (port, _, mailbox) = start().await;
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    assert!(lines.next_line().await.unwrap().unwrap().starts_with("220"));
    let mut ask = async |command: &str| {
        write
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .unwrap();
        let mut reply = lines.next_line().await.unwrap().unwrap();
        while reply.as_bytes().get(3) == Some(&b'-') {
            reply = lines.next_line().await.unwrap().unwrap();
        }
        reply
    };
    assert!(ask("EHLO test").await.starts_with("250 "));
    assert!(ask("DATA").await.starts_with("503"));
    assert!(ask("RCPT TO:<a@b.c>").await.starts_with("503"));
    assert!(ask("FROB").await.starts_with("502"));
    assert!(ask("MAIL FROM:<x@y.z>").await.starts_with("250"));
    assert!(ask("RCPT TO:<a@b.c>").await.starts_with("250"));
    assert!(ask("RSET").await.starts_with("250"));
    assert!(ask("DATA").await.starts_with("503"));
    assert!(ask("QUIT").await.starts_with("221"));
    assert!(mailbox.messages().is_empty());
}
