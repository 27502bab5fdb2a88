//! One SMTP conversation (RFC 5321 subset a submission client uses).

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::mailbox::Mailbox;

/// Longer command lines are refused (RFC 5321 §4.5.3.1.4 allows 512).
const MAX_LINE: usize = 4096;

fn address(arg: &str) -> String {
    let arg = arg.trim();
    let inner = match (arg.find('<'), arg.find('>')) {
        (Some(a), Some(b)) if b > a => &arg[a + 1..b],
        _ => arg.split_whitespace().next().unwrap_or(""),
    };
    inner.to_owned()
}

pub async fn run(stream: TcpStream, mailbox: Mailbox, max_bytes: usize) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write
        .write_all(b"220 webrana-smtp-sink ESMTP ready\r\n")
        .await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).await?;
        if n == 0 {
            return Ok(());
        }
        if line.len() > MAX_LINE {
            write.write_all(b"500 Line too long\r\n").await?;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        let (verb, arg) = match text.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a),
            None => (text.to_ascii_uppercase(), ""),
        };
        let reply: String = match verb.as_str() {
            "EHLO" => format!("250-webrana-smtp-sink\r\n250-SIZE {max_bytes}\r\n250 8BITMIME"),
            "HELO" => "250 webrana-smtp-sink".into(),
            "MAIL" if arg.to_ascii_uppercase().starts_with("FROM:") => {
                from = Some(address(&arg[5..]));
                to.clear();
                "250 OK".into()
            }
            "RCPT" if arg.to_ascii_uppercase().starts_with("TO:") => {
                if from.is_none() {
                    "503 MAIL first".into()
                } else {
                    to.push(address(&arg[3..]));
                    "250 OK".into()
                }
            }
            "DATA" if from.is_none() || to.is_empty() => "503 RCPT first".into(),
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut body = Vec::new();
                let mut too_big = false;
                loop {
                    line.clear();
                    let n = reader.read_until(b'\n', &mut line).await?;
                    if n == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    // Dot-stuffing: a leading dot was doubled by the client.
                    let content = if line.starts_with(b"..") {
                        &line[1..]
                    } else {
                        &line[..]
                    };
                    if body.len() + content.len() > max_bytes {
                        too_big = true;
                    } else {
                        body.extend_from_slice(content);
                    }
                }
                let envelope_from = from.take().unwrap_or_default();
                let recipients = std::mem::take(&mut to);
                if too_big {
                    "552 Message exceeds the size limit".into()
                } else {
                    let id = mailbox.deliver(envelope_from, recipients, &body);
                    format!("250 OK queued as {id}")
                }
            }
            "RSET" => {
                from = None;
                to.clear();
                "250 OK".into()
            }
            "NOOP" => "250 OK".into(),
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            "MAIL" | "RCPT" => "501 Syntax error in parameters".into(),
            _ => "502 Command not implemented".into(),
        };
        // One write per reply: a reply split in two meets Nagle and delayed ACKs (~40-200 ms).
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::address;

    #[test]
    fn addresses_come_out_of_their_brackets() {
        assert_eq!(address("<a@b.c>"), "a@b.c");
        assert_eq!(address(" <a@b.c> SIZE=100"), "a@b.c");
        assert_eq!(address("a@b.c"), "a@b.c");
        assert_eq!(address("<>"), "");
    }
}
