//! The data-driven tier rule table (`rules/tiers.yaml`), its loading and user extension.

use serde::{Deserialize, Serialize};

use crate::error::AttributionError;
pub use onus_inventory::glob_match;

/// The built-in rule table, documented in the file itself.
pub const BUILTIN_RULES: &str = include_str!("../rules/tiers.yaml");

/// Which packages are toolchains and which stay System.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToolchainRules {
    /// Origin/source package name patterns of compilers, runtimes and build tools.
    pub origins: Vec<String>,
    /// Binary package name patterns that are toolchains whatever their origin.
    pub names: Vec<String>,
    /// Build tools that are Toolchain only next to another toolchain (git in go images).
    pub companions: Vec<String>,
}

/// Packages kept in System even when a toolchain pattern matches their origin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SystemRules {
    pub names: Vec<String>,
}

/// Entrypoint classification for the image kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KindRules {
    pub shells: Vec<String>,
    pub interpreters: Vec<String>,
    pub toolchain_commands: Vec<String>,
    pub wrappers: Vec<String>,
    pub dev_markers: Vec<String>,
}

/// Image history markers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistoryRules {
    /// `created_by` patterns of layers written by a base image builder.
    pub base: Vec<String>,
}

/// What counts as the application's own directory tree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppTreeRules {
    /// Directories shared by many packages, never part of one app's tree.
    pub shared_dirs: Vec<String>,
}

/// The whole rule table: the built-in file merged with an optional user file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    pub toolchain: ToolchainRules,
    pub system: SystemRules,
    pub kind: KindRules,
    pub history: HistoryRules,
    pub app_tree: AppTreeRules,
}

impl Rules {
    /// Append every list of `other` to this table, skipping duplicates.
    fn extend(&mut self, other: Rules) {
        extend(&mut self.toolchain.origins, other.toolchain.origins);
        extend(&mut self.toolchain.names, other.toolchain.names);
        extend(&mut self.toolchain.companions, other.toolchain.companions);
        extend(&mut self.system.names, other.system.names);
        extend(&mut self.kind.shells, other.kind.shells);
        extend(&mut self.kind.interpreters, other.kind.interpreters);
        extend(
            &mut self.kind.toolchain_commands,
            other.kind.toolchain_commands,
        );
        extend(&mut self.kind.wrappers, other.kind.wrappers);
        extend(&mut self.kind.dev_markers, other.kind.dev_markers);
        extend(&mut self.history.base, other.history.base);
        extend(&mut self.app_tree.shared_dirs, other.app_tree.shared_dirs);
    }

    fn validate(&self, which: &'static str) -> Result<(), AttributionError> {
        let lists: [(&'static str, &Vec<String>); 11] = [
            ("toolchain.origins", &self.toolchain.origins),
            ("toolchain.names", &self.toolchain.names),
            ("toolchain.companions", &self.toolchain.companions),
            ("system.names", &self.system.names),
            ("kind.shells", &self.kind.shells),
            ("kind.interpreters", &self.kind.interpreters),
            ("kind.toolchain_commands", &self.kind.toolchain_commands),
            ("kind.wrappers", &self.kind.wrappers),
            ("kind.dev_markers", &self.kind.dev_markers),
            ("history.base", &self.history.base),
            ("app_tree.shared_dirs", &self.app_tree.shared_dirs),
        ];
        for (field, list) in lists {
            if list.iter().any(|p| p.trim().is_empty()) {
                return Err(AttributionError::EmptyPattern { which, field });
            }
        }
        Ok(())
    }
}

fn extend(into: &mut Vec<String>, from: Vec<String>) {
    for item in from {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// Load the built-in rule table and append the lists of a user rules file (`--rules FILE`,
/// given here as its text).
pub fn load_rules(extra: Option<&str>) -> Result<Rules, AttributionError> {
    let mut rules: Rules =
        serde_yaml_ng::from_str(BUILTIN_RULES).map_err(AttributionError::BuiltinRules)?;
    rules.validate("built-in")?;
    if let Some(text) = extra {
        // An empty file (or one holding only comments) adds nothing.
        let user: Option<Rules> =
            serde_yaml_ng::from_str(text).map_err(AttributionError::UserRules)?;
        if let Some(user) = user {
            user.validate("user")?;
            rules.extend(user);
        }
    }
    Ok(rules)
}

/// Match a path against a path glob segment by segment: `*` never crosses a `/`, so
/// `/usr/share/*` matches `/usr/share/java` but not `/usr/share/java/app`.
pub fn glob_match_path(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let t: Vec<&str> = path.split('/').collect();
    p.len() == t.len() && p.iter().zip(&t).all(|(p, t)| glob_match(p, t))
}

/// The first pattern of `patterns` matching `text`.
pub fn first_match<'a>(patterns: &'a [String], text: &str) -> Option<&'a str> {
    patterns
        .iter()
        .map(String::as_str)
        .find(|p| glob_match(p, text))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_strings() {
        assert!(glob_match("openjdk-*", "openjdk-17"));
        assert!(!glob_match("openjdk-*", "openjdk"));
        assert!(glob_match("python3.*", "python3.11"));
        assert!(!glob_match("python3.*", "python3-requests"));
        assert!(glob_match("go", "go"));
        assert!(!glob_match("go", "gob"));
        assert!(glob_match(
            "*ADD file:* in /",
            "/bin/sh -c #(nop) ADD file:abc in /"
        ));
        assert!(glob_match("py?", "py3"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b*c", "aXbXd"));
        assert!(glob_match("a*b*c", "aXbXc"));
        assert!(glob_match_path("/usr/share/*", "/usr/share/java"));
        assert!(!glob_match_path("/usr/share/*", "/usr/share/java/app"));
        assert!(glob_match_path("/", "/"));
        assert!(glob_match_path(
            "/usr/lib/python*/site-packages",
            "/usr/lib/python3.12/site-packages"
        ));
    }

    #[test]
    fn pathological_glob_is_fast() {
        let text = "a".repeat(5000);
        let pattern = format!("{}b", "*a".repeat(50));
        assert!(!glob_match(&pattern, &text));
    }

    #[test]
    fn builtin_rules_load() {
        let rules = load_rules(None).unwrap();
        assert!(rules.toolchain.origins.iter().any(|o| o == "openjdk-*"));
        assert!(rules.kind.shells.iter().any(|s| s == "sh"));
        assert!(!rules.app_tree.shared_dirs.is_empty());
    }

    #[test]
    fn user_rules_append() {
        let rules = load_rules(Some("toolchain:\n  origins: [zig, go]\n")).unwrap();
        assert!(rules.toolchain.origins.iter().any(|o| o == "zig"));
        assert_eq!(
            rules
                .toolchain
                .origins
                .iter()
                .filter(|o| *o == "go")
                .count(),
            1
        );
        assert!(load_rules(Some("# nothing\n")).is_ok());
    }

    #[test]
    fn bad_user_rules_are_clear_errors() {
        let err = load_rules(Some("toolchian:\n  origins: [zig]\n")).unwrap_err();
        assert!(err.to_string().contains("--rules"), "{err}");
        let err = load_rules(Some("toolchain:\n  origins: ['']\n")).unwrap_err();
        assert!(err.to_string().contains("toolchain.origins"), "{err}");
        assert!(load_rules(Some("[not: a, map")).is_err());
    }
}
