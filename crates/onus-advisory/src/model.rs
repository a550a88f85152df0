//! The advisory document model (schema 2) and the state rules of model §4.3.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The latest schema version this crate knows (`SchemaVersion` in the Go library).
pub const SCHEMA_VERSION: &str = "2.0.2";

/// One `<package>.advisories.yaml` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// As written (`2`, `2.0.1`, `2.0.2`, or a newer 2.x).
    #[serde(rename = "schema-version")]
    pub schema_version: String,
    pub package: Package,
    pub advisories: Vec<Advisory>,
}

/// The `package` block: the origin package the advisories are about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    pub name: String,
}

/// One advisory (one vulnerability on one package) with its event history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advisory {
    /// The CGA id (`CGA-xxxx-xxxx-xxxx`).
    pub id: String,
    /// CVE / GHSA / GO ids of the same vulnerability, in file order.
    pub aliases: Vec<String>,
    /// Events in file order (not necessarily timestamp order: see [`Advisory::current_event`]).
    pub events: Vec<Event>,
}

/// A timestamped event of an advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub timestamp: DateTime<Utc>,
    pub kind: EventKind,
}

/// The event type with its type-specific data.
///
/// Fields that the schema requires are still `Option` here: a missing value is a validation
/// diagnostic (see `validate`), not a parse failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `detection` (Console: Under investigation).
    Detection(Detection),
    /// `true-positive-determination` (Affected).
    TruePositiveDetermination { note: Option<String> },
    /// `fixed` (Fixed): fixed as of `fixed-version`.
    Fixed { fixed_version: Option<String> },
    /// `false-positive-determination` (Not affected).
    FalsePositiveDetermination {
        fp_type: FalsePositiveType,
        note: Option<String>,
    },
    /// `fix-not-planned` (Fix not planned).
    FixNotPlanned { note: Option<String> },
    /// `pending-upstream-fix` (Pending upstream fix).
    PendingUpstreamFix { note: Option<String> },
    /// `analysis-not-planned` (in the schema, not in the docs or the data).
    AnalysisNotPlanned { note: Option<String> },
    /// An event type this crate does not know; its data is ignored (forward compatibility).
    Other(String),
}

/// How a `detection` event was produced (`data.type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// `manual`: no data.
    Manual,
    /// `nvdapi`: a CPE search against the NVD API.
    Nvdapi(NvdApiDetection),
    /// `scan/v1`: a scanner match on a component of a built package.
    ScanV1(ScanV1Detection),
    /// Unknown detection type (empty when `data.type` is missing).
    Other(String),
}

/// `nvdapi` detection data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NvdApiDetection {
    #[serde(rename = "cpeSearched")]
    pub cpe_searched: String,
    #[serde(rename = "cpeFound")]
    pub cpe_found: String,
}

/// `scan/v1` detection data. Missing fields are empty strings (the validator flags them).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ScanV1Detection {
    #[serde(rename = "subpackageName")]
    pub subpackage_name: String,
    #[serde(rename = "componentID")]
    pub component_id: String,
    #[serde(rename = "componentName")]
    pub component_name: String,
    #[serde(rename = "componentVersion")]
    pub component_version: String,
    /// Syft/grype package type: `apk`, `go-module`, `java-archive`, `python`, …
    #[serde(rename = "componentType")]
    pub component_type: String,
    #[serde(rename = "componentLocation")]
    pub component_location: String,
    pub scanner: String,
}

/// The `false-positive-determination` subtype (`data.type`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FalsePositiveType {
    VulnerabilityRecordAnalysisContested,
    ComponentVulnerabilityMismatch,
    VulnerableCodeVersionNotUsed,
    VulnerableCodeNotIncludedInPackage,
    VulnerableCodeNotInExecutionPath,
    VulnerableCodeCannotBeControlledByAdversary,
    InlineMitigationsExist,
    /// Unknown subtype (empty when `data.type` is missing).
    Other(String),
}

