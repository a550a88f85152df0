//! Errors of loading an SLA policy and reading a fleet of SBOM/report files.

/// Why a policy or a fleet could not be loaded (one bad fleet file is a warning, not this).
#[derive(Debug, thiserror::Error)]
pub enum SlaError {
    #[error("failed to parse the SLA policy YAML")]
    PolicyYaml {
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("invalid SLA policy value `{value}` for key `{key}`: {reason}")]
    PolicyValue {
        key: String,
        value: String,
        reason: String,
    },
    #[error("failed to read the fleet directory `{path}`")]
    FleetDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
