//! A read-only view shared by the SBOM-shaped renderers: the image and its components, with the
//! attribution when the view comes from a report.

use std::collections::BTreeSet;
use std::str::FromStr;

use onus_attribution::{Attribution, KindDecision};
use onus_inventory::{Component, ImageInfo, Sbom, SourceInfo};
use packageurl::PackageUrl;

use crate::report::Report;
use crate::util;

/// One component and its attribution (from a report).
pub(crate) struct Entry<'a> {
    pub component: &'a Component,
    pub attribution: Option<&'a Attribution>,
}

/// The image and its components, in a stable order.
pub(crate) struct DocView<'a> {
    pub source: &'a SourceInfo,
    pub image: &'a ImageInfo,
    pub kind: Option<&'a KindDecision>,
    pub entries: Vec<Entry<'a>>,
}

impl<'a> DocView<'a> {
    pub fn of_sbom(sbom: &'a Sbom) -> Self {
        let mut entries: Vec<Entry<'a>> = sbom
            .components
            .iter()
            .map(|component| Entry {
                component,
                attribution: None,
            })
            .collect();
        entries.sort_by(|a, b| a.component.sort_key().cmp(&b.component.sort_key()));
        DocView {
            source: &sbom.source,
            image: &sbom.image,
            kind: None,
            entries,
        }
    }

    pub fn of_report(report: &'a Report) -> Self {
        let mut entries: Vec<Entry<'a>> = report
            .components
            .iter()
            .map(|c| Entry {
                component: &c.component,
                attribution: c.attribution.as_ref(),
            })
            .collect();
        entries.sort_by(|a, b| a.component.sort_key().cmp(&b.component.sort_key()));
        DocView {
            source: &report.source,
            image: &report.image.info,
            kind: report.image.kind.as_ref(),
            entries,
        }
    }

    /// The name to give the image: the source location as the user named it.
    pub fn image_name(&self) -> String {
        if self.source.location.is_empty() {
            "image".to_string()
        } else {
            self.source.location.clone()
        }
    }

    /// `(name, value)` facts about the image for property lists.
    pub fn image_properties(&self) -> Vec<(String, String)> {
        let mut props = Vec::new();
        let mut push = |name: &str, value: &str| {
            if !value.is_empty() {
                props.push((format!("onus:{name}"), value.to_string()));
            }
        };
        push("source_scheme", &self.source.scheme);
        push("source_location", &self.source.location);
        if let Some(platform) = &self.source.platform {
            push("platform", platform);
        }
        if let Some(digest) = &self.image.manifest_digest {
            push("manifest_digest", digest);
        }
        if let Some(digest) = &self.image.config_digest {
            push("config_digest", digest);
        }
        if let Some(user) = &self.image.user {
            push("user", user);
        }
        if let Some(kind) = self.kind {
            let value = match kind.value {
                onus_attribution::ImageKind::Application => "application",
                onus_attribution::ImageKind::Base => "base",
            };
            push("kind", value);
            push("kind_reason", &kind.reason);
        }
        for layer in &self.image.layers {
            props.push((
                "onus:layer_diff_id".to_string(),
                format!("{}:{}", layer.index, layer.diff_id),
            ));
        }
        props
    }

    /// `(name, value)` facts about a component for property lists, in a fixed order.
    pub fn component_properties(&self, entry: &Entry<'_>) -> Vec<(String, String)> {
        let c = entry.component;
        let mut props: Vec<(String, String)> = Vec::new();
        let mut push =
            |name: &str, value: &str| props.push((format!("onus:{name}"), value.to_string()));
        push("ecosystem", c.ecosystem.purl_type());
        push("found_by", &c.found_by);
        if let Some(layer) = c.layer {
            push("layer", &layer.to_string());
            if let Some(info) = self.image.layers.iter().find(|l| l.index == layer) {
                push("layer_diff_id", &info.diff_id);
            }
        }
        for location in &c.locations {
            push("location", location);
        }
        if let Some(owner) = &c.owner {
            push(
                "owner",
                if owner.purl.is_empty() {
                    &owner.name
                } else {
                    &owner.purl
                },
            );
        }
        if let Some(origin) = &c.origin {
            push("origin", origin);
        }
        if let Some(origin_version) = &c.origin_version {
            push("origin_version", origin_version);
        }
        if let Some(arch) = &c.arch {
            push("arch", arch);
        }
        for (key, value) in &c.metadata {
            push(&format!("metadata:{key}"), value);
        }
        if let Some(a) = entry.attribution {
            push("tier", util::tier_label(a.tier));
            push("party", util::party_label(a.party));
            push("rule", &a.rule);
            push("reason", &a.reason);
        }
        props
    }
}

/// Make `candidate` unique within `taken` by appending `-2`, `-3`, … (`sep` before the number).
pub(crate) fn unique(taken: &mut BTreeSet<String>, candidate: String, sep: &str) -> String {
    if taken.insert(candidate.clone()) {
        return candidate;
    }
    let mut n = 2usize;
    loop {
        let next = format!("{candidate}{sep}{n}");
        if taken.insert(next.clone()) {
            return next;
        }
        n += 1;
    }
}

/// The namespace of a purl (Maven group, Go module prefix), when it parses and has one.
pub(crate) fn purl_namespace(purl: &str) -> Option<String> {
    let parsed = PackageUrl::from_str(purl).ok()?;
    parsed
        .namespace()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}
