//! The base boundary: how many bottom layers came from the vendor's image, from the strongest
//! evidence available (model.md §2.3 rule 6).
//!
//! Every input yields a candidate; the candidate with the highest confidence wins, ties broken
//! by [`BaseSource`] order (strongest first). Disagreeing candidates become warnings. Without
//! any candidate the boundary is unknown (`layers: None`), never guessed.

use std::collections::{BTreeMap, BTreeSet};

use onus_inventory::{Ecosystem, Sbom};

use crate::index::{short_digest, SbomIndex};
use crate::rules::{first_match, Rules};
use crate::types::{BaseBoundary, BaseSource, Confidence};

/// What the caller knows about the vendor image this one was built from.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum BaseInput {
    /// Nothing given: annotations, `--base-layers` and history are used.
    #[default]
    None,
    /// The base image's rootfs `diff_ids`, bottom first (`--base IMAGE`).
    ImageDiffIds(Vec<String>),
    /// The base image's SBOM (`--base-sbom FILE`): its components are the vendor's.
    Sbom(Sbom),
    /// The vendor's SBOM of this very image (e.g. apko's SPDX attestation): its packages are
    /// the vendor's, anything else was added later.
    VendorSbom(Sbom),
}

/// Components the vendor's base (or vendor) SBOM lists, keyed by (ecosystem, name).
#[derive(Debug, Clone)]
pub(crate) struct Membership {
    names: BTreeSet<(Ecosystem, String)>,
    ecosystems: BTreeSet<Ecosystem>,
    pub source: BaseSource,
}

impl Membership {
    fn from_sbom(sbom: &Sbom, source: BaseSource) -> Self {
        let names = sbom
            .components
            .iter()
            .map(|c| (c.ecosystem, c.name.clone()))
            .collect();
        let ecosystems = sbom.components.iter().map(|c| c.ecosystem).collect();
        Membership {
            names,
            ecosystems,
            source,
        }
    }

    /// `Some(true)` listed, `Some(false)` not listed though its ecosystem is covered, `None`
    /// when the SBOM does not cover that ecosystem at all (an apk-only SBOM says nothing of pip).
    pub fn lists(&self, ecosystem: Ecosystem, name: &str) -> Option<bool> {
        if !self.ecosystems.contains(&ecosystem) {
            return None;
        }
        Some(self.names.contains(&(ecosystem, name.to_string())))
    }

    pub fn label(&self) -> &'static str {
        match self.source {
            BaseSource::VendorSbom => "vendor SBOM",
            _ => "base SBOM",
        }
    }
}

/// The boundary and, when an SBOM was given, which components it lists.
pub(crate) struct BaseDecision {
    pub boundary: BaseBoundary,
    pub membership: Option<Membership>,
}

struct Candidate {
    layers: usize,
    source: BaseSource,
    confidence: Confidence,
    evidence: String,
}

const ANNOTATION_DIGEST: &str = "org.opencontainers.image.base.digest";
const ANNOTATION_NAME: &str = "org.opencontainers.image.base.name";