impl FalsePositiveType {
    /// Every known subtype, in schema order.
    pub const KNOWN: [FalsePositiveType; 7] = [
        FalsePositiveType::VulnerabilityRecordAnalysisContested,
        FalsePositiveType::ComponentVulnerabilityMismatch,
        FalsePositiveType::VulnerableCodeVersionNotUsed,
        FalsePositiveType::VulnerableCodeNotIncludedInPackage,
        FalsePositiveType::VulnerableCodeNotInExecutionPath,
        FalsePositiveType::VulnerableCodeCannotBeControlledByAdversary,
        FalsePositiveType::InlineMitigationsExist,
    ];

    /// Parse the schema string; unknown strings become [`FalsePositiveType::Other`].
    pub fn parse(s: &str) -> Self {
        match s {
            "vulnerability-record-analysis-contested" => Self::VulnerabilityRecordAnalysisContested,
            "component-vulnerability-mismatch" => Self::ComponentVulnerabilityMismatch,
            "vulnerable-code-version-not-used" => Self::VulnerableCodeVersionNotUsed,
            "vulnerable-code-not-included-in-package" => Self::VulnerableCodeNotIncludedInPackage,
            "vulnerable-code-not-in-execution-path" => Self::VulnerableCodeNotInExecutionPath,
            "vulnerable-code-cannot-be-controlled-by-adversary" => {
                Self::VulnerableCodeCannotBeControlledByAdversary
            }
            "inline-mitigations-exist" => Self::InlineMitigationsExist,
            other => Self::Other(other.to_string()),
        }
    }

    /// The schema string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::VulnerabilityRecordAnalysisContested => "vulnerability-record-analysis-contested",
            Self::ComponentVulnerabilityMismatch => "component-vulnerability-mismatch",
            Self::VulnerableCodeVersionNotUsed => "vulnerable-code-version-not-used",
            Self::VulnerableCodeNotIncludedInPackage => "vulnerable-code-not-included-in-package",
            Self::VulnerableCodeNotInExecutionPath => "vulnerable-code-not-in-execution-path",
            Self::VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable-code-cannot-be-controlled-by-adversary"
            }
            Self::InlineMitigationsExist => "inline-mitigations-exist",
            Self::Other(s) => s,
        }
    }

    /// The OpenVEX justification this subtype maps to (model §4.1); `None` for unknown subtypes.
    pub fn openvex_justification(&self) -> Option<&'static str> {
        match self {
            Self::VulnerabilityRecordAnalysisContested
            | Self::VulnerableCodeVersionNotUsed
            | Self::VulnerableCodeNotIncludedInPackage => Some("vulnerable_code_not_present"),
            Self::ComponentVulnerabilityMismatch => Some("component_not_present"),
            Self::VulnerableCodeNotInExecutionPath => Some("vulnerable_code_not_in_execute_path"),
            Self::VulnerableCodeCannotBeControlledByAdversary => {
                Some("vulnerable_code_cannot_be_controlled_by_adversary")
            }
            Self::InlineMitigationsExist => Some("inline_mitigations_already_exist"),
            Self::Other(_) => None,
        }
    }
}

impl Detection {
    /// The schema string of the detection type.
    pub fn type_name(&self) -> &str {
        match self {
            Detection::Manual => "manual",
            Detection::Nvdapi(_) => "nvdapi",
            Detection::ScanV1(_) => "scan/v1",
            Detection::Other(s) => s,
        }
    }
}

impl EventKind {
    /// The schema string of the event type (`detection`, `fixed`, …, or the unknown string).
    pub fn type_name(&self) -> &str {
        match self {
            EventKind::Detection(_) => "detection",
            EventKind::TruePositiveDetermination { .. } => "true-positive-determination",
            EventKind::Fixed { .. } => "fixed",
            EventKind::FalsePositiveDetermination { .. } => "false-positive-determination",
            EventKind::FixNotPlanned { .. } => "fix-not-planned",
            EventKind::PendingUpstreamFix { .. } => "pending-upstream-fix",
            EventKind::AnalysisNotPlanned { .. } => "analysis-not-planned",
            EventKind::Other(s) => s,
        }
    }

