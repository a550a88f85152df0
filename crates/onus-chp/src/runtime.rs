//! Runtime configuration for the RW dimension: Kubernetes workloads and Compose files, read for
//! `readOnlyRootFilesystem` / `read_only` on every container that runs the image (model.md §3.3).

use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value;

use crate::error::ChpError;

/// One container (or Compose service) that runs the image.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContainerRuntime {
    /// `Deployment/web`, `CronJob/nightly`, `compose`.
    pub workload: String,
    /// `container`, `initContainer`, `ephemeralContainer` or `service`.
    pub role: String,
    /// The container or service name (`#N` when the manifest gives none).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// True only when the manifest sets the read-only root filesystem explicitly.
    pub read_only: bool,
    /// The setting and its value as written (`securityContext.readOnlyRootFilesystem: unset`).
    pub setting: String,
}

/// The runtime configuration of the image, one entry per container running it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeConfig {
    pub containers: Vec<ContainerRuntime>,
}

impl RuntimeConfig {
    /// True when every container runs with a read-only root filesystem; `None` when empty.
    pub fn read_only(&self) -> Option<bool> {
        if self.containers.is_empty() {
            None
        } else {
            Some(self.containers.iter().all(|c| c.read_only))
        }
    }
}

/// Parse Kubernetes manifests (multi-document YAML, `List` kinds included) or a Compose file.
///
/// With `image_ref`, only containers whose image matches it are kept (a bare name such as
/// `nginx` matches any registry and tag); without it every container counts.
pub fn parse_runtime(text: &str, image_ref: Option<&str>) -> Result<RuntimeConfig, ChpError> {
    let mut containers = Vec::new();
    let mut kinds = Vec::new();
    let mut documents = 0;
    for (document, de) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(de).map_err(|source| ChpError::ManifestYaml {
            document: document + 1,
            source,
        })?;
        if value.is_null() {
            continue;
        }
        documents += 1;
        collect(&value, &mut containers, &mut kinds, 0);
    }
    if containers.is_empty() {
        kinds.sort();
        kinds.dedup();
        let kinds = if kinds.is_empty() {
            "none".to_string()
        } else {
            kinds.join(", ")
        };
        return Err(ChpError::NoContainers { documents, kinds });
    }
    if let Some(wanted) = image_ref {
        let mut found: Vec<String> = containers.iter().filter_map(|c| c.image.clone()).collect();
        containers.retain(|c| c.image.as_deref().is_some_and(|i| image_matches(wanted, i)));
        if containers.is_empty() {
            found.sort();
            found.dedup();
            let found = if found.is_empty() {
                "none".to_string()
            } else {
                found.join(", ")
            };
            return Err(ChpError::ImageNotFound {
                image: wanted.to_string(),
                found,
            });
        }
    }
    containers.sort();
    Ok(RuntimeConfig { containers })
}

/// `List` items nest; the depth bound keeps hostile input from recursing without end.
fn collect(doc: &Value, out: &mut Vec<ContainerRuntime>, kinds: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    let kind = doc.get("kind").and_then(Value::as_str);
    if let Some(kind) = kind {
        kinds.push(kind.to_string());
        if kind == "List" || kind.ends_with("List") {
            if let Some(items) = doc.get("items").and_then(Value::as_sequence) {
                for item in items {
                    collect(item, out, kinds, depth + 1);
                }
            }
            return;
        }
        let name = doc
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        let spec = doc.get("spec");
        let pod_spec = match kind {
            "Pod" => spec,
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "ReplicationController" => template_spec(spec),
            "CronJob" => template_spec(
                spec.and_then(|s| s.get("jobTemplate"))
                    .and_then(|j| j.get("spec")),
            ),
            "PodTemplate" => doc.get("template").and_then(|t| t.get("spec")),
            _ => None,
        };
        if let Some(pod) = pod_spec {
            pod_containers(pod, &format!("{kind}/{name}"), out);
        }
        return;
    }
    if let Some(services) = doc.get("services").and_then(Value::as_mapping) {
        kinds.push("compose".to_string());
        for (key, svc) in services {
            let name = key
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| "?".to_string());
            let setting = svc.get("read_only");
            out.push(ContainerRuntime {
                workload: "compose".to_string(),
                role: "service".to_string(),
                name,
                image: svc.get("image").and_then(Value::as_str).map(str::to_string),
                read_only: setting.is_some_and(truthy),
                setting: format!("read_only: {}", shown(setting)),
            });
        }
    }
}

