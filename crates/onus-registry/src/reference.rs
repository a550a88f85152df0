//! Image references as Docker reads them: `nginx` is `docker.io/library/nginx:latest`,
//! `cgr.dev/chainguard/nginx:latest`, `host:5000/team/app@sha256:…`.
//!
//! The first path component names a registry when it holds a `.` or a `:` or is `localhost`;
//! otherwise the image is on Docker Hub, where one-component names live under `library/`.

use std::fmt;

use crate::RegistryError;

/// Docker Hub's name in references and credential stores.
pub const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's API host.
const DOCKER_HUB_API: &str = "registry-1.docker.io";
/// Longest reference accepted (Docker's name limit is 255; tag and digest add to it).
const MAX_REFERENCE: usize = 512;

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `docker.io`, `cgr.dev`, `127.0.0.1:5000`.
    pub registry: String,
    /// `library/nginx`, `chainguard/nginx`.
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:` and 64 lowercase hex digits.
    pub digest: Option<String>,
}

impl Reference {
    /// Parse and normalise a reference (tag `latest` when neither tag nor digest is given).
    pub fn parse(input: &str) -> Result<Reference, RegistryError> {
        let err = |reason: &str| RegistryError::Reference {
            input: input.chars().take(200).collect(),
            reason: reason.to_string(),
        };
        if input.is_empty() || input.len() > MAX_REFERENCE {
            return Err(err("empty or longer than 512 bytes"));
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("it contains whitespace or control characters"));
        }
        let (name, digest) = match input.split_once('@') {
            Some((name, digest)) => {
                let hex = digest
                    .strip_prefix("sha256:")
                    .ok_or_else(|| err("only `sha256:` digests are supported"))?;
                if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return Err(err("a sha256 digest is 64 lowercase hex digits"));
                }
                (name, Some(digest.to_string()))
            }
            None => (input, None),
        };
        // A tag follows the last `:` after the last `/` (a `:` before it is a port).
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&name[..at], Some(name[at + 1..].to_string()))
            }
            None => (name, None),
        };
        if let Some(tag) = &tag {
            let valid = !tag.is_empty()
                && tag.len() <= 128
                && tag
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
            if !valid {
                return Err(err("a tag is up to 128 letters, digits, `_`, `.` and `-`"));
            }
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        if !valid_host(&registry) {
            return Err(err(
                "the registry host is not a host name or address with an optional port",
            ));
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if !valid_repository(&repository) {
            return Err(err(
                "a repository is lowercase letters and digits in `/`-separated components, joined by `.`, `_`, `__` or `-`",
            ));
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host the API is reached at (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// What to ask the manifest endpoint for: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// `registry/repository`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The host without its port (`127.0.0.1` for `127.0.0.1:5000`, `::1` for `[::1]:5000`).
    pub fn host_only(&self) -> &str {
        host_without_port(&self.registry)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// `host`, `host:port`, `[v6]:port`.
pub(crate) fn host_without_port(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    registry.split(':').next().unwrap_or(registry)
}

fn valid_host(registry: &str) -> bool {
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        match rest.split_once(']') {
            Some((v6, port)) => (v6, port.strip_prefix(':')),
            None => return false,
        }
    } else {
        match registry.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (registry, None),
        }
    };
    let bracketed = registry.starts_with('[');
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && (bracketed
            || (host.starts_with(|c: char| c.is_ascii_alphanumeric())
                && host.ends_with(|c: char| c.is_ascii_alphanumeric())))
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
    host_ok && port_ok
}

fn valid_repository(repository: &str) -> bool {
    !repository.is_empty()
        && repository.len() <= 255
        && repository.split('/').all(|component| {
            let bytes = component.as_bytes();
            !bytes.is_empty()
                && bytes[0].is_ascii_alphanumeric()
                && bytes[bytes.len() - 1].is_ascii_alphanumeric()
                && bytes.iter().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn canonical(input: &str) -> String {
        Reference::parse(input).unwrap().to_string()
    }

    #[test]
    fn normalises_as_docker_does() {
        assert_eq!(canonical("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(canonical("nginx:1.25"), "docker.io/library/nginx:1.25");
        assert_eq!(canonical("bitnami/redis"), "docker.io/bitnami/redis:latest");
        assert_eq!(
            canonical("index.docker.io/library/nginx"),
            "docker.io/library/nginx:latest"
        );
        assert_eq!(
            canonical("cgr.dev/chainguard/nginx:latest"),
            "cgr.dev/chainguard/nginx:latest"
        );
        assert_eq!(canonical("localhost/app"), "localhost/app:latest");
        assert_eq!(canonical("127.0.0.1:5000/a/b:v1"), "127.0.0.1:5000/a/b:v1");
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            canonical(&format!("127.0.0.1:5000/app@{d}")),
            format!("127.0.0.1:5000/app@{d}")
        );
        let r = Reference::parse(&format!("host:5000/app:v2@{d}")).unwrap();
        assert_eq!(r.tag.as_deref(), Some("v2"));
        assert_eq!(r.manifest_reference(), d);
        assert_eq!(r.host_only(), "host");
        assert_eq!(
            Reference::parse("nginx").unwrap().api_host(),
            "registry-1.docker.io"
        );
        assert_eq!(
            Reference::parse("[::1]:5000/app").unwrap().host_only(),
            "::1"
        );
    }

    #[test]
    fn rejects_what_docker_rejects() {
        for bad in [
            "",
            "Nginx",
            "nginx:",
            "nginx:-x",
            "nginx@sha256:abc",
            "nginx@md5:0123",
            "a b",
            "host:port/app",
            "/abs/path",
            "./rel",
            "app//x",
            "app/",
            "x\n",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} is rejected");
        }
        assert!(Reference::parse(&"a".repeat(600)).is_err());
    }
}
