//! Errors of the attribution crate (only rule loading can fail; attribution itself cannot).

/// Why the tier rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AttributionError {
    #[error("failed to parse the built-in tier rules `rules/tiers.yaml`")]
    BuiltinRules(#[source] serde_yaml_ng::Error),
    #[error("failed to parse the tier rules file given with `--rules`")]
    UserRules(#[source] serde_yaml_ng::Error),
    #[error("empty pattern in the {which} tier rules, list `{field}`")]
    EmptyPattern {
        which: &'static str,
        field: &'static str,
    },
}
