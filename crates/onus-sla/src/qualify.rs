//! Qualifying-patch evaluation over a fleet (model §5.2): guarded, independently fixable, scale
//! (Major CVE Event above the policy share), upstream fix or rebuild available.

use std::collections::BTreeSet;

use onus_advisory::{Advisory, EventKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::policy::Policy;
use crate::stats::round2;

/// The SBOM schema a fleet file may carry.
pub const SBOM_SCHEMA: &str = onus_inventory::SBOM_SCHEMA;
/// The report schema a fleet file may carry.
pub const REPORT_SCHEMA: &str = "onus.report/v1";

/// One image of the fleet: just what the SLA needs from an SBOM or a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetImage {
    /// The file it was read from (name inside the fleet directory).
    pub file: String,
    /// `onus.sbom/v1` or `onus.report/v1`.
    pub schema: String,
    /// `source.location` (the image as the user named it); the file name when absent.
    pub location: String,
    /// Every component name and origin in the image, sorted.
    pub packages: BTreeSet<String>,
}

impl FleetImage {
    /// Read an image from an onus SBOM or report JSON value (both have `source` and
    /// `components`); `Err` names what is missing.
    pub fn from_json(file: &str, value: &Value) -> Result<FleetImage, String> {
        let schema = value
            .get("schema")
            .and_then(Value::as_str)
            .ok_or_else(|| "no `schema` field".to_string())?;
        if schema != SBOM_SCHEMA && schema != REPORT_SCHEMA {
            return Err(format!(
                "schema `{schema}` is neither `{SBOM_SCHEMA}` nor `{REPORT_SCHEMA}`"
            ));
        }
        let components = value
            .get("components")
            .and_then(Value::as_array)
            .ok_or_else(|| "no `components` array".to_string())?;
        let mut packages = BTreeSet::new();
        for c in components {
            for key in ["name", "origin"] {
                if let Some(s) = c.get(key).and_then(Value::as_str) {
                    if !s.is_empty() {
                        packages.insert(s.to_string());
                    }
                }
            }
        }
        let location = value
            .get("source")
            .and_then(|s| s.get("location"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or(file)
            .to_string();
        Ok(FleetImage {
            file: file.to_string(),
            schema: schema.to_string(),
            location,
            packages,
        })
    }

    /// True when a component's name or origin is `package`.
    pub fn contains(&self, package: &str) -> bool {
        self.packages.contains(package)
    }
}

/// A fleet of images, sorted by file name, with the files that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Fleet {
    pub images: Vec<FleetImage>,
    /// One line per skipped file, naming it and why.
    pub warnings: Vec<String>,
}

impl Fleet {
    /// The guarded images (all of them when `guarded` is `None`).
    pub fn guarded<'a>(
        &'a self,
        guarded: Option<&'a dyn Fn(&FleetImage) -> bool>,
    ) -> impl Iterator<Item = &'a FleetImage> + 'a {
        self.images
            .iter()
            .filter(move |img| guarded.is_none_or(|g| g(img)))
    }
}

/// One criterion of the qualifying patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub met: bool,
    pub why: String,
}

/// The qualifying-patch evaluation of one (package, advisory) over a fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualifyingPatch {
    pub advisory: String,
    pub package: String,
    /// All criteria met.
    pub qualifies: bool,
    /// More than the policy share of guarded images contain the package: outside the SLA.
    pub major_cve_event: bool,
    pub images: usize,
    pub guarded_images: usize,
    /// Guarded images containing the package.
    pub affected_images: usize,
    /// `affected_images / guarded_images` in percent, 2 decimals (0 when no guarded image).
    pub share_percent: f64,
    /// 1. A CVE identified affecting a guarded image.
    pub guarded: Criterion,
    /// 2. Independently fixable: a fixed version exists and the state is not pending upstream.
    pub independently_fixable: Criterion,
    /// 3. Scale: not a Major CVE Event.
    pub scale: Criterion,
    /// 4. An upstream fix or a rebuild is available.
    pub fix_available: Criterion,
    /// Locations of the guarded images containing the package, sorted.
    pub affected: Vec<String>,
    pub why: String,
}

