//! `webrana keygen`: an RSA key pair for RS256 access tokens.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use platform::keys::RsaPemPair;

use crate::cli::KeygenArgs;

pub const PRIVATE_FILE: &str = "jwt-private.pem";
pub const PUBLIC_FILE: &str = "jwt-public.pem";
pub const DEFAULT_DIR: &str = ".dev/keys";

pub fn run(args: KeygenArgs) -> anyhow::Result<()> {
    let out = match (&args.out, args.print_env) {
        (Some(dir), _) => Some(dir.clone()),
        (None, false) => Some(PathBuf::from(DEFAULT_DIR)),
        (None, true) => None,
    };
    // Checked before generating so that a refusal costs nothing and changes nothing.
    if let Some(dir) = &out {
        refuse_overwrite(dir, args.force)?;
    }
    let pair = platform::keys::generate_rsa_2048()?;
    if let Some(dir) = &out {
        let (private, public) = write_pair(dir, &pair, args.force)?;
        eprintln!(
            "wrote {} (keep it secret) and {}",
            private.display(),
            public.display()
        );
    }
    if args.print_env {
        print!("{}", env_lines(&pair));
    }
    Ok(())
}

fn refuse_overwrite(dir: &Path, force: bool) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    for name in [PRIVATE_FILE, PUBLIC_FILE] {
        let path = dir.join(name);
        if path.exists() {
            anyhow::bail!(
                "{} already exists; pass --force to replace it (tokens signed with the old key will stop verifying)",
                path.display()
            );
        }
    }
    Ok(())
}

/// Writes both files, the private one readable by its owner only.
pub fn write_pair(
    dir: &Path,
    pair: &RsaPemPair,
    force: bool,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    refuse_overwrite(dir, force)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let private = dir.join(PRIVATE_FILE);
    let public = dir.join(PUBLIC_FILE);
    write_file(&private, &pair.private_pem, 0o600, force)?;
    write_file(&public, &pair.public_pem, 0o644, force)?;
    Ok((private, public))
}

/// `create_new` unless forced, so two racing writers cannot silently replace each other's key.
pub fn write_file(path: &Path, contents: &str, mode: u32, overwrite: bool) -> anyhow::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).mode(mode);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    // `mode` above only applies to a file this call creates; a replaced key keeps no looser bits.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set permissions of {}", path.display()))?;
    Ok(())
}

/// Two `.env` lines. The PEM newlines become a literal `\n` (which every service turns back into
/// newlines) and the value is double-quoted because the PEM armour contains spaces.
pub fn env_lines(pair: &RsaPemPair) -> String {
    format!(
        "JWT_PRIVATE_KEY=\"{}\"\nJWT_PUBLIC_KEY=\"{}\"\n",
        one_line(&pair.private_pem),
        one_line(&pair.public_pem)
    )
}

fn one_line(pem: &str) -> String {
    pem.trim_end().replace("\r\n", "\n").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_pair() -> RsaPemPair {
        RsaPemPair {
            private_pem: "-----BEGIN PRIVATE KEY-----\nAAA\nBBB\n-----END PRIVATE KEY-----\n"
                .into(),
            public_pem: "-----BEGIN PUBLIC KEY-----\nCCC\n-----END PUBLIC KEY-----\n".into(),
        }
    }

    fn scratch_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("webrana-keygen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn env_lines_are_quoted_single_lines_with_literal_newlines() {
        let text = env_lines(&fake_pair());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                r#"JWT_PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\nAAA\nBBB\n-----END PRIVATE KEY-----""#,
                r#"JWT_PUBLIC_KEY="-----BEGIN PUBLIC KEY-----\nCCC\n-----END PUBLIC KEY-----""#,
            ]
        );
    }

    #[test]
    fn refuses_to_overwrite_without_force() {
        let dir = scratch_dir("overwrite");
        write_pair(&dir, &fake_pair(), false).expect("first write");
        let err = write_pair(&dir, &fake_pair(), false).expect_err("second write refused");
        assert!(err.to_string().contains("--force"), "{err}");
        write_pair(&dir, &fake_pair(), true).expect("forced write");
        let mode = std::fs::metadata(dir.join(PRIVATE_FILE))
            .expect("stat")
            .permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
