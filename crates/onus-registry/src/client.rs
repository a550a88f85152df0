//! The HTTP side of the OCI Distribution Spec: ping, authenticate (Basic or the Bearer token
//! flow), fetch manifests (size-capped, digest-checked) and open blobs as streams.
//!
//! Transport: HTTPS with the system roots plus the CAs the user names (`--registry-ca`,
//! `ONUS_REGISTRY_CA`) and the `/etc/docker/certs.d/HOST[:PORT]/*.crt`,
//! `/etc/containers/certs.d/…` conventions; plain HTTP only for loopback hosts (after HTTPS
//! failed to connect) or hosts the user marks insecure. Redirects are followed by the HTTP
//! client, which drops `Authorization` when the host changes. 429 and 5xx are retried with
//! backoff, honouring `Retry-After`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;
use sha2::{Digest as _, Sha256};

use crate::auth::{parse_challenge, Credential, CredentialSources};
use crate::reference::Reference;
use crate::RegistryError;

/// Media types a manifest request accepts.
pub const MANIFEST_TYPES: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// How to reach registries.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Extra CA certificates (PEM) trusted for every registry.
    pub ca_files: Vec<PathBuf>,
    /// Hosts (`host` or `host:port`) reached over plain HTTP.
    pub insecure: Vec<String>,
    /// Where `certs.d` directories are looked for (`/etc/docker/certs.d`, `/etc/containers/certs.d`).
    pub certs_dirs: Vec<PathBuf>,
    pub credentials: CredentialSources,
    pub connect_timeout: Duration,
    /// Longest wait for a byte once connected.
    pub read_timeout: Duration,
    /// Largest manifest or index accepted (the distribution registry's own cap is 4 MiB).
    pub max_manifest_bytes: u64,
    /// Attempts for a request answered 429 or 5xx (or cut off before an answer).
    pub attempts: u32,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            ca_files: Vec::new(),
            insecure: Vec::new(),
            certs_dirs: vec![
                PathBuf::from("/etc/docker/certs.d"),
                PathBuf::from("/etc/containers/certs.d"),
            ],
            credentials: CredentialSources::default(),
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
            max_manifest_bytes: 4 << 20,
            attempts: 4,
        }
    }
}

/// A fetched manifest or index.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub bytes: Vec<u8>,
    pub media_type: String,
    /// `sha256:` of `bytes`.
    pub digest: String,
}

/// An opened blob: its body as it arrives.
pub struct Blob {
    pub reader: Box<dyn Read + Send>,
    /// `Content-Length`, when the registry sent one.
    pub size: Option<u64>,
}

/// A client for one repository of one registry.
pub struct Client {
    reference: Reference,
    agent: ureq::Agent,
    /// `https://host[:port]` or `http://…`.
    base: String,
    credential: Option<Credential>,
    /// The `Authorization` value in use (a Basic header or a bearer token for this repository).
    authorization: Mutex<Option<String>>,
    options: RegistryOptions,
    /// Requests sent, by kind, for tests and benchmarks (`manifest`, `blob`, `token`, `ping`).
    counts: Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("reference", &self.reference.to_string())
            .field("base", &self.base)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Client {
    /// Connect to the registry of `reference`: pick the transport, and answer its challenge.
    pub fn connect(
        reference: &Reference,
        options: &RegistryOptions,
    ) -> Result<Client, RegistryError> {
        let registry = reference.registry.clone();
        let host = reference.host_only().to_string();
        let insecure = options
            .insecure
            .iter()
            .any(|h| *h == registry || *h == host);
        let tls = Arc::new(tls_config(&registry, options)?);
        let agent = ureq::AgentBuilder::new()
            .tls_config(tls)
            .timeout_connect(options.connect_timeout)
            .timeout_read(options.read_timeout)
            .redirects(5)
            .user_agent(concat!("onus/", env!("CARGO_PKG_VERSION")))
            .build();
        let credential = options.credentials.lookup(&registry)?;
        let api = reference.api_host().to_string();
        let mut client = Client {
            reference: reference.clone(),
            agent,
            base: format!("https://{api}"),
            credential,
            authorization: Mutex::new(None),
            options: options.clone(),
            counts: Mutex::new(Default::default()),
        };
        if insecure {
            client.base = format!("http://{api}");
        }
        match client.ping(false) {
            Err(https_error @ RegistryError::Transport { .. })
                if !insecure && is_loopback(&host) =>
            {
                // Docker's rule: a loopback registry may speak plain HTTP. Only a registry that
                // answers like one over HTTP is taken; otherwise the HTTPS error (an untrusted
                // certificate, say) is the one that explains the failure.
                client.base = format!("http://{api}");
                if client.ping(true).is_err() {
                    return Err(https_error);
                }
            }
            other => other?,
        }
        Ok(client)
    }

    /// The reference this client was made for.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// Requests sent so far, by kind.
    pub fn request_counts(&self) -> std::collections::BTreeMap<&'static str, u64> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn count(&self, kind: &'static str) {
        if let Ok(mut c) = self.counts.lock() {
            *c.entry(kind).or_default() += 1;
        }
    }

