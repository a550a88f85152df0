//! The shared responsibility model applied to one image: base boundary, image kind, and the
//! tier, party, rule and evidence of every component and finding (model.md §1–2).
//!
//! Architecture invariant: pure functions of the SBOM, findings and options; no I/O. The only
//! fallible step is [`load_rules`] (the rule table is data, `rules/tiers.yaml`).
//!
//! ```
//! # fn demo(sbom: &onus_inventory::Sbom) -> Result<(), onus_attribution::AttributionError> {
//! use onus_attribution::{attribute, load_rules, AttributionInput, BaseInput};
//! let rules = load_rules(None)?;
//! let base = BaseInput::None;
//! let result = attribute(&AttributionInput {
//!     sbom,
//!     findings: &[],
//!     base: &base,
//!     base_layers: Some(1),
//!     kind_override: None,
//!     rules: &rules,
//!     executable: None,
//! });
//! assert_eq!(result.components.len(), sbom.components.len());
//! # Ok(()) }
//! ```

mod base;
mod error;
mod index;
mod kind;
pub mod moves;
mod party;
mod rules;
mod summary;
mod tier;
mod types;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use onus_inventory::Sbom;
use onus_vuln::Finding;
use serde::{Deserialize, Serialize};

pub use base::BaseInput;
pub use error::AttributionError;
pub use kind::{AppInfo, ExecutableLookup};
pub use moves::{Move, MoveInput, MoveKind, MoveRule, StreamStatus};
pub use rules::{
    glob_match, glob_match_path, load_rules, AppTreeRules, HistoryRules, KindRules, Rules,
    SystemRules, ToolchainRules, BUILTIN_RULES,
};
pub use summary::{SeverityCounts, Summary};
pub use types::{
    Attribution, BaseBoundary, BaseSource, Confidence, ImageKind, KindDecision, Party, Tier,
};

use index::SbomIndex;
use tier::{AppScope, Classified, TierContext};

/// Everything attribution needs; all borrowed.
#[derive(Clone, Copy)]
pub struct AttributionInput<'a> {
    pub sbom: &'a Sbom,
    pub findings: &'a [Finding],
    /// What is known about the vendor base image (`--base`, `--base-sbom`).
    pub base: &'a BaseInput,
    /// `--base-layers N`.
    pub base_layers: Option<usize>,
    /// `--kind application|base`.
    pub kind_override: Option<ImageKind>,
    pub rules: &'a Rules,
    /// The real path of an executable regular file in the image, when its file view is at hand
    /// (entrypoint lookup through `PATH` stops only at a file that exists).
    pub executable: Option<kind::ExecutableLookup<'a>>,
}

/// The attribution of one component, aligned with `sbom.components` by `index`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentAttribution {
    /// Index into `sbom.components`.
    pub index: usize,
    pub purl: String,
    #[serde(flatten)]
    pub attribution: Attribution,
}

/// The attribution of one finding, keyed by the finding's identity (purl and id, unique in a
/// match result) so callers look it up instead of aligning vectors by position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingAttribution {
    pub purl: String,
    pub id: String,
    #[serde(flatten)]
    pub attribution: Attribution,
}

impl std::ops::Deref for FindingAttribution {
    type Target = Attribution;

    fn deref(&self) -> &Attribution {
        &self.attribution
    }
}

impl AttributionResult {
    /// The attribution of `finding` (by purl and id).
    pub fn of_finding(&self, finding: &Finding) -> Option<&Attribution> {
        self.findings
            .iter()
            .find(|a| a.purl == finding.purl && a.id == finding.id)
            .map(|a| &a.attribution)
    }
}

/// The result of [`attribute`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionResult {
    pub kind: KindDecision,
    /// The application package, for an Application image whose app was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppInfo>,
    pub base: BaseBoundary,
    /// One entry per SBOM component, in SBOM order.
    pub components: Vec<ComponentAttribution>,
    /// One entry per finding, in the order of the input findings.
    pub findings: Vec<FindingAttribution>,
    pub summary: Summary,
    /// Inputs that were ignored or disagreed (a base image that is not a prefix, a finding that
    /// matches no component, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Attribute every component and finding of one image (model.md §2.3, §2.4).
