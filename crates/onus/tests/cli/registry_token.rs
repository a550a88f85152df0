//! A token server on loopback in front of the real registry (`auth: token`): it checks the
//! Basic credentials and answers with an RS256 JWT granting what the scope asks for, signed
//! with `openssl dgst` by a key whose certificate (in the JWT's `x5c`) is the registry's
//! `rootcertbundle`. onus must do the Bearer flow against it; skopeo pushes through it too.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;

use crate::common::path_str;
use crate::registry::{PASSWORD, USER};

pub const SERVICE: &str = "onus-test-registry";
pub const ISSUER: &str = "onus-test-issuer";

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => out.push(b),
                    Err(_) => out.extend_from_slice(&bytes[i..i + 3]),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A signed JWT granting `access` to `subject`.
fn jwt(dir: &Path, subject: &str, access: &[(String, Vec<String>)]) -> String {
    let der = Command::new("openssl")
        .args([
            "x509",
            "-in",
            &path_str(&dir.join("token.crt")),
            "-outform",
            "DER",
        ])
        .output()
        .unwrap()
        .stdout;
    let header = serde_json::json!({
        "alg": "RS256",
        "typ": "JWT",
        "x5c": [base64::engine::general_purpose::STANDARD.encode(der)],
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "iss": ISSUER,
        "sub": subject,
        "aud": SERVICE,
        "exp": now + 600,
        "nbf": now - 30,
        "iat": now,
        "jti": format!("{now}-{}", access.len()),
        "access": access.iter().map(|(name, actions)| serde_json::json!({
            "type": "repository", "name": name, "actions": actions,
        })).collect::<Vec<_>>(),
    });
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let mut child = Command::new("openssl")
        .args([
            "dgst",
            "-sha256",
            "-sign",
            &path_str(&dir.join("token.key")),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let signature = child.wait_with_output().unwrap().stdout;
    format!("{input}.{}", b64url(&signature))
}

/// Start the token server; returns its realm URL. Requests are logged to `<dir>/token.log`
/// (the user each token was issued to, or `denied`).
pub fn serve(dir: &Path) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir: PathBuf = dir.to_path_buf();
    let good = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut headers = BTreeMap::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
            let mut access = Vec::new();
            for pair in query.split('&') {
                if let Some(scope) = pair.strip_prefix("scope=") {
                    let scope = percent_decode(scope);
                    let parts: Vec<&str> = scope.split(':').collect();
                    if parts.len() == 3 && parts[0] == "repository" {
                        access.push((
                            parts[1].to_string(),
                            parts[2].split(',').map(str::to_string).collect(),
                        ));
                    }
                }
            }
            let authorized = headers.get("authorization") == Some(&good);
            let mut log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("token.log"))
                .unwrap();
            let (status, body) = if authorized {
                let _ = writeln!(log, "issued {USER} {access:?}");
                let token = jwt(&dir, USER, &access);
                (
                    "200 OK",
                    format!(r#"{{"token":"{token}","access_token":"{token}","expires_in":600}}"#),
                )
            } else {
                let _ = writeln!(log, "denied {access:?}");
                (
                    "401 Unauthorized",
                    r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#.to_string(),
                )
            };
            let mut out = stream;
            let _ = write!(
                out,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://127.0.0.1:{port}/token")
}
