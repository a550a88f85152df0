//! apk version ordering used by `resolved_at_version` and validation, delegated to onus-version.

use std::cmp::Ordering;

use onus_version::{apk::ApkVersion, Scheme};

/// Compare two apk versions; `None` when either is not a valid apk version.
pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    onus_version::compare(Scheme::Apk, a, b).ok()
}

/// True when `v` is a valid apk version carrying a package release (`-rN`), as a
/// `fixed-version` must.
pub(crate) fn has_revision(v: &str) -> bool {
    ApkVersion::parse(v).is_ok_and(|p| p.release().is_some_and(|r| !r.is_empty()))
}

/// True when `v` is a valid apk version.
pub(crate) fn is_valid(v: &str) -> bool {
    onus_version::validate(Scheme::Apk, v).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_and_revisions() {
        assert_eq!(compare("1.2.3-r0", "1.2.3-r1"), Some(Ordering::Less));
        assert_eq!(compare("1.2.10-r0", "1.2.9-r9"), Some(Ordering::Greater));
        assert_eq!(compare("1.2.3_rc1-r0", "1.2.3-r0"), Some(Ordering::Less));
        assert_eq!(compare("1.0-r0", "1.0-r0"), Some(Ordering::Equal));
        assert_eq!(compare("not a version", "1.0-r0"), None);
        assert!(has_revision("1.2.3-r4"));
        assert!(!has_revision("1.2.3"));
        assert!(!has_revision("1.2.3-r9-r9"));
        assert!(is_valid("0_git20240101-r0"));
        assert!(!is_valid("1.2.3-rx"));
    }
}