/// Decide the base boundary of `idx.sbom`.
pub(crate) fn decide(
    idx: &SbomIndex<'_>,
    base: &BaseInput,
    base_layers: Option<usize>,
    rules: &Rules,
    warnings: &mut Vec<String>,
) -> BaseDecision {
    let sbom = idx.sbom;
    let mut layers: Vec<(usize, &str, Option<&str>)> = sbom
        .image
        .layers
        .iter()
        .map(|l| (l.index, l.diff_id.as_str(), l.created_by.as_deref()))
        .collect();
    layers.sort_by_key(|l| l.0);
    let total = layers.len();
    let mut candidates: Vec<Candidate> = Vec::new();
    // Boundaries without a layer count, kept as evidence when nothing better exists.
    let mut fallbacks: Vec<BaseBoundary> = Vec::new();
    let mut membership = None;

    match base {
        BaseInput::None => {}
        BaseInput::ImageDiffIds(ids) => {
            let ours: Vec<&str> = layers.iter().map(|l| l.1).collect();
            match diff_id_prefix(ids, &ours) {
                Ok(n) => candidates.push(Candidate {
                    layers: n,
                    source: BaseSource::BaseImage,
                    confidence: Confidence::High,
                    evidence: format!(
                        "the base image's {n} layer(s) (top {}) are the bottom of this image",
                        ids.last().map(|d| short_digest(d)).unwrap_or_default()
                    ),
                }),
                Err(reason) => {
                    warnings.push(format!("base image ignored: {reason}"));
                    fallbacks.push(BaseBoundary {
                        layers: None,
                        source: BaseSource::BaseImage,
                        confidence: Confidence::Low,
                        evidence: Some(reason),
                    });
                }
            }
        }
        BaseInput::Sbom(base_sbom) | BaseInput::VendorSbom(base_sbom) => {
            let source = match base {
                BaseInput::VendorSbom(_) => BaseSource::VendorSbom,
                _ => BaseSource::BaseSbom,
            };
            let m = Membership::from_sbom(base_sbom, source);
            match from_membership(idx, &m, base_sbom) {
                SbomOutcome::Boundary(c) => {
                    candidates.push(c);
                    membership = Some(m);
                }
                SbomOutcome::NoCount(b) => {
                    fallbacks.push(b);
                    membership = Some(m);
                }
                SbomOutcome::Unrelated(reason) => {
                    warnings.push(format!("{} ignored: {reason}", m.label()));
                    fallbacks.push(BaseBoundary {
                        layers: None,
                        source,
                        confidence: Confidence::Low,
                        evidence: Some(reason),
                    });
                }
            }
        }
    }

    if let Some(n) = base_layers {
        if n <= total {
            candidates.push(Candidate {
                layers: n,
                source: BaseSource::BaseLayersOption,
                confidence: Confidence::High,
                evidence: format!("--base-layers {n}"),
            });
        } else {
            warnings.push(format!(
                "--base-layers {n} ignored: the image has only {total} layer(s)"
            ));
        }
    }

    let run = leading_base_run(&layers, rules);
    let labels = &sbom.image.labels;
    let annotations = &sbom.image.annotations;
    let get = |key: &str| annotations.get(key).or_else(|| labels.get(key));
    let annotated = get(ANNOTATION_NAME).or_else(|| get(ANNOTATION_DIGEST));
    if let Some(name) = annotated {
        let digest = get(ANNOTATION_DIGEST).map(|d| format!(" ({})", short_digest(d)));
        let what = format!("annotation base `{name}`{}", digest.unwrap_or_default());
        match &run {
            Some((n, marker)) => candidates.push(Candidate {
                layers: *n,
                source: BaseSource::Annotation,
                confidence: Confidence::Medium,
                evidence: format!("{what}; history: bottom {n} layer(s) created by `{marker}`"),
            }),
            None => fallbacks.push(BaseBoundary {
                layers: None,
                source: BaseSource::Annotation,
                confidence: Confidence::Low,
                evidence: Some(format!(
                    "{what}; layer count unknown (no base marker in history)"
                )),
            }),
        }
    }
    if let Some((n, marker)) = run {
        let above = layers
            .get(n)
            .and_then(|l| l.2)
            .map(|c| format!("; layer {n} created by `{}`", clip(c)));
        candidates.push(Candidate {
            layers: n,
            source: BaseSource::History,
            confidence: Confidence::Low,
            evidence: format!(
                "history: bottom {n} layer(s) created by `{marker}`{}",
                above.unwrap_or_default()
            ),
        });
    }

    let boundary = choose(candidates, fallbacks, warnings);
    BaseDecision {
        boundary,
        membership,
    }
}

fn choose(
    candidates: Vec<Candidate>,
    fallbacks: Vec<BaseBoundary>,
    warnings: &mut Vec<String>,
) -> BaseBoundary {
    let rank = |s: BaseSource| match s {
        BaseSource::BaseImage => 0,
        BaseSource::BaseSbom => 1,
        BaseSource::Annotation => 2,
        BaseSource::BaseLayersOption => 3,
        BaseSource::VendorSbom => 4,
        BaseSource::History => 5,
        BaseSource::Unknown => 6,
    };
    let best = candidates
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| {
            a.confidence
                .cmp(&b.confidence)
                .then(rank(b.source).cmp(&rank(a.source)))
        })
        .map(|(i, _)| i);
    let Some(best) = best.and_then(|i| candidates.get(i)) else {
        return fallbacks
            .into_iter()
            .max_by_key(|b| b.confidence)
            .unwrap_or(BaseBoundary {
                layers: None,
                source: BaseSource::Unknown,
                confidence: Confidence::Low,
                evidence: None,
            });
    };
    for other in &candidates {
        // Weak history hints that disagree with stronger evidence are expected, not news.
        if other.layers != best.layers && other.source != BaseSource::History {
            warnings.push(format!(
                "base boundary from {} ({} layer(s)) disagrees with {} ({} layer(s)); using the latter",
                source_text(other.source),
                other.layers,
                source_text(best.source),
                best.layers
            ));
        }
    }
    BaseBoundary {
        layers: Some(best.layers),
        source: best.source,
        confidence: best.confidence,
        evidence: Some(best.evidence.clone()),
    }
}