pub fn attribute(input: &AttributionInput<'_>) -> AttributionResult {
    let mut warnings = Vec::new();
    let idx = SbomIndex::new(input.sbom);
    let decision = base::decide(
        &idx,
        input.base,
        input.base_layers,
        input.rules,
        &mut warnings,
    );
    let boundary = decision.boundary;
    let membership = decision.membership.as_ref();
    let toolchain_hits = tier::toolchains(&idx, input.rules);
    let toolchain: std::collections::BTreeSet<usize> = toolchain_hits.keys().copied().collect();

    let customer = |i: usize| tier::customer_reason(&idx, &boundary, membership, i);
    let vendor_layer = |layer: Option<usize>| match (layer, boundary.layers) {
        (Some(l), Some(b)) => l < b,
        _ => false,
    };
    let kind_ctx = kind::KindContext {
        idx: &idx,
        rules: input.rules,
        toolchain: &toolchain,
        customer: &customer,
        vendor_layer: &vendor_layer,
        executable: input.executable,
    };
    let (kind, app) = kind::decide(&kind_ctx, input.kind_override);
    let app_for_tiers = if kind.value == ImageKind::Application {
        app.as_ref()
    } else {
        None
    };
    let scope = AppScope::new(&idx, input.rules, app_for_tiers, &customer);
    let classified = tier::classify_all(&TierContext {
        idx: &idx,
        boundary: &boundary,
        membership,
        toolchain: &toolchain_hits,
        app: app_for_tiers,
        scope: &scope,
    });

    let components: Vec<ComponentAttribution> = input
        .sbom
        .components
        .iter()
        .zip(&classified)
        .enumerate()
        .map(|(index, (c, cl))| {
            let (party, rule, _) = party::for_component(cl.tier);
            ComponentAttribution {
                index,
                purl: c.purl.clone(),
                attribution: Attribution {
                    tier: cl.tier,
                    party,
                    rule: rule.to_string(),
                    reason: cl.reason.clone(),
                },
            }
        })
        .collect();

    let findings: Vec<FindingAttribution> = input
        .findings
        .iter()
        .map(|f| FindingAttribution {
            purl: f.purl.clone(),
            id: f.id.clone(),
            attribution: attribute_finding(&idx, &classified, f, &mut warnings),
        })
        .collect();
    let summary = summary::build(
        components.iter().map(|c| &c.attribution),
        input.findings,
        findings.iter().map(|f| &f.attribution),
    );
    let mut result = AttributionResult {
        kind,
        app,
        base: boundary,
        components,
        findings,
        summary,
        warnings,
    };
    one_line_everywhere(&mut result);
    result
}

/// Reasons and evidence quote input text (history lines, annotations, package names): keep
/// every one of them on one line whatever the input holds.
fn one_line_everywhere(r: &mut AttributionResult) {
    let fix = |s: &mut String| {
        if s.chars().any(char::is_control) {
            *s = s
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
        }
    };
    fix(&mut r.kind.reason);
    if let Some(e) = r.base.evidence.as_mut() {
        fix(e);
    }
    for c in &mut r.components {
        fix(&mut c.attribution.reason);
    }
    for f in &mut r.findings {
        fix(&mut f.attribution.reason);
    }
    for w in &mut r.warnings {
        fix(w);
    }
    r.warnings.sort();
    r.warnings.dedup();
}

fn attribute_finding(
    idx: &SbomIndex<'_>,
    classified: &[Classified],
    f: &Finding,
    warnings: &mut Vec<String>,
) -> Attribution {
    let by_purl = idx
        .by_purl
        .get(f.purl.as_str())
        .cloned()
        .unwrap_or_default();
    let candidates: Vec<usize> = if by_purl.is_empty() {
        idx.sbom
            .components
            .iter()
            .enumerate()
            .filter(|(_, c)| c.name == f.package && c.version == f.version)
            .map(|(i, _)| i)
            .collect()
    } else {
        by_purl
    };
    // Several copies (one module in two binaries): the most customer-facing tier decides, so
    // nobody's share is hidden; the reason says how many copies there are.
    let chosen = candidates
        .iter()
        .copied()
        .filter_map(|i| classified.get(i).map(|c| (i, c)))
        .max_by_key(|(i, c)| (c.tier, std::cmp::Reverse(*i)));
    let Some((_, cl)) = chosen else {
        warnings.push(format!(
            "finding `{}` on `{}` matches no SBOM component",
            f.id, f.purl
        ));
        return Attribution {
            tier: Tier::Custom,
            party: Party::Customer,
            rule: "R-PAT-7".to_string(),
            reason: format!(
                "purl `{}` matches no SBOM component: customer content assumed (model §2.3 rule 6b); {}",
                f.purl,
                party::advisory_text(f)
            ),
        };
    };
    let (party, rule, why) = party::for_finding(cl.tier, f);
    let copies = if candidates.len() > 1 {
        let tiers: BTreeMap<Tier, usize> = candidates
            .iter()
            .filter_map(|&i| classified.get(i))
            .fold(BTreeMap::new(), |mut m, c| {
                *m.entry(c.tier).or_default() += 1;
                m
            });
        let list: Vec<String> = tiers
            .iter()
            .map(|(t, n)| format!("{n} {}", tier::tier_text(*t)))
            .collect();
        format!("; {} copies ({})", candidates.len(), list.join(", "))
    } else {
        String::new()
    };
    let langlib = if cl.tier == Tier::LangLib {
        format!("; {why}")
    } else {
        String::new()
    };
    Attribution {
        tier: cl.tier,
        party,
        rule: rule.to_string(),
        reason: format!(
            "{}; {}{langlib}{copies}",
            cl.reason,
            party::advisory_text(f)
        ),
    }
}
