//! Credentials and the registry's authentication challenge.
//!
//! Where credentials come from, first match wins: `ONUS_REGISTRY_TOKEN`;
//! `ONUS_REGISTRY_USERNAME` + `ONUS_REGISTRY_PASSWORD`; `$DOCKER_CONFIG/config.json` (default
//! `~/.docker/config.json`): `credHelpers[host]`, `auths[host]`, then `credsStore`; the
//! containers `auth.json` (`$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`,
//! else `~/.config/containers/auth.json`). Helpers speak the `docker-credential-<name> get`
//! protocol. Secrets are held only here and in request headers; `Debug` never prints them.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

use crate::reference::DOCKER_HUB;
use crate::RegistryError;

/// A credential for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Basic {
        username: String,
        password: String,
    },
    /// A bearer token used as is (`ONUS_REGISTRY_TOKEN`).
    Token(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Basic { username, .. } => {
                write!(
                    f,
                    "Basic {{ username: {username:?}, password: <redacted> }}"
                )
            }
            Credential::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

impl Credential {
    /// The `Authorization` header value for Basic auth (or the token as a bearer).
    pub(crate) fn header(&self) -> String {
        match self {
            Credential::Basic { username, password } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            ),
            Credential::Token(token) => format!("Bearer {token}"),
        }
    }
}

/// Where to look for credentials (the process environment, captured once).
#[derive(Debug, Clone, Default)]
pub struct CredentialSources {
    pub token: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `config.json` of the Docker CLI.
    pub docker_config: Option<PathBuf>,
    /// Containers `auth.json` files, in order.
    pub auth_files: Vec<PathBuf>,
}

impl CredentialSources {
    /// Read the environment as the Docker and containers tools do.
    pub fn from_env() -> CredentialSources {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let docker_dir = var("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| dirs::home_dir().map(|h| h.join(".docker")));
        let mut auth_files = Vec::new();
        if let Some(file) = var("REGISTRY_AUTH_FILE") {
            auth_files.push(PathBuf::from(file));
        } else {
            if let Some(run) = var("XDG_RUNTIME_DIR") {
                auth_files.push(PathBuf::from(run).join("containers/auth.json"));
            }
            if let Some(config) = dirs::config_dir() {
                auth_files.push(config.join("containers/auth.json"));
            }
        }
        CredentialSources {
            token: var("ONUS_REGISTRY_TOKEN"),
            username: var("ONUS_REGISTRY_USERNAME"),
            password: var("ONUS_REGISTRY_PASSWORD"),
            docker_config: docker_dir.map(|d| d.join("config.json")),
            auth_files,
        }
    }

    /// The credential for `registry` (`host[:port]`, `docker.io` for Docker Hub), if any.
    pub fn lookup(&self, registry: &str) -> Result<Option<Credential>, RegistryError> {
        if let Some(token) = &self.token {
            return Ok(Some(Credential::Token(token.clone())));
        }
        if let (Some(username), Some(password)) = (&self.username, &self.password) {
            return Ok(Some(Credential::Basic {
                username: username.clone(),
                password: password.clone(),
            }));
        }
        if let Some(path) = &self.docker_config {
            if let Some(config) = read_config(path)? {
                if let Some(helper) = keys(registry).find_map(|k| config.cred_helpers.get(&k)) {
                    return run_helper(helper, registry);
                }
                if let Some(found) = from_auths(&config.auths, registry, path)? {
                    return Ok(Some(found));
                }
                if let Some(store) = &config.creds_store {
                    return run_helper(store, registry);
                }
            }
        }
        for path in &self.auth_files {
            if let Some(config) = read_config(path)? {
                if let Some(found) = from_auths(&config.auths, registry, path)? {
                    return Ok(Some(found));
                }
            }
        }
        Ok(None)
    }
}

#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "identitytoken")]
    identity_token: Option<String>,
}

/// Credential files are small; a bigger one is not a credential file.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

