//! The detector lists (`data/detectors.yaml`) and the CVE policy: loading and user extension.

use serde::{Deserialize, Serialize};

use crate::error::ChpError;
pub(crate) use onus_inventory::glob_match;

/// The built-in detector table, documented in the file itself.
pub const BUILTIN_DETECTORS: &str = include_str!("../data/detectors.yaml");

/// SHELL detector.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShellDetector {
    pub names: Vec<String>,
    /// The file listing login shells (`/etc/shells`); its content must be captured to be used.
    pub shells_file: Option<String>,
}

/// SYS detector.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SysDetector {
    pub names: Vec<String>,
}

/// NET detector.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetDetector {
    pub clients: Vec<String>,
    pub package_managers: Vec<String>,
}

/// Multi-call binaries (busybox, toybox).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MulticallDetector {
    pub names: Vec<String>,
    /// Helpers that give a multi-call binary network reach (`ssl_client`).
    pub net_helpers: Vec<String>,
}

/// When the CVE dimension reads "low to 0" (model.md §3.3 CVE_OK).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CvePolicy {
    pub max_past_sla: usize,
    pub max_unexplained: usize,
    pub max_eol_or_stale: usize,
}

/// A user file: every key optional; lists append, `cves` values replace.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct UserDetectors {
    search_dirs: Vec<String>,
    shell: ShellDetector,
    sys: SysDetector,
    net: NetDetector,
    multicall: MulticallDetector,
    cves: Option<UserCvePolicy>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct UserCvePolicy {
    max_past_sla: Option<usize>,
    max_unexplained: Option<usize>,
    max_eol_or_stale: Option<usize>,
}

/// Everything the CHP evaluation is configured by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Detectors {
    /// Directories whose entries are checked against the name lists.
    pub search_dirs: Vec<String>,
    pub shell: ShellDetector,
    pub sys: SysDetector,
    pub net: NetDetector,
    pub multicall: MulticallDetector,
    pub cves: CvePolicy,
}

/// Load the built-in detectors and apply a user file (`--detectors FILE`, given as its text).
pub fn load_detectors(extra: Option<&str>) -> Result<Detectors, ChpError> {
    let mut d: Detectors =
        serde_yaml_ng::from_str(BUILTIN_DETECTORS).map_err(ChpError::BuiltinDetectors)?;
    if let Some(text) = extra {
        let user: Option<UserDetectors> =
            serde_yaml_ng::from_str(text).map_err(ChpError::UserDetectors)?;
        if let Some(u) = user {
            extend(&mut d.search_dirs, u.search_dirs);
            extend(&mut d.shell.names, u.shell.names);
            if u.shell.shells_file.is_some() {
                d.shell.shells_file = u.shell.shells_file;
            }
            extend(&mut d.sys.names, u.sys.names);
            extend(&mut d.net.clients, u.net.clients);
            extend(&mut d.net.package_managers, u.net.package_managers);
            extend(&mut d.multicall.names, u.multicall.names);
            extend(&mut d.multicall.net_helpers, u.multicall.net_helpers);
            if let Some(c) = u.cves {
                d.cves.max_past_sla = c.max_past_sla.unwrap_or(d.cves.max_past_sla);
                d.cves.max_unexplained = c.max_unexplained.unwrap_or(d.cves.max_unexplained);
                d.cves.max_eol_or_stale = c.max_eol_or_stale.unwrap_or(d.cves.max_eol_or_stale);
            }
        }
    }
    let empty = [
        ("search_dirs", &d.search_dirs),
        ("shell.names", &d.shell.names),
        ("sys.names", &d.sys.names),
        ("net.clients", &d.net.clients),
        ("net.package_managers", &d.net.package_managers),
        ("multicall.names", &d.multicall.names),
        ("multicall.net_helpers", &d.multicall.net_helpers),
    ]
    .into_iter()
    .find(|(_, list)| list.iter().any(|n| n.trim().is_empty()));
    if let Some((field, _)) = empty {
        return Err(ChpError::EmptyDetectorName { field });
    }
    Ok(d)
}

fn extend(into: &mut Vec<String>, from: Vec<String>) {
    for item in from {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// True when any pattern in `patterns` matches `name`.
pub(crate) fn any_match(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, name))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn builtin_detectors_load() {
        let d = load_detectors(None).unwrap();
        assert!(d.shell.names.iter().any(|n| n == "bash"));
        assert!(d.net.package_managers.iter().any(|n| n == "apk"));
        assert_eq!(d.shell.shells_file.as_deref(), Some("/etc/shells"));
        assert_eq!(d.cves, CvePolicy::default());
    }

    #[test]
    fn user_detectors_extend_and_override() {
        let d =
            load_detectors(Some("sys:\n  names: [htop]\ncves:\n  max_unexplained: 3\n")).unwrap();
        assert!(d.sys.names.iter().any(|n| n == "htop"));
        assert!(d.sys.names.iter().any(|n| n == "ls"));
        assert_eq!(d.cves.max_unexplained, 3);
        assert_eq!(d.cves.max_past_sla, 0);
        assert!(load_detectors(Some("")).is_ok());
    }

    #[test]
    fn bad_user_detectors_are_clear_errors() {
        let err = load_detectors(Some("shel:\n  names: [x]\n")).unwrap_err();
        assert!(err.to_string().contains("--detectors"), "{err}");
        let err = load_detectors(Some("sys:\n  names: ['']\n")).unwrap_err();
        assert!(err.to_string().contains("sys.names"), "{err}");
    }

    #[test]
    fn globs() {
        assert!(glob_match("pip3.*", "pip3.11"));
        assert!(!glob_match("pip3.*", "pip3"));
        assert!(glob_match("sh", "sh"));
        assert!(!glob_match("sh", "bash"));
    }
}
