//! Alpine-format secdb (`security.json` of Wolfi and Chainguard, Alpine's `main.yaml`):
//! `secfixes` maps a fixed version to the ids it fixes; the version `"0"` means not affected.

use serde_json::Value;

use crate::error::VulnError;
use crate::feeds::{as_text, Ctx, FeedKind};
use crate::input::InputFile;
use crate::store::SecdbRow;
use crate::versions::{compare, Scheme};

const KIND: FeedKind = FeedKind::Secdb;

/// The store namespace of a secdb document: `wolfi`, `chainguard` or `alpine:<branch>`.
pub(crate) fn namespace(doc: &Value) -> String {
    let text = |k: &str| {
        doc.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let (reponame, urlprefix, distroversion) =
        (text("reponame"), text("urlprefix"), text("distroversion"));
    if !distroversion.is_empty() || urlprefix.contains("alpinelinux") {
        let branch = distroversion.trim_start_matches('v');
        return if branch.is_empty() {
            "alpine".to_string()
        } else {
            format!("alpine:{branch}")
        };
    }
    if urlprefix.contains("wolfi") || reponame == "os" || reponame == "wolfi" {
        return "wolfi".to_string();
    }
    if reponame == "chainguard" || urlprefix.contains("cgr.dev") || urlprefix.contains("chainguard")
    {
        return "chainguard".to_string();
    }
    if reponame.is_empty() {
        "unknown".to_string()
    } else {
        reponame
    }
}

pub(crate) fn load(file: &InputFile, doc: &Value, ctx: &mut Ctx<'_>) -> Result<(), VulnError> {
    let ns = namespace(doc);
    let source = format!("secdb-{}", ns.replace(':', "-"));
    let Some(packages) = doc.get("packages").and_then(Value::as_array) else {
        ctx.warn(
            &source,
            KIND,
            format!("`{}`: skipped: no `packages` list", file.display),
        );
        return Ok(());
    };
    for (i, entry) in packages.iter().enumerate() {
        let pkg = entry.get("pkg").unwrap_or(entry);
        let Some(name) = pkg
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty())
        else {
            ctx.warn(
                &source,
                KIND,
                format!("`{}`: package entry {i} skipped: no name", file.display),
            );
            continue;
        };
        let Some(secfixes) = pkg.get("secfixes").and_then(Value::as_object) else {
            continue;
        };
        for (version, ids) in secfixes {
            let version = version.trim();
            if version != "0" && compare(Scheme::Apk, version, version).is_none() {
                ctx.warn(&source, KIND, format!("`{}`: package `{name}` secfix version `{version}` skipped: not an apk version", file.display));
                continue;
            }
            let ids: Vec<String> = match ids {
                Value::Array(list) => list.iter().filter_map(as_text).collect(),
                Value::Null => Vec::new(),
                other => as_text(other).into_iter().collect(),
            };
            // Alpine sometimes writes several ids (or an id and a comment) in one string.
            for id in ids
                .iter()
                .flat_map(|s| s.split_whitespace())
                .filter(|s| looks_like_id(s))
            {
                ctx.writer.secdb(&SecdbRow {
                    namespace: ns.clone(),
                    package: name.to_string(),
                    fixed_version: version.to_string(),
                    vuln_id: id.to_string(),
                    source: source.clone(),
                    best_sev: None,
                })?;
                ctx.record(&source, KIND, 1);
            }
        }
    }
    Ok(())
}

fn looks_like_id(s: &str) -> bool {
    let upper = s.to_ascii_uppercase();
    [
        "CVE-", "GHSA-", "GO-", "XSA-", "CGA-", "OSV-", "PYSEC-", "RUSTSEC-",
    ]
    .iter()
    .any(|p| upper.starts_with(p))
}
