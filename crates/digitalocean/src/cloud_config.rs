//! The cloud-config `user_data` that sets a droplet's root password (order.md §7.3).
//!
//! The password is written as a YAML double-quoted scalar with every character outside
//! printable ASCII escaped, so no password can end the string, start a new key or smuggle in a
//! line break, under YAML 1.1 (PyYAML, which cloud-init uses) as under YAML 1.2.

use std::fmt::Write as _;

use crate::model::UserData;

/// Why a root password cannot be put into user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejected {
    #[error("the root password is empty")]
    Empty,
    /// cloud-init feeds `root:<password>` lines to `chpasswd`: a line break would start another
    /// `user:password` line, and other control characters do not survive the terminal either.
    #[error("the root password contains a control character")]
    ControlCharacter,
    #[error("the root password is longer than {max} characters")]
    TooLong { max: usize },
}

/// Generous: the order service generates 24 characters.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// `#cloud-config` that sets root's password without forcing a change at first login and enables
/// SSH password login.
pub fn root_password(password: &str) -> Result<UserData, PasswordRejected> {
    if password.is_empty() {
        return Err(PasswordRejected::Empty);
    }
    if password.chars().any(char::is_control) {
        return Err(PasswordRejected::ControlCharacter);
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(PasswordRejected::TooLong {
            max: MAX_PASSWORD_CHARS,
        });
    }
    Ok(UserData::new(format!(
        "#cloud-config\n\
         chpasswd:\n  \
           expire: false\n  \
           users:\n    \
             - {{name: root, password: {}, type: text}}\n\
         ssh_pwauth: true\n",
        yaml_double_quoted(password)
    )))
}

/// `text` as a YAML double-quoted scalar, quotes included. Only printable ASCII other than `"`
/// and `\` is written as is; everything else is an escape both YAML 1.1 and 1.2 define. Escaping
/// all non-ASCII also covers the characters YAML treats as line breaks (U+0085, U+2028, U+2029)
/// and those a YAML reader refuses outright (C1 controls, U+FEFF, U+FFFE).
pub fn yaml_double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            // Writing to a String cannot fail.
            c if (c as u32) <= 0xFF => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads back what [`yaml_double_quoted`] writes, by the YAML escape rules, refusing any raw
    /// character a double-quoted scalar could misread.
    fn unquote(quoted: &str) -> Option<String> {
        let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return None,
                c if !(' '..='~').contains(&c) => return None,
                '\\' => {
                    let hex = |chars: &mut std::str::Chars<'_>, n: usize| {
                        let digits: String = chars.take(n).collect();
                        u32::from_str_radix(&digits, 16)
                            .ok()
                            .and_then(char::from_u32)
                    };
                    match chars.next()? {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'x' => out.push(hex(&mut chars, 2)?),
                        'u' => out.push(hex(&mut chars, 4)?),
                        'U' => out.push(hex(&mut chars, 8)?),
                        _ => return None,
                    }
                }
                c => out.push(c),
            }
        }
        Some(out)
    }

    const NASTY: &[&str] = &[
        "plainAlnum24CharsPasswd1",
        "with \"double\" and 'single' quotes",
        "colon: space and key: value",
        "line\nbreak\r\nand\ttab",
        "}, type: hash, name: admin, x: {",
        "\"}\nssh_pwauth: false\n#",
        "back\\slash\\\" end\\",
        "# not a comment & *anchor !tag %yaml @ `tick` | > - ? [ ] ,",
        "unicode: pässwörd ✓ 🙂",
        "yaml line breaks \u{85} \u{2028} \u{2029} and bom \u{feff}",
        "nul \0 del \u{7f} esc \u{1b}",
        " leading and trailing spaces ",
    ];

    #[test]
    fn any_text_round_trips_through_the_quoting() {
        for text in NASTY {
            let quoted = yaml_double_quoted(text);
            assert!(quoted.is_ascii(), "{quoted}");
            assert!(!quoted.contains('\n'), "{quoted}");
            assert_eq!(unquote(&quoted).as_deref(), Some(*text), "{quoted}");
        }
    }

    #[test]
    fn the_cloud_config_matches_order_md() {
        let data = root_password("Abc123xyz").expect("valid password");
        assert_eq!(
            data.expose(),
            "#cloud-config\nchpasswd:\n  expire: false\n  users:\n    - {name: root, password: \"Abc123xyz\", type: text}\nssh_pwauth: true\n"
        );
    }

    #[test]
    fn a_hostile_password_stays_inside_its_scalar() {
        for password in NASTY.iter().filter(|p| !p.chars().any(char::is_control)) {
            let data = root_password(password).expect("printable password");
            let lines: Vec<&str> = data.expose().lines().collect();
            assert_eq!(lines.len(), 6, "{}", data.expose());
            assert_eq!(lines[0], "#cloud-config");
            assert_eq!(lines[5], "ssh_pwauth: true");
            let scalar = lines[4]
                .strip_prefix("    - {name: root, password: ")
                .and_then(|rest| rest.strip_suffix(", type: text}"))
                .expect("password line keeps its shape");
            assert_eq!(unquote(scalar).as_deref(), Some(*password));
        }
    }

    #[test]
    fn passwords_chpasswd_cannot_take_are_refused() {
        assert_eq!(root_password(""), Err(PasswordRejected::Empty));
        for bad in ["a\nroot2:pw", "a\rb", "tab\there", "nul\0", "c1\u{85}"] {
            assert_eq!(
                root_password(bad),
                Err(PasswordRejected::ControlCharacter),
                "{bad:?}"
            );
        }
        let long = "a".repeat(MAX_PASSWORD_CHARS + 1);
        assert!(matches!(
            root_password(&long),
            Err(PasswordRejected::TooLong { .. })
        ));
        assert!(root_password(&"a".repeat(MAX_PASSWORD_CHARS)).is_ok());
    }

    #[test]
    fn colons_are_fine_because_chpasswd_splits_at_the_first_one() {
        let data = root_password("a:b:c").expect("colons allowed");
        assert!(data.expose().contains("password: \"a:b:c\""));
    }
}