    /// The label the Chainguard Console shows for this state.
    pub fn console_label(&self) -> &str {
        match self {
            EventKind::Detection(_) => "Under investigation",
            EventKind::TruePositiveDetermination { .. } => "Affected",
            EventKind::Fixed { .. } => "Fixed",
            EventKind::FalsePositiveDetermination { .. } => "Not affected",
            EventKind::FixNotPlanned { .. } => "Fix not planned",
            EventKind::PendingUpstreamFix { .. } => "Pending upstream fix",
            EventKind::AnalysisNotPlanned { .. } => "Analysis not planned",
            EventKind::Other(s) => s,
        }
    }

    /// The free-text note, for the types that carry one.
    pub fn note(&self) -> Option<&str> {
        match self {
            EventKind::TruePositiveDetermination { note }
            | EventKind::FalsePositiveDetermination { note, .. }
            | EventKind::FixNotPlanned { note }
            | EventKind::PendingUpstreamFix { note }
            | EventKind::AnalysisNotPlanned { note } => note.as_deref(),
            _ => None,
        }
    }

    /// The `fixed-version` of a `fixed` event.
    pub fn fixed_version(&self) -> Option<&str> {
        match self {
            EventKind::Fixed { fixed_version } => fixed_version.as_deref(),
            _ => None,
        }
    }

    /// True for `detection`.
    pub fn is_detection(&self) -> bool {
        matches!(self, EventKind::Detection(_))
    }

    /// True for `fixed`.
    pub fn is_fixed(&self) -> bool {
        matches!(self, EventKind::Fixed { .. })
    }
}

impl Event {
    /// The schema string of the event type.
    pub fn type_name(&self) -> &str {
        self.kind.type_name()
    }

    /// The `scan/v1` data of a detection event.
    pub fn scan_v1(&self) -> Option<&ScanV1Detection> {
        match &self.kind {
            EventKind::Detection(Detection::ScanV1(scan)) => Some(scan),
            _ => None,
        }
    }
}

impl Advisory {
    /// True when `id` is this advisory's id or one of its aliases.
    pub fn describes(&self, id: &str) -> bool {
        self.id == id || self.aliases.iter().any(|a| a == id)
    }

    /// Events sorted by timestamp, oldest first; equal timestamps keep file order.
    pub fn sorted_events(&self) -> Vec<&Event> {
        let mut sorted: Vec<&Event> = self.events.iter().collect();
        // A stable sort: ties keep file order, so the last of a tie is the later one in the file.
        sorted.sort_by_key(|e| e.timestamp);
        sorted
    }

    /// The current event (model §4.3): the latest timestamp; on a tie the later one in the file.
    pub fn current_event(&self) -> Option<&Event> {
        self.current_index().and_then(|i| self.events.get(i))
    }

    /// The index (in file order) of [`Advisory::current_event`].
    pub fn current_index(&self) -> Option<usize> {
        self.events
            .iter()
            .enumerate()
            .max_by(|(ia, a), (ib, b)| a.timestamp.cmp(&b.timestamp).then(ia.cmp(ib)))
            .map(|(i, _)| i)
    }