    /// `GET /v2/`: learn how the registry wants to be authenticated, and authenticate.
    /// `strict`: only 200 or 401 count as a registry (probing plain HTTP).
    fn ping(&self, strict: bool) -> Result<(), RegistryError> {
        let url = format!("{}/v2/", self.base);
        self.count("ping");
        match self.agent.get(&url).call() {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(401, response)) => {
                let challenge = response.header("www-authenticate").map(str::to_string);
                self.authenticate(challenge.as_deref())
            }
            Err(ureq::Error::Status(status, _)) if strict => Err(RegistryError::Status {
                op: "reach the registry",
                object: url,
                status,
                detail: String::new(),
            }),
            // Some registries answer 404 or 403 on `/v2/` and challenge on the real request.
            Err(ureq::Error::Status(_, _)) => Ok(()),
            Err(ureq::Error::Transport(t)) => Err(RegistryError::Transport {
                op: "reach the registry",
                object: url,
                reason: transport_reason(&t),
            }),
        }
    }

    /// Answer a `WWW-Authenticate` challenge: Basic with the credential, or the Bearer token
    /// flow (anonymous, or with the credential) for pull access to this repository.
    fn authenticate(&self, challenge: Option<&str>) -> Result<(), RegistryError> {
        let registry = self.reference.registry.clone();
        let auth_err = |reason: String| RegistryError::Auth {
            registry: registry.clone(),
            reason,
        };
        let challenge = challenge.and_then(parse_challenge).ok_or_else(|| {
            auth_err("the registry asks for authentication without saying how".to_string())
        })?;
        let header = match challenge.scheme.as_str() {
            "basic" => match &self.credential {
                Some(Credential::Basic { .. }) => self.credential.as_ref().map(Credential::header),
                Some(Credential::Token(_)) => {
                    return Err(auth_err("the registry wants a user name and password, and only a token is set".to_string()))
                }
                None => {
                    return Err(auth_err(
                        "the registry wants credentials and none are configured (docker login, DOCKER_CONFIG, ONUS_REGISTRY_USERNAME/PASSWORD)".to_string(),
                    ))
                }
            },
            "bearer" => {
                if let Some(Credential::Token(_)) = &self.credential {
                    self.credential.as_ref().map(Credential::header)
                } else {
                    Some(format!("Bearer {}", self.token(&challenge.params)?))
                }
            }
            other => return Err(auth_err(format!("unsupported authentication scheme `{other}`"))),
        };
        if let Ok(mut current) = self.authorization.lock() {
            *current = header;
        }
        Ok(())
    }

    /// The Bearer token flow: `GET realm?service=…&scope=repository:<repo>:pull`.
    fn token(
        &self,
        params: &std::collections::BTreeMap<String, String>,
    ) -> Result<String, RegistryError> {
        let registry = self.reference.registry.clone();
        let auth_err = |reason: String| RegistryError::Auth {
            registry: registry.clone(),
            reason,
        };
        let realm = params
            .get("realm")
            .filter(|r| r.starts_with("https://") || r.starts_with("http://"))
            .ok_or_else(|| auth_err("the token challenge names no http(s) realm".to_string()))?;
        let scope = format!("repository:{}:pull", self.reference.repository);
        let mut request = self.agent.get(realm).query("scope", &scope);
        if let Some(service) = params.get("service") {
            request = request.query("service", service);
        }
        if let Some(credential @ Credential::Basic { .. }) = &self.credential {
            request = request.set("Authorization", &credential.header());
        }
        self.count("token");
        let response = match request.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(401 | 403, _)) => {
                return Err(auth_err(match self.credential {
                    Some(_) => "the token server rejected the credentials".to_string(),
                    None => "the token server refused anonymous access; configure credentials"
                        .to_string(),
                }))
            }
            Err(ureq::Error::Status(code, _)) => {
                return Err(auth_err(format!("the token server answered HTTP {code}")))
            }
            Err(ureq::Error::Transport(t)) => {
                return Err(auth_err(format!(
                    "cannot reach the token server: {}",
                    transport_reason(&t)
                )))
            }
        };
        #[derive(serde::Deserialize)]
        struct TokenReply {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let mut body = Vec::new();
        response
            .into_reader()
            .take(1 << 20)
            .read_to_end(&mut body)
            .map_err(|e| auth_err(format!("cannot read the token reply: {e}")))?;
        let reply: TokenReply = serde_json::from_slice(&body)
            .map_err(|_| auth_err("the token reply is not JSON with a `token`".to_string()))?;
        reply
            .token
            .or(reply.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| auth_err("the token reply has no token".to_string()))
    }

    fn authorization(&self) -> Option<String> {
        self.authorization.lock().ok().and_then(|a| a.clone())
    }

    /// GET with authentication (re-answering one challenge, e.g. an expired token) and retries.
    fn get(
        &self,
        url: &str,
        accept: Option<&str>,
        op: &'static str,
        object: &str,
    ) -> Result<ureq::Response, RegistryError> {
        let mut challenged = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut request = self.agent.get(url);
            if let Some(accept) = accept {
                request = request.set("Accept", accept);
            }
            if let Some(auth) = self.authorization() {
                request = request.set("Authorization", &auth);
            }
            match request.call() {
                Ok(response) => return Ok(response),
                Err(ureq::Error::Status(401, response)) if !challenged => {
                    challenged = true;
                    let challenge = response.header("www-authenticate").map(str::to_string);
                    self.authenticate(challenge.as_deref())?;
                }
                Err(ureq::Error::Status(code @ (401 | 403), response)) => {
                    let detail = error_detail(response);
                    let reason = match (&self.credential, code) {
                        (Some(_), 401) => format!("the registry rejected the credentials{detail}"),
                        (Some(_), _) => {
                            format!("the credentials give no access to `{object}`{detail}")
                        }
                        (None, _) => {
                            format!("the registry refused anonymous access to `{object}`{detail}")
                        }
                    };
                    return Err(RegistryError::Auth {
                        registry: self.reference.registry.clone(),
                        reason,
                    });
                }
                Err(ureq::Error::Status(429 | 500..=599, response))
                    if attempt < self.options.attempts =>
                {
                    let wait = response
                        .header("retry-after")
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s.min(30)))
                        .unwrap_or_else(|| backoff(attempt));
                    std::thread::sleep(wait);
                }
                Err(ureq::Error::Status(status, response)) => {
                    return Err(RegistryError::Status {
                        op,
                        object: object.to_string(),
                        status,
                        detail: error_detail(response),
                    })
                }
                Err(ureq::Error::Transport(t))
                    if attempt < self.options.attempts && retryable(&t) =>
                {
                    std::thread::sleep(backoff(attempt));
                }
                Err(ureq::Error::Transport(t)) => {
                    return Err(RegistryError::Transport {
                        op,
                        object: object.to_string(),
                        reason: transport_reason(&t),
                    })
                }
            }
        }
    }

    /// Fetch a manifest or index by tag or digest. Its size is capped, its digest computed and
    /// checked against the digest asked for and the registry's `Docker-Content-Digest`.
    pub fn manifest(&self, reference: &str) -> Result<Manifest, RegistryError> {
        let separator = if reference.starts_with("sha256:") {
            '@'
        } else {
            ':'
        };
        let object = format!("{}{separator}{reference}", self.reference.name());
        let url = format!(
            "{}/v2/{}/manifests/{reference}",
            self.base, self.reference.repository
        );
        self.count("manifest");
        let response = self.get(
            &url,
            Some(&MANIFEST_TYPES.join(", ")),
            "fetch the manifest of",
            &object,
        )?;
        let invalid = |reason: String| RegistryError::Invalid {
            what: "manifest",
            object: object.clone(),
            reason,
        };
        let cap = self.options.max_manifest_bytes;
        if let Some(len) = response
            .header("content-length")
            .and_then(|l| l.parse::<u64>().ok())
        {
            if len > cap {
                return Err(invalid(format!(
                    "{len} bytes is over the {cap}-byte manifest limit"
                )));
            }
        }
        let content_type = response.content_type().to_string();
        let announced = response.header("docker-content-digest").map(str::to_string);
        let mut bytes = Vec::new();
        response
            .into_reader()
            .take(cap + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| RegistryError::Transport {
                op: "read the manifest of",
                object: object.clone(),
                reason: e.to_string(),
            })?;
        if bytes.len() as u64 > cap {
            return Err(invalid(format!("it is over the {cap}-byte manifest limit")));
        }
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if reference.starts_with("sha256:") && reference != digest {
            return Err(invalid(format!(
                "its content hashes to {digest}, not the digest asked for"
            )));
        }
        if let Some(announced) = announced.filter(|a| a.starts_with("sha256:")) {
            if announced != digest {
                return Err(invalid(format!(
                    "its content hashes to {digest}, the registry says {announced}"
                )));
            }
        }
        // The media type: the JSON's own `mediaType`, else the response's Content-Type.
        let declared = serde_json::from_slice::<serde_json::Value>(&bytes)
            .map_err(|e| invalid(format!("not JSON: {e}")))?
            .get("mediaType")
            .and_then(|m| m.as_str())
            .map(str::to_string);
        let media_type = declared.unwrap_or(content_type);
        Ok(Manifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// Open a blob as a stream (the caller verifies its digest while reading).
    pub fn blob(&self, digest: &str) -> Result<Blob, RegistryError> {
        let object = format!("{}@{digest}", self.reference.name());
        let url = format!(
            "{}/v2/{}/blobs/{digest}",
            self.base, self.reference.repository
        );
        self.count("blob");
        let response = self.get(&url, None, "fetch blob", &object)?;
        let size = response
            .header("content-length")
            .and_then(|l| l.parse::<u64>().ok());
        Ok(Blob {
            reader: Box::new(response.into_reader()),
            size,
        })
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((250u64 << attempt.min(6)).min(10_000))
}

fn retryable(t: &ureq::Transport) -> bool {
    matches!(
        t.kind(),
        ureq::ErrorKind::Io | ureq::ErrorKind::ConnectionFailed
    )
}

fn transport_reason(t: &ureq::Transport) -> String {
    // ureq's message names the URL and the cause; it holds no header values.
    let mut reason = t.to_string();
    let mut source = std::error::Error::source(t);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !reason.contains(&s_text) {
            reason.push_str(": ");
            reason.push_str(&s_text);
        }
        source = s.source();
    }
    if reason.contains("UnknownIssuer") {
        reason.push_str(" (trust the registry's CA with --registry-ca FILE or ONUS_REGISTRY_CA)");
    }
    reason
}

/// The registry's error text (`{"errors":[{"code","message"}]}`), clipped, as `: CODE message`.
fn error_detail(response: ureq::Response) -> String {
    let mut body = Vec::new();
    let _ = response.into_reader().take(16 << 10).read_to_end(&mut body);
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorItem>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorItem {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<Errors>(&body) {
        Ok(e) => e
            .errors
            .first()
            .map(|item| {
                let text: String = format!("{} {}", item.code, item.message)
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                format!(": {}", text.trim())
            })
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The TLS configuration for one registry: system roots, the user's CAs, and its `certs.d`.
fn tls_config(
    registry: &str,
    options: &RegistryOptions,
) -> Result<rustls::ClientConfig, RegistryError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // A system certificate rustls cannot use is skipped, as every client does.
        let _ = roots.add(cert);
    }
    let mut files: Vec<PathBuf> = options.ca_files.clone();
    for dir in &options.certs_dirs {
        let host_dir = dir.join(registry);
        if let Ok(entries) = std::fs::read_dir(&host_dir) {
            let mut found: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "crt"))
                .collect();
            found.sort();
            files.extend(found);
        }
    }
    for file in &files {
        for cert in read_pem_certs(file)? {
            roots.add(cert).map_err(|e| RegistryError::Invalid {
                what: "CA certificate file",
                object: file.display().to_string(),
                reason: e.to_string(),
            })?;
        }
    }
    // ring, the provider ureq's own TLS uses; newer rustls marks it deprecated for lacking
    // post-quantum key exchange, which would need aws-lc-rs (a C and CMake build).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| RegistryError::Invalid {
            what: "TLS configuration",
            object: registry.to_string(),
            reason: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, RegistryError> {
    let bytes = std::fs::read(path).map_err(|source| RegistryError::Io {
        what: "CA certificate file",
        path: path.to_path_buf(),
        source,
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| RegistryError::Invalid {
            what: "CA certificate file",
            object: path.display().to_string(),
            reason: format!("not PEM certificates: {e}"),
        })?;
    if certs.is_empty() {
        return Err(RegistryError::Invalid {
            what: "CA certificate file",
            object: path.display().to_string(),
            reason: "it holds no PEM certificate".to_string(),
        });
    }
    Ok(certs)
}