fn read_config(path: &Path) -> Result<Option<ConfigFile>, RegistryError> {
    let io = |source| RegistryError::Io {
        what: "credential file",
        path: path.to_path_buf(),
        source,
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(RegistryError::Invalid {
            what: "credential file",
            object: path.display().to_string(),
            reason: format!("{} bytes is over 1 MiB", meta.len()),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| RegistryError::Invalid {
            what: "credential file",
            object: path.display().to_string(),
            // serde's message names a position, never the content.
            reason: e.to_string(),
        })
}

/// The keys a registry may be stored under (Docker Hub has several historical ones).
fn keys(registry: &str) -> impl Iterator<Item = String> + '_ {
    let hub: &[&str] = if registry == DOCKER_HUB {
        &[
            "https://index.docker.io/v1/",
            "index.docker.io",
            "registry-1.docker.io",
        ]
    } else {
        &[]
    };
    [
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
        format!("https://{registry}/v1/"),
        format!("https://{registry}/v2/"),
    ]
    .into_iter()
    .chain(hub.iter().map(|s| s.to_string()))
}

fn from_auths(
    auths: &BTreeMap<String, AuthEntry>,
    registry: &str,
    path: &Path,
) -> Result<Option<Credential>, RegistryError> {
    let Some(entry) = keys(registry).find_map(|k| auths.get(&k)) else {
        return Ok(None);
    };
    let invalid = |reason: &str| RegistryError::Invalid {
        what: "credential file",
        object: path.display().to_string(),
        reason: format!("the entry for `{registry}` {reason}"),
    };
    if let (Some(username), Some(password)) = (&entry.username, &entry.password) {
        return Ok(Some(Credential::Basic {
            username: username.clone(),
            password: password.clone(),
        }));
    }
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| invalid("has an `auth` that is not base64"))?;
        let text =
            String::from_utf8(decoded).map_err(|_| invalid("has an `auth` that is not UTF-8"))?;
        let (username, password) = text
            .split_once(':')
            .ok_or_else(|| invalid("has an `auth` without `user:password`"))?;
        return Ok(Some(Credential::Basic {
            username: username.to_string(),
            password: password.to_string(),
        }));
    }
    if entry.identity_token.is_some() {
        return Err(invalid(
            "holds only an identity token, which onus does not exchange; log in with a password or set ONUS_REGISTRY_TOKEN",
        ));
    }
    Ok(None)
}

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// `docker-credential-<name> get`, the registry on stdin, `{Username, Secret}` on stdout.
fn run_helper(name: &str, registry: &str) -> Result<Option<Credential>, RegistryError> {
    let helper_err = |reason: String| RegistryError::Helper {
        helper: format!("docker-credential-{name}"),
        registry: registry.to_string(),
        reason,
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(helper_err(
            "the helper name is not a plain name".to_string(),
        ));
    }
    let server = if registry == DOCKER_HUB {
        "https://index.docker.io/v1/"
    } else {
        registry
    };
    let mut child = Command::new(format!("docker-credential-{name}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| helper_err(format!("cannot run it: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|e| helper_err(format!("cannot write to it: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| helper_err(format!("cannot read its answer: {e}")))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stdout);
        // "credentials not found in native keychain": no credential, not an error.
        if said.contains("not found") || String::from_utf8_lossy(&out.stderr).contains("not found")
        {
            return Ok(None);
        }
        return Err(helper_err(format!("it exited with {}", out.status)));
    }
    let reply: HelperReply = serde_json::from_slice(&out.stdout)
        .map_err(|_| helper_err("its answer is not `{Username, Secret}` JSON".to_string()))?;
    if reply.username == "<token>" {
        return Err(helper_err(
            "it holds an identity token, which onus does not exchange".to_string(),
        ));
    }
    Ok(Some(Credential::Basic {
        username: reply.username,
        password: reply.secret,
    }))
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// `bearer` or `basic`, lowercased.
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

/// Parse `Bearer realm="…",service="…",scope="repository:a:pull,push"` (quoted values may hold
/// commas; keys are case-insensitive).
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.is_empty() {
        return None;
    }
    let mut params = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
        }
        params.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse_with_commas_in_quotes() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://auth.example/token");
        assert_eq!(c.params["scope"], "repository:a/b:pull,push");
        let c = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.params["realm"], "Registry Realm");
        assert!(parse_challenge("").is_none());
        let c = parse_challenge("Bearer realm=x, garbage").unwrap();
        assert_eq!(c.params["realm"], "x");
    }

    #[test]
    fn docker_config_auths_and_redaction() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        std::fs::write(
            &config,
            format!(r#"{{"auths":{{"127.0.0.1:5000":{{"auth":"{auth}"}},"https://index.docker.io/v1/":{{"username":"bob","password":"pw"}}}}}}"#),
        )
        .unwrap();
        let sources = CredentialSources {
            docker_config: Some(config),
            ..CredentialSources::default()
        };
        let found = sources.lookup("127.0.0.1:5000").unwrap().unwrap();
        assert_eq!(
            found,
            Credential::Basic {
                username: "alice".into(),
                password: "s3cret".into()
            }
        );
        assert!(!format!("{found:?}").contains("s3cret"), "Debug redacts");
        assert!(matches!(
            sources.lookup("docker.io").unwrap(),
            Some(Credential::Basic { username, .. }) if username == "bob"
        ));
        assert_eq!(sources.lookup("other.example").unwrap(), None);
        let env = CredentialSources {
            token: Some("tok".into()),
            ..CredentialSources::default()
        };
        assert_eq!(
            format!("{:?}", env.lookup("x").unwrap()),
            "Some(Token(<redacted>))"
        );
    }

    #[test]
    fn a_bad_credential_file_is_an_error_that_does_not_quote_it() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.json");
        std::fs::write(&config, r#"{"auths":{"h":{"auth":"not base64 s3cret!"}}}"#).unwrap();
        let sources = CredentialSources {
            docker_config: Some(config),
            ..CredentialSources::default()
        };
        let e = sources.lookup("h").unwrap_err().to_string();
        assert!(e.contains("not base64") && !e.contains("s3cret"), "{e}");
    }
}
