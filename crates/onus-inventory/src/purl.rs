//! purl construction per the purl specification, through the `packageurl` crate.

use packageurl::PackageUrl;

/// A purl could not be built from the given parts.
#[derive(Debug, thiserror::Error)]
#[error("cannot build a purl for `{name}@{version}` of type `{purl_type}`: {message}")]
pub struct PurlError {
    pub purl_type: String,
    pub name: String,
    pub version: String,
    pub message: String,
}

/// Build a purl string. `namespace` is e.g. `wolfi`, `debian` or a Maven group; `qualifiers`
/// are emitted in the spec's sorted order by the crate (e.g. `arch`, `distro`).
pub fn make_purl(
    purl_type: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> Result<String, PurlError> {
    let error = |message: String| PurlError {
        purl_type: purl_type.to_string(),
        name: name.to_string(),
        version: version.to_string(),
        message,
    };
    let mut purl = PackageUrl::new(purl_type, name).map_err(|e| error(e.to_string()))?;
    if let Some(namespace) = namespace.filter(|n| !n.is_empty()) {
        purl.with_namespace(namespace);
    }
    if !version.is_empty() {
        purl.with_version(version);
    }
    let mut sorted: Vec<_> = qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
    sorted.sort();
    for (key, value) in sorted {
        purl.add_qualifier(*key, *value)
            .map_err(|e| error(e.to_string()))?;
    }
    Ok(purl.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_distro_and_language_purls() {
        let apk = make_purl(
            "apk",
            Some("wolfi"),
            "busybox",
            "1.36.1-r0",
            &[("distro", "wolfi-20230201"), ("arch", "x86_64")],
        );
        assert_eq!(
            apk.ok().as_deref(),
            Some("pkg:apk/wolfi/busybox@1.36.1-r0?arch=x86_64&distro=wolfi-20230201")
        );
        let maven = make_purl(
            "maven",
            Some("org.apache.commons"),
            "commons-lang3",
            "3.12.0",
            &[],
        );
        assert_eq!(
            maven.ok().as_deref(),
            Some("pkg:maven/org.apache.commons/commons-lang3@3.12.0")
        );
    }
}
