//! Errors of the CHP crate: configuration and runtime-manifest parsing only (evaluation cannot fail).

/// Why detectors or a runtime manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ChpError {
    #[error("failed to parse the built-in CHP detectors `data/detectors.yaml`")]
    BuiltinDetectors(#[source] serde_yaml_ng::Error),
    #[error("failed to parse the CHP detectors file given with `--detectors`")]
    UserDetectors(#[source] serde_yaml_ng::Error),
    #[error("empty name in the CHP detectors list `{field}`")]
    EmptyDetectorName { field: &'static str },
    #[error("failed to parse the runtime manifest as YAML (document {document})")]
    ManifestYaml {
        document: usize,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error(
        "the runtime manifest names no containers: {documents} document(s), kinds seen: {kinds} (expected a Kubernetes Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob, or a Compose file with `services`)"
    )]
    NoContainers { documents: usize, kinds: String },
    #[error("no container in the runtime manifest runs image `{image}` (images in the manifest: {found})")]
    ImageNotFound { image: String, found: String },
}
