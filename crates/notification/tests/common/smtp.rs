//! A real SMTP listener for tests (integrations.md §4.4): plain SMTP on a random port, every
//! accepted message recorded, failures injectable, and able to go down and come back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkMode {
    Accept,
    /// `451` at `RCPT`.
    Transient,
    /// `550` at `RCPT`.
    Permanent,
}

#[derive(Debug, Clone)]
pub struct Envelope {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<Envelope>>,
    mode: Mutex<Option<SinkMode>>,
    rejected: Mutex<u32>,
}

pub struct SmtpSink {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    tasks: Mutex<Option<JoinSet<()>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let addr = listener.local_addr().expect("addr");
        let sink = Self {
            addr,
            shared: Arc::default(),
            tasks: Mutex::new(None),
        };
        sink.serve(listener);
        sink
    }

    fn serve(&self, listener: TcpListener) {
        let shared = self.shared.clone();
        let mut set = JoinSet::new();
        set.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                connections.spawn(session(stream, shared.clone()));
            }
        });
        if let Ok(mut t) = self.tasks.lock() {
            *t = Some(set);
        }
    }

    /// Closes the listener and every open connection, like a crashed relay.
    pub fn stop(&self) {
        if let Ok(mut t) = self.tasks.lock() {
            // Dropping the set aborts the accept loop, whose own set aborts the sessions.
            t.take();
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&self) {
        let listener = TcpListener::bind(self.addr).await.expect("rebind smtp");
        self.serve(listener);
    }

    pub fn set_mode(&self, mode: SinkMode) {
        if let Ok(mut m) = self.shared.mode.lock() {
            *m = Some(mode);
        }
    }

    pub fn messages(&self) -> Vec<Envelope> {
        self.shared
            .messages
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// How many `RCPT` commands were refused.
    pub fn rejected(&self) -> u32 {
        self.shared.rejected.lock().map(|r| *r).unwrap_or(0)
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let reply = |text: &'static str| text.as_bytes().to_vec();
    if write
        .write_all(&reply("220 sink.test ESMTP ready\r\n"))
        .await
        .is_err()
    {
        return;
    }
    let mut mail_from = String::new();
    let mut rcpt_to: Vec<String> = Vec::new();
    loop {
        let mut line = String::new();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let answer: Vec<u8> = if upper.starts_with("EHLO") {
            reply("250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN\r\n")
        } else if upper.starts_with("HELO") {
            reply("250 sink.test\r\n")
        } else if upper.starts_with("AUTH") {
            reply("235 2.7.0 Authentication successful\r\n")
        } else if upper.starts_with("MAIL FROM:") {
            mail_from = command[10..].trim().to_string();
            rcpt_to.clear();
            reply("250 2.1.0 Ok\r\n")
        } else if upper.starts_with("RCPT TO:") {
            let mode = shared
                .mode
                .lock()
                .ok()
                .and_then(|m| *m)
                .unwrap_or(SinkMode::Accept);
            match mode {
                SinkMode::Accept => {
                    rcpt_to.push(command[8..].trim().to_string());
                    reply("250 2.1.5 Ok\r\n")
                }
                SinkMode::Transient => {
                    if let Ok(mut r) = shared.rejected.lock() {
                        *r += 1;
                    }
                    reply("451 4.3.0 Try again later\r\n")
                }
                SinkMode::Permanent => {
                    if let Ok(mut r) = shared.rejected.lock() {
                        *r += 1;
                    }
                    reply("550 5.1.1 Mailbox unavailable\r\n")
                }
            }
        } else if upper == "DATA" {
            if write
                .write_all(&reply("354 End data with <CR><LF>.<CR><LF>\r\n"))
                .await
                .is_err()
            {
                return;
            }
            let mut data = Vec::new();
            loop {
                let mut l = String::new();
                match lines.read_line(&mut l).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                let unstuffed = l
                    .strip_prefix('.')
                    .filter(|_| l.starts_with(".."))
                    .unwrap_or(&l);
                data.extend_from_slice(unstuffed.as_bytes());
            }
            if let Ok(mut m) = shared.messages.lock() {
                m.push(Envelope {
                    mail_from: mail_from.clone(),
                    rcpt_to: rcpt_to.clone(),
                    data,
                });
            }
            reply("250 2.0.0 Ok: queued\r\n")
        } else if upper == "RSET" {
            mail_from.clear();
            rcpt_to.clear();
            reply("250 2.0.0 Ok\r\n")
        } else if upper == "NOOP" {
            reply("250 2.0.0 Ok\r\n")
        } else if upper == "QUIT" {
            let _ = write.write_all(&reply("221 2.0.0 Bye\r\n")).await;
            return;
        } else {
            reply("502 5.5.2 Command not recognized\r\n")
        };
        if write.write_all(&answer).await.is_err() {
            return;
        }
    }
}