    /// The first `detection` event by timestamp (on a tie, the earlier one in the file).
    pub fn first_detection(&self) -> Option<&Event> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind.is_detection())
            .min_by(|(ia, a), (ib, b)| a.timestamp.cmp(&b.timestamp).then(ia.cmp(ib)))
            .map(|(_, e)| e)
    }

    /// The first `fixed` event by timestamp (on a tie, the earlier one in the file).
    pub fn first_fixed(&self) -> Option<&Event> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind.is_fixed())
            .min_by(|(ia, a), (ib, b)| a.timestamp.cmp(&b.timestamp).then(ia.cmp(ib)))
            .map(|(_, e)| e)
    }

    /// `Resolved()`: the current type is not `detection` or `true-positive-determination`.
    ///
    /// Like the Go library, an unknown current type counts as resolved; no events ⇒ false.
    pub fn resolved(&self) -> bool {
        match self.current_event() {
            None => false,
            Some(e) => !matches!(
                e.kind,
                EventKind::Detection(_) | EventKind::TruePositiveDetermination { .. }
            ),
        }
    }

    /// `ResolvedAtVersion(v, type)` (model §4.3).
    ///
    /// FP, fix-not-planned, analysis-not-planned and pending-upstream-fix ⇒ true; `fixed` ⇒ true
    /// iff `component_type` is `apk` and `installed ≥ fixed-version` in apk ordering (an
    /// unparsable version on either side ⇒ false); anything else ⇒ false.
    pub fn resolved_at_version(&self, installed: &str, component_type: &str) -> bool {
        let Some(current) = self.current_event() else {
            return false;
        };
        match &current.kind {
            EventKind::FalsePositiveDetermination { .. }
            | EventKind::FixNotPlanned { .. }
            | EventKind::AnalysisNotPlanned { .. }
            | EventKind::PendingUpstreamFix { .. } => true,
            EventKind::Fixed { fixed_version } => {
                component_type == "apk"
                    && fixed_version
                        .as_deref()
                        .and_then(|fixed| crate::apk::compare(installed, fixed))
                        .is_some_and(|ord| ord != Ordering::Less)
            }
            _ => false,
        }
    }

    /// `ConcludedAtVersion`: as [`Advisory::resolved_at_version`] but `pending-upstream-fix` ⇒ false.
    pub fn concluded_at_version(&self, installed: &str, component_type: &str) -> bool {
        match self.current_event() {
            None => false,
            Some(Event {
                kind: EventKind::PendingUpstreamFix { .. },
                ..
            }) => false,
            Some(_) => self.resolved_at_version(installed, component_type),
        }
    }
}

impl Document {
    /// True when the schema version is a 2.x newer than [`SCHEMA_VERSION`] (accepted, flagged).
    pub fn is_future_schema(&self) -> bool {
        crate::parse::schema_is_newer(&self.schema_version)
    }

    /// The advisory whose id or an alias is `id` (`GetByVulnerability`).
    pub fn get_by_vulnerability(&self, id: &str) -> Option<&Advisory> {
        self.advisories.iter().find(|a| a.describes(id))
    }

    /// The first advisory whose id or an alias is any of `ids` (`GetByAnyVulnerability`).
    pub fn get_by_any_vulnerability<S: AsRef<str>>(&self, ids: &[S]) -> Option<&Advisory> {
        self.advisories
            .iter()
            .find(|a| ids.iter().any(|id| a.describes(id.as_ref())))
    }
}

/// Serialised in the schema's own shape: `{timestamp, type, data}`.
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(
            "timestamp",
            &self
                .timestamp
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        )?;
        map.serialize_entry("type", self.kind.type_name())?;
        match &self.kind {
            EventKind::Detection(d) => map.serialize_entry("data", &DetectionData(d))?,
            EventKind::Fixed { fixed_version } => map.serialize_entry(
                "data",
                &FixedData {
                    fixed_version: fixed_version.as_deref(),
                },
            )?,
            EventKind::FalsePositiveDetermination { fp_type, note } => map.serialize_entry(
                "data",
                &FpData {
                    fp_type: fp_type.as_str(),
                    note: note.as_deref(),
                },
            )?,
            EventKind::TruePositiveDetermination { note }
            | EventKind::FixNotPlanned { note }
            | EventKind::PendingUpstreamFix { note }
            | EventKind::AnalysisNotPlanned { note } => {
                if note.is_some() {
                    map.serialize_entry(
                        "data",
                        &NoteData {
                            note: note.as_deref(),
                        },
                    )?
                }
            }
            EventKind::Other(_) => {}
        }
        map.end()
    }
}

#[derive(Serialize)]
struct FixedData<'a> {
    #[serde(rename = "fixed-version", skip_serializing_if = "Option::is_none")]
    fixed_version: Option<&'a str>,
}

#[derive(Serialize)]
struct FpData<'a> {
    #[serde(rename = "type")]
    fp_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct NoteData<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

struct DetectionData<'a>(&'a Detection);

impl Serialize for DetectionData<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", self.0.type_name())?;
        match self.0 {
            Detection::Nvdapi(d) => map.serialize_entry("data", d)?,
            Detection::ScanV1(d) => map.serialize_entry("data", d)?,
            Detection::Manual | Detection::Other(_) => {}
        }
        map.end()
    }
}