impl QualifyingPatch {
    /// The failed criteria, joined; `None` when the patch qualifies.
    pub fn failure(&self) -> Option<String> {
        let failed: Vec<&str> = [
            &self.guarded,
            &self.independently_fixable,
            &self.scale,
            &self.fix_available,
        ]
        .into_iter()
        .filter(|c| !c.met)
        .map(|c| c.why.as_str())
        .collect();
        if failed.is_empty() {
            None
        } else {
            Some(failed.join("; "))
        }
    }
}

/// Evaluate the qualifying-patch criteria (model §5.2) for `advisory` on `package` over `fleet`.
///
/// `guarded` tells whether an image is guarded (not EOL); `None` treats every image as guarded.
/// An image contains the package when a component's name or origin equals `package`.
pub fn qualifying_patch(
    advisory: &Advisory,
    package: &str,
    fleet: &Fleet,
    guarded: Option<&dyn Fn(&FleetImage) -> bool>,
    policy: &Policy,
) -> QualifyingPatch {
    let guarded_images: Vec<&FleetImage> = fleet.guarded(guarded).collect();
    let mut affected: Vec<String> = guarded_images
        .iter()
        .filter(|img| img.contains(package))
        .map(|img| img.location.clone())
        .collect();
    affected.sort();
    let n_guarded = guarded_images.len();
    let n_affected = affected.len();
    let share_percent = if n_guarded == 0 {
        0.0
    } else {
        round2(n_affected as f64 * 100.0 / n_guarded as f64)
    };

    let guarded_c = if n_affected > 0 {
        Criterion {
            met: true,
            why: format!("`{package}` is in {n_affected} of {n_guarded} guarded images"),
        }
    } else {
        Criterion {
            met: false,
            why: format!("`{package}` is in no guarded image ({n_guarded} guarded)"),
        }
    };

    let current = advisory.current_event();
    let pending = matches!(
        current.map(|e| &e.kind),
        Some(EventKind::PendingUpstreamFix { .. })
    );
    let fixed_version = advisory
        .sorted_events()
        .into_iter()
        .filter_map(|e| e.kind.fixed_version())
        .find(|v| !v.is_empty())
        .map(str::to_string);
    let independently_fixable = match (&fixed_version, pending) {
        (_, true) => Criterion {
            met: false,
            why: "current state is pending-upstream-fix: not independently fixable".to_string(),
        },
        (Some(v), false) => Criterion {
            met: true,
            why: format!("fixed version `{v}` exists"),
        },
        (None, false) => Criterion {
            met: false,
            why: "no fixed version recorded".to_string(),
        },
    };

    let major = policy.is_major_event(n_affected, n_guarded);
    let threshold = round2(policy.major_event_share * 100.0);
    let scale = if n_guarded == 0 {
        Criterion {
            met: false,
            why: "no guarded images in the fleet: scale unknown".to_string(),
        }
    } else if major {
        Criterion {
            met: false,
            why: format!(
                "Major CVE Event: {share_percent} % of guarded images ({n_affected}/{n_guarded}) exceeds {threshold} %"
            ),
        }
    } else {
        Criterion {
            met: true,
            why: format!(
                "{share_percent} % of guarded images ({n_affected}/{n_guarded}), not above {threshold} %"
            ),
        }
    };

    let fix_available = match &fixed_version {
        Some(v) => Criterion {
            met: true,
            why: format!("a fix was released as `{v}` (upstream release or rebuild)"),
        },
        None => Criterion {
            met: false,
            why: "no upstream fix or rebuild recorded".to_string(),
        },
    };

    let qualifies = guarded_c.met && independently_fixable.met && scale.met && fix_available.met;
    let mut patch = QualifyingPatch {
        advisory: advisory.id.clone(),
        package: package.to_string(),
        qualifies,
        major_cve_event: major,
        images: fleet.images.len(),
        guarded_images: n_guarded,
        affected_images: n_affected,
        share_percent,
        guarded: guarded_c,
        independently_fixable,
        scale,
        fix_available,
        affected,
        why: String::new(),
    };
    patch.why = match patch.failure() {
        None => "qualifying patch: every criterion is met".to_string(),
        Some(f) => format!("not a qualifying patch: {f}"),
    };
    patch
}