fn template_spec(v: Option<&Value>) -> Option<&Value> {
    v?.get("template")?.get("spec")
}

fn pod_containers(pod: &Value, workload: &str, out: &mut Vec<ContainerRuntime>) {
    for (field, role) in [
        ("containers", "container"),
        ("initContainers", "initContainer"),
        ("ephemeralContainers", "ephemeralContainer"),
    ] {
        let Some(list) = pod.get(field).and_then(Value::as_sequence) else {
            continue;
        };
        for (i, c) in list.iter().enumerate() {
            let setting = c
                .get("securityContext")
                .and_then(|s| s.get("readOnlyRootFilesystem"));
            out.push(ContainerRuntime {
                workload: workload.to_string(),
                role: role.to_string(),
                name: c
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("#{i}")),
                image: c.get("image").and_then(Value::as_str).map(str::to_string),
                read_only: setting.is_some_and(truthy),
                setting: format!("securityContext.readOnlyRootFilesystem: {}", shown(setting)),
            });
        }
    }
}

/// `true`, or the string `"true"` some generators write.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn shown(v: Option<&Value>) -> String {
    match v {
        None => "unset".to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::String(s)) => format!("\"{s}\""),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Null) => "null".to_string(),
        Some(_) => "(not a boolean)".to_string(),
    }
}

/// A parsed image reference: repository name, tag and digest.
struct ImageRef {
    name: String,
    tag: Option<String>,
    digest: Option<String>,
}

fn parse_ref(raw: &str) -> ImageRef {
    let raw = raw.trim();
    let (rest, digest) = match raw.split_once('@') {
        Some((r, d)) => (r, Some(d.to_string())),
        None => (raw, None),
    };
    let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(rest[last_slash + i + 1..].to_string()),
        ),
        None => (rest, None),
    };
    ImageRef {
        name: canonical_name(name),
        tag,
        digest,
    }
}

/// `nginx` → `docker.io/library/nginx`; `index.docker.io/x/y` → `docker.io/x/y`.
fn canonical_name(name: &str) -> String {
    let (host, path) = match name.split_once('/') {
        Some((h, p)) if h.contains('.') || h.contains(':') || h == "localhost" => {
            (h, p.to_string())
        }
        _ => ("docker.io", name.to_string()),
    };
    let host = if host == "index.docker.io" || host == "registry-1.docker.io" {
        "docker.io"
    } else {
        host
    };
    if host == "docker.io" && !path.contains('/') {
        format!("docker.io/library/{path}")
    } else {
        format!("{host}/{path}")
    }
}

fn compatible(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// Whether a manifest's container image is the image named by `wanted`.
pub(crate) fn image_matches(wanted: &str, image: &str) -> bool {
    let w = parse_ref(wanted);
    let i = parse_ref(image);
    if let (Some(wd), Some(id)) = (&w.digest, &i.digest) {
        return wd == id;
    }
    if !compatible(&w.tag, &i.tag) {
        return false;
    }
    if w.name == i.name {
        return true;
    }
    // A bare name hint (`nginx`, `nginx:1.25`) matches that repository on any registry.
    let bare = !wanted
        .split(['@', ':'])
        .next()
        .unwrap_or(wanted)
        .contains('/');
    bare && i.name.rsplit('/').next() == w.name.rsplit('/').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_reference_matching() {
        assert!(image_matches("nginx", "docker.io/library/nginx:1.25"));
        assert!(image_matches("nginx", "cgr.dev/chainguard/nginx:latest"));
        assert!(image_matches("nginx:1.25", "nginx:1.25"));
        assert!(!image_matches("nginx:1.25", "nginx:1.24"));
        assert!(image_matches(
            "cgr.dev/chainguard/nginx",
            "cgr.dev/chainguard/nginx@sha256:ab"
        ));
        assert!(!image_matches(
            "cgr.dev/chainguard/nginx",
            "docker.io/library/nginx"
        ));
        assert!(image_matches("x@sha256:ab", "reg.io/y/z@sha256:ab"));
        assert!(!image_matches(
            "reg.io/a/x@sha256:ab",
            "reg.io/a/x@sha256:cd"
        ));
        assert!(image_matches(
            "localhost:5000/app:v1",
            "localhost:5000/app:v1"
        ));
        assert!(!image_matches("redis", "nginx"));
    }
}