/// The kebab-case name of a source, as serialised.
pub(crate) fn source_text(source: BaseSource) -> &'static str {
    match source {
        BaseSource::BaseImage => "base-image",
        BaseSource::BaseSbom => "base-sbom",
        BaseSource::Annotation => "annotation",
        BaseSource::BaseLayersOption => "base-layers-option",
        BaseSource::VendorSbom => "vendor-sbom",
        BaseSource::History => "history",
        BaseSource::Unknown => "unknown",
    }
}

pub(crate) fn confidence_text(c: Confidence) -> &'static str {
    match c {
        Confidence::Low => "low",
        Confidence::Medium => "medium",
        Confidence::High => "high",
    }
}

/// `Ok(len)` when `base` is a prefix of `ours`, else why not.
fn diff_id_prefix(base: &[String], ours: &[&str]) -> Result<usize, String> {
    if base.is_empty() {
        return Err("the base image has no layers".to_string());
    }
    if base.len() > ours.len() {
        return Err(format!(
            "the base image has {} layers, this image only {}",
            base.len(),
            ours.len()
        ));
    }
    match base.iter().zip(ours).position(|(b, o)| b != o) {
        Some(i) => Err(format!(
            "its layers are not a prefix of this image's: layer {i} is {} here, {} in the base",
            short_digest(ours[i]),
            short_digest(&base[i])
        )),
        None => Ok(base.len()),
    }
}

enum SbomOutcome {
    Boundary(Candidate),
    NoCount(BaseBoundary),
    Unrelated(String),
}

fn from_membership(idx: &SbomIndex<'_>, m: &Membership, base_sbom: &Sbom) -> SbomOutcome {
    let comps = &idx.sbom.components;
    let listed: Vec<_> = comps
        .iter()
        .filter(|c| m.lists(c.ecosystem, &c.name) == Some(true))
        .collect();
    if listed.is_empty() {
        return SbomOutcome::Unrelated(format!(
            "none of its {} component(s) is present in this image",
            base_sbom.components.len()
        ));
    }
    let ours: BTreeSet<(Ecosystem, &str)> = comps
        .iter()
        .map(|c| (c.ecosystem, c.name.as_str()))
        .collect();
    let missing = base_sbom
        .components
        .iter()
        .filter(|c| !ours.contains(&(c.ecosystem, c.name.as_str())))
        .count();
    let label = m.label();
    let Some(top) = listed
        .iter()
        .map(|c| c.layer)
        .collect::<Option<Vec<_>>>()
        .and_then(|l| l.into_iter().max())
    else {
        return SbomOutcome::NoCount(BaseBoundary {
            layers: None,
            source: m.source,
            confidence: Confidence::Medium,
            evidence: Some(format!(
                "{} component(s) listed in the {label}; introducing layers unknown",
                listed.len()
            )),
        });
    };
    let boundary = top + 1;
    // Consistent: nothing the SBOM could have listed (same ecosystem) sits below the boundary
    // without being listed.
    let below: BTreeMap<usize, &str> = comps
        .iter()
        .filter(|c| m.lists(c.ecosystem, &c.name) == Some(false))
        .filter_map(|c| {
            c.layer
                .filter(|&l| l < boundary)
                .map(|l| (l, c.name.as_str()))
        })
        .collect();
    if let Some((layer, name)) = below.iter().next() {
        return SbomOutcome::NoCount(BaseBoundary {
            layers: None,
            source: m.source,
            confidence: Confidence::Medium,
            evidence: Some(format!(
                "{} component(s) listed in the {label} up to layer {top}, but `{name}` in layer {layer} is not listed: boundary inconsistent, membership used",
                listed.len()
            )),
        });
    }
    let confidence = if missing == 0 {
        Confidence::High
    } else {
        Confidence::Medium
    };
    let missing_text = if missing == 0 {
        String::new()
    } else {
        format!(", {missing} listed package(s) absent here")
    };
    SbomOutcome::Boundary(Candidate {
        layers: boundary,
        source: m.source,
        confidence,
        evidence: format!(
            "{} component(s) listed in the {label}, the highest introduced in layer {top} ({}){missing_text}",
            listed.len(),
            idx.short_diff_id(top)
        ),
    })
}

/// The leading run of layers whose `created_by` matches a base-builder marker, with the marker.
fn leading_base_run(
    layers: &[(usize, &str, Option<&str>)],
    rules: &Rules,
) -> Option<(usize, String)> {
    let mut n = 0;
    let mut marker = None;
    for (_, _, created_by) in layers {
        let Some(line) = created_by else { break };
        match first_match(&rules.history.base, line.trim()) {
            Some(m) => {
                marker.get_or_insert_with(|| m.to_string());
                n += 1;
            }
            None => break,
        }
    }
    marker.map(|m| (n, m))
}

fn clip(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
