//! Validation of advisory documents (model §4.2) as diagnostics with stable codes.
//!
//! Diagnostics are data: a document with errors is still loaded and exported. `now` is injected
//! (future-timestamp check) and whether a package is still supported comes from an optional
//! callback the caller wires to end-of-life data.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::error::AdvisoryError;
use crate::model::{Advisory, Detection, Document, EventKind, FalsePositiveType};
use crate::reader::{read_documents, DOCUMENT_SUFFIX};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    /// The lowercase name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident => ($code:literal, $sev:ident, $desc:literal), )*) => {
        /// A stable diagnostic code (`docs/diagnostics/advisory.md` has one entry per code).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The kebab-case code.
            pub fn code(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// One sentence saying what the code means.
            pub fn description(self) -> &'static str {
                match self { $( Code::$variant => $desc, )* }
            }

            /// The severity this code is reported with.
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }
        }
    };
}

codes! {
    ParseError => ("parse-error", Error, "The document could not be decoded: malformed YAML, an unknown field, a bad timestamp or badly typed event data."),
    UnsupportedSchemaVersion => ("unsupported-schema-version", Error, "The document uses schema 1 (no `schema-version`, or `secfixes`-style content) or a schema major version other than 2."),
    NewerSchemaVersion => ("newer-schema-version", Warning, "The document's `schema-version` is a 2.x newer than 2.0.2; it was read, but fields of the newer schema may be ignored."),
    EmptyPackageName => ("empty-package-name", Error, "`package.name` is missing or empty."),
    FileNameMismatch => ("file-name-mismatch", Error, "The file name is not `<package.name>.advisories.yaml`."),
    NoAdvisories => ("no-advisories", Error, "The document has no advisories (the file should not exist)."),
    InvalidAdvisoryId => ("invalid-advisory-id", Error, "The advisory id does not match `^CGA(-[23456789cfghjmpqrvwx]{4}){3}$`."),
    DuplicateAdvisoryId => ("duplicate-advisory-id", Error, "The advisory id appears more than once across all documents."),
    DuplicateIdOrAlias => ("duplicate-id-or-alias", Error, "Within one document, an id or alias is used by more than one advisory (ids and aliases must be unique jointly)."),
    InvalidAlias => ("invalid-alias", Error, "An alias is not a CVE (`CVE-YYYY-NNNN…`), GHSA (`GHSA-xxxx-xxxx-xxxx`) or Go (`GO-YYYY-NNNN`) id."),
    AliasEqualsId => ("alias-equals-id", Error, "An alias repeats the advisory's own id."),
    DuplicateAlias => ("duplicate-alias", Error, "An alias is listed twice in the same advisory."),
    NoEvents => ("no-events", Error, "The advisory has no events."),
    ZeroTimestamp => ("zero-timestamp", Error, "The event timestamp is the zero time (`0001-01-01T00:00:00Z`)."),
    FutureTimestamp => ("future-timestamp", Error, "The event timestamp is more than 2 hours after `now`."),
    UnknownEventType => ("unknown-event-type", Error, "The event type is not one of detection, true-positive-determination, fixed, false-positive-determination, fix-not-planned, pending-upstream-fix, analysis-not-planned."),
    UnknownDetectionType => ("unknown-detection-type", Error, "A detection's `data.type` is missing or not one of manual, nvdapi, scan/v1."),
    InvalidCpe => ("invalid-cpe", Error, "An nvdapi detection's `cpeSearched` or `cpeFound` is not a CPE 2.3 formatted string."),
    EmptyScanField => ("empty-scan-field", Error, "A scan/v1 detection field (subpackageName, componentID, componentName, componentVersion, componentType, componentLocation) is empty."),
    UnknownScanner => ("unknown-scanner", Error, "A scan/v1 detection's `scanner` is not `grype`."),
    MissingFixedVersion => ("missing-fixed-version", Error, "A `fixed` event has no `fixed-version`."),
    InvalidFixedVersion => ("invalid-fixed-version", Error, "A `fixed-version` is not a valid apk version."),
    FixedVersionWithoutRelease => ("fixed-version-without-release", Error, "A `fixed-version` has no package release (`-rN` epoch), so it cannot be compared with installed versions."),
    UnknownFalsePositiveType => ("unknown-false-positive-type", Error, "A false-positive-determination's `data.type` is missing or not one of the seven known types."),
    MissingNote => ("missing-note", Error, "A fix-not-planned, pending-upstream-fix or analysis-not-planned event has no note."),
    EventsOutOfOrder => ("events-out-of-order", Warning, "Events are not in timestamp order in the file; the current state is taken by timestamp, not by position."),
    TimestampTie => ("timestamp-tie", Warning, "Two events of the advisory have the same timestamp; the later one in the file is taken as newer."),
    RedetectedAfterFix => ("redetected-after-fix", Warning, "A `detection` follows a `fixed` event (by timestamp): the vulnerability was detected again after a fix."),
    FixNotPlannedOnSupported => ("fix-not-planned-on-supported", Warning, "The current state is fix-not-planned but end-of-life data says the package is still supported (fix-not-planned should never be used on supported software)."),
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// One finding of the validator.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    /// The file (or archive member) name.
    pub file: String,
    /// The advisory id, when the diagnostic is about one advisory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisory: Option<String>,
    /// The 0-based index of the event in the advisory's `events` list (file order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<usize>,
    pub code: Code,
    pub severity: Severity,
    pub message: String,
}

/// Whether a package is still supported upstream (`Some(true)`), end-of-life (`Some(false)`) or
/// unknown (`None`).
pub type SupportOracle<'a> = &'a dyn Fn(&str) -> Option<bool>;

/// Inputs of validation besides the documents.
pub struct ValidateOptions<'a> {
    /// The time the future-timestamp rule compares against (never the clock).
    pub now: DateTime<Utc>,
    /// Whether a package is still supported upstream (`Some(true)`), end-of-life
    /// (`Some(false)`) or unknown (`None`); wired by the caller to end-of-life data.
    pub is_supported: Option<SupportOracle<'a>>,
}

impl<'a> ValidateOptions<'a> {
    /// Options with `now` and no support oracle.
    pub fn new(now: DateTime<Utc>) -> Self {
        ValidateOptions {
            now,
            is_supported: None,
        }
    }
}

/// The result of validating a set of documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// Files read (including those that failed to decode).
    pub files: usize,
    /// Advisories in the decoded documents.
    pub advisories: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Sorted by file, advisory, event, code.
    pub diagnostics: Vec<Diagnostic>,
}

impl ValidationReport {
    /// True when no diagnostic has severity error.
    pub fn is_ok(&self) -> bool {
        self.errors == 0
    }
}

/// Validates documents one at a time and keeps what cross-document rules need.
pub struct Validator<'a> {
    options: ValidateOptions<'a>,
    seen_ids: BTreeMap<String, String>,
    report: ValidationReport,
}

impl<'a> Validator<'a> {
    pub fn new(options: ValidateOptions<'a>) -> Self {
        Validator {
            options,
            seen_ids: BTreeMap::new(),
            report: ValidationReport::default(),
        }
    }

    /// Record a file that failed to decode.
    pub fn add_error(&mut self, error: &AdvisoryError) {
        self.report.files += 1;
        let code = match error {
            AdvisoryError::SchemaV1 { .. } | AdvisoryError::SchemaVersion { .. } => {
                Code::UnsupportedSchemaVersion
            }
            _ => Code::ParseError,
        };
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        let (advisory, event) = match error {
            AdvisoryError::Timestamp {
                advisory, event, ..
            }
            | AdvisoryError::EventData {
                advisory, event, ..
            } => (Some(advisory.clone()), Some(*event)),
            _ => (None, None),
        };
        self.push(Diagnostic {
            file: error.path().to_string(),
            advisory,
            event,
            code,
            severity: code.severity(),
            message,
        });
    }

    /// Validate one decoded document named `file`.
    pub fn add_document(&mut self, file: &str, doc: &Document) {
        self.report.files += 1;
        self.report.advisories += doc.advisories.len();
        let mut out = Vec::new();
        check_document(file, doc, &self.options, &mut out);
        for adv in &doc.advisories {
            if adv.id.is_empty() {
                continue;
            }
            if let Some(first) = self.seen_ids.get(&adv.id) {
                out.push(diag(
                    file,
                    Some(&adv.id),
                    None,
                    Code::DuplicateAdvisoryId,
                    format!("advisory id `{}` is already used in `{first}`", adv.id),
                ));
            } else {
                self.seen_ids.insert(adv.id.clone(), file.to_string());
            }
        }
        for d in out {
            self.push(d);
        }
    }

    fn push(&mut self, d: Diagnostic) {
        match d.severity {
            Severity::Error => self.report.errors += 1,
            Severity::Warning => self.report.warnings += 1,
        }
        self.report.diagnostics.push(d);
    }

    /// The report, diagnostics sorted.
    pub fn finish(mut self) -> ValidationReport {
        self.report.diagnostics.sort();
        self.report
    }
}

/// Validate every document under `path` (directory, `.tar.zst`, or one file).
pub fn validate_path(path: impl AsRef<Path>, options: ValidateOptions<'_>) -> ValidationReport {
    let mut validator = Validator::new(options);
    for item in read_documents(path) {
        match item {
            Ok((file, doc)) => validator.add_document(&file, &doc),
            Err(e) => validator.add_error(&e),
        }
    }
    validator.finish()
}

/// Validate one document on its own (no cross-document rules). Diagnostics are sorted.
pub fn validate_document(
    file: &str,
    doc: &Document,
    options: &ValidateOptions<'_>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_document(file, doc, options, &mut out);
    out.sort();
    out
}

fn diag(
    file: &str,
    advisory: Option<&str>,
    event: Option<usize>,
    code: Code,
    message: String,
) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        advisory: advisory.map(str::to_string),
        event,
        code,
        severity: code.severity(),
        message,
    }
}

fn check_document(
    file: &str,
    doc: &Document,
    options: &ValidateOptions<'_>,
    out: &mut Vec<Diagnostic>,
) {
    if doc.is_future_schema() {
        out.push(diag(
            file,
            None,
            None,
            Code::NewerSchemaVersion,
            format!(
                "schema version `{}` is newer than the latest known `{}`",
                doc.schema_version,
                crate::model::SCHEMA_VERSION
            ),
        ));
    }
    let name = &doc.package.name;
    if name.trim().is_empty() {
        out.push(diag(
            file,
            None,
            None,
            Code::EmptyPackageName,
            "`package.name` is empty".into(),
        ));
    } else {
        let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
        let expected = format!("{name}{DOCUMENT_SUFFIX}");
        if base != expected {
            out.push(diag(
                file,
                None,
                None,
                Code::FileNameMismatch,
                format!(
                    "file name `{base}` does not match package `{name}` (expected `{expected}`)"
                ),
            ));
        }
    }
    if doc.advisories.is_empty() {
        out.push(diag(
            file,
            None,
            None,
            Code::NoAdvisories,
            "the document has no advisories".into(),
        ));
    }

    // Ids and aliases are unique jointly within a document.
    let mut owners: BTreeMap<&str, &str> = BTreeMap::new();
    let mut reported_ids: BTreeSet<&str> = BTreeSet::new();
    for adv in &doc.advisories {
        let mut names: Vec<&str> = vec![adv.id.as_str()];
        let mut own: BTreeSet<&str> = BTreeSet::new();
        for alias in &adv.aliases {
            if own.insert(alias.as_str()) && alias != &adv.id {
                names.push(alias);
            }
        }
        for n in names {
            if n.is_empty() {
                continue;
            }
            match owners.get(n) {
                Some(other) => {
                    if reported_ids.insert(n) {
                        let what = if n == adv.id { "id" } else { "alias" };
                        out.push(diag(
                            file,
                            Some(&adv.id),
                            None,
                            Code::DuplicateIdOrAlias,
                            format!(
                                "{what} `{n}` is also used by advisory `{other}` in this document"
                            ),
                        ));
                    }
                }
                None => {
                    owners.insert(n, adv.id.as_str());
                }
            }
        }
        check_advisory(file, name, adv, options, out);
    }
}

fn check_advisory(
    file: &str,
    package: &str,
    adv: &Advisory,
    options: &ValidateOptions<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let id = Some(adv.id.as_str());
    if !is_cga_id(&adv.id) {
        out.push(diag(
            file,
            id,
            None,
            Code::InvalidAdvisoryId,
            format!("advisory id `{}` is not a CGA id", adv.id),
        ));
    }
    let mut seen = BTreeSet::new();
    for alias in &adv.aliases {
        if !seen.insert(alias.as_str()) {
            out.push(diag(
                file,
                id,
                None,
                Code::DuplicateAlias,
                format!("alias `{alias}` is listed more than once"),
            ));
            continue;
        }
        if alias == &adv.id {
            out.push(diag(
                file,
                id,
                None,
                Code::AliasEqualsId,
                format!("alias `{alias}` duplicates the advisory id"),
            ));
        } else if !is_alias(alias) {
            out.push(diag(
                file,
                id,
                None,
                Code::InvalidAlias,
                format!("alias `{alias}` is not a valid CVE, GHSA or Go vulnerability id"),
            ));
        }
    }
    if adv.events.is_empty() {
        out.push(diag(
            file,
            id,
            None,
            Code::NoEvents,
            "the advisory has no events".into(),
        ));
        return;
    }
    let cutoff = options.now + Duration::hours(2);
    for (i, event) in adv.events.iter().enumerate() {
        let at = Some(i);
        if is_zero_time(event.timestamp) {
            out.push(diag(
                file,
                id,
                at,
                Code::ZeroTimestamp,
                "the timestamp is the zero time".into(),
            ));
        } else if event.timestamp > cutoff {
            out.push(diag(
                file,
                id,
                at,
                Code::FutureTimestamp,
                format!(
                    "timestamp `{}` is later than now + 2h (`{}`)",
                    rfc3339(event.timestamp),
                    rfc3339(cutoff)
                ),
            ));
        }
        check_event_data(file, id, i, &event.kind, out);
    }

    // Ordering anomalies (model §4.3): the state is taken by timestamp, so say when it matters.
    let mut max_so_far = adv.events[0].timestamp;
    for (i, event) in adv.events.iter().enumerate().skip(1) {
        if event.timestamp < max_so_far {
            let by_file = adv.events.last().map(|e| e.type_name()).unwrap_or_default();
            let by_time = adv
                .current_event()
                .map(|e| e.type_name())
                .unwrap_or_default();
            out.push(diag(
                file,
                id,
                Some(i),
                Code::EventsOutOfOrder,
                format!(
                    "event {i} (`{}`, {}) is older than an earlier event in the file; current state by timestamp is `{by_time}`, by file order `{by_file}`",
                    event.type_name(),
                    rfc3339(event.timestamp)
                ),
            ));
            break;
        }
        max_so_far = max_so_far.max(event.timestamp);
    }
    let mut by_time: BTreeMap<DateTime<Utc>, usize> = BTreeMap::new();
    for (i, event) in adv.events.iter().enumerate() {
        if let Some(first) = by_time.get(&event.timestamp) {
            out.push(diag(
                file,
                id,
                Some(i),
                Code::TimestampTie,
                format!(
                    "event {i} has the same timestamp ({}) as event {first}",
                    rfc3339(event.timestamp)
                ),
            ));
            break;
        }
        by_time.insert(event.timestamp, i);
    }
    let sorted = sorted_indices(adv);
    let mut fixed_at: Option<usize> = None;
    for &i in &sorted {
        let event = &adv.events[i];
        if event.kind.is_fixed() {
            fixed_at = Some(i);
        } else if event.kind.is_detection() {
            if let Some(f) = fixed_at {
                out.push(diag(
                    file,
                    id,
                    Some(i),
                    Code::RedetectedAfterFix,
                    format!(
                        "detection at {} follows the fix of event {f}",
                        rfc3339(event.timestamp)
                    ),
                ));
                break;
            }
        }
    }
    if let (Some(oracle), Some(current)) = (options.is_supported, adv.current_event()) {
        if matches!(current.kind, EventKind::FixNotPlanned { .. }) && oracle(package) == Some(true)
        {
            out.push(diag(
                file,
                id,
                adv.current_index(),
                Code::FixNotPlannedOnSupported,
                format!("fix-not-planned on `{package}`, which end-of-life data says is still supported"),
            ));
        }
    }
}

/// Event indices sorted by timestamp, ties in file order.
fn sorted_indices(adv: &Advisory) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..adv.events.len()).collect();
    idx.sort_by_key(|&i| adv.events[i].timestamp);
    idx
}

fn check_event_data(
    file: &str,
    id: Option<&str>,
    i: usize,
    kind: &EventKind,
    out: &mut Vec<Diagnostic>,
) {
    let at = Some(i);
    match kind {
        EventKind::Other(t) => out.push(diag(
            file,
            id,
            at,
            Code::UnknownEventType,
            if t.is_empty() {
                "the event type is missing".to_string()
            } else {
                format!("unknown event type `{t}`")
            },
        )),
        EventKind::Detection(Detection::Other(t)) => out.push(diag(
            file,
            id,
            at,
            Code::UnknownDetectionType,
            if t.is_empty() {
                "the detection type (`data.type`) is missing".to_string()
            } else {
                format!("unknown detection type `{t}`")
            },
        )),
        EventKind::Detection(Detection::Manual) => {}
        EventKind::Detection(Detection::Nvdapi(n)) => {
            for (field, value) in [("cpeSearched", &n.cpe_searched), ("cpeFound", &n.cpe_found)] {
                if !is_cpe23(value) {
                    out.push(diag(
                        file,
                        id,
                        at,
                        Code::InvalidCpe,
                        format!("nvdapi `{field}` `{value}` is not a CPE 2.3 string"),
                    ));
                }
            }
        }
        EventKind::Detection(Detection::ScanV1(s)) => {
            for (field, value) in [
                ("subpackageName", &s.subpackage_name),
                ("componentID", &s.component_id),
                ("componentName", &s.component_name),
                ("componentVersion", &s.component_version),
                ("componentType", &s.component_type),
                ("componentLocation", &s.component_location),
            ] {
                if value.trim().is_empty() {
                    out.push(diag(
                        file,
                        id,
                        at,
                        Code::EmptyScanField,
                        format!("scan/v1 `{field}` is empty"),
                    ));
                }
            }
            if s.scanner != "grype" {
                out.push(diag(
                    file,
                    id,
                    at,
                    Code::UnknownScanner,
                    format!("scan/v1 scanner `{}` is not one of [grype]", s.scanner),
                ));
            }
        }
        EventKind::Fixed { fixed_version } => match fixed_version.as_deref().map(str::trim) {
            None | Some("") => out.push(diag(
                file,
                id,
                at,
                Code::MissingFixedVersion,
                "`fixed` event has no `fixed-version`".into(),
            )),
            Some(v) if !crate::apk::is_valid(v) => out.push(diag(
                file,
                id,
                at,
                Code::InvalidFixedVersion,
                format!("fixed-version `{v}` is not a valid apk version"),
            )),
            Some(v) if !crate::apk::has_revision(v) => out.push(diag(
                file,
                id,
                at,
                Code::FixedVersionWithoutRelease,
                format!("fixed-version `{v}` has no `-rN` package release"),
            )),
            Some(_) => {}
        },
        EventKind::FalsePositiveDetermination { fp_type, .. } => {
            if let FalsePositiveType::Other(t) = fp_type {
                out.push(diag(
                    file,
                    id,
                    at,
                    Code::UnknownFalsePositiveType,
                    if t.is_empty() {
                        "the false-positive type (`data.type`) is missing".to_string()
                    } else {
                        format!("unknown false-positive type `{t}`")
                    },
                ));
            }
        }
        EventKind::FixNotPlanned { note }
        | EventKind::PendingUpstreamFix { note }
        | EventKind::AnalysisNotPlanned { note } => {
            if note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                out.push(diag(
                    file,
                    id,
                    at,
                    Code::MissingNote,
                    format!("`{}` event has no note", kind.type_name()),
                ));
            }
        }
        EventKind::TruePositiveDetermination { .. } => {}
    }
}

/// Go's zero `time.Time` (`0001-01-01T00:00:00Z`), what an unset timestamp marshals to.
fn is_zero_time(t: DateTime<Utc>) -> bool {
    chrono::NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .is_some_and(|z| z.and_utc() == t)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

const GHSA_ALPHABET: &[u8] = b"23456789cfghjmpqrvwx";

/// `^<prefix>(-[23456789cfghjmpqrvwx]{4}){3}$` (CGA and GHSA ids).
fn is_quad_id(s: &str, prefix: &str) -> bool {
    let Some(rest) = s.strip_prefix(prefix) else {
        return false;
    };
    let b = rest.as_bytes();
    b.len() == 15
        && b.chunks(5).all(|c| {
            c.len() == 5 && c[0] == b'-' && c[1..].iter().all(|x| GHSA_ALPHABET.contains(x))
        })
}

/// `^CGA(-[23456789cfghjmpqrvwx]{4}){3}$`.
pub fn is_cga_id(s: &str) -> bool {
    is_quad_id(s, "CGA")
}

/// `^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$`.
pub fn is_ghsa_id(s: &str) -> bool {
    is_quad_id(s, "GHSA")
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `^CVE-\d{4}-\d{4,}$`.
pub fn is_cve_id(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("CVE"), Some(y), Some(n)) if y.len() == 4 && digits(y) && n.len() >= 4 && digits(n)
    )
}

/// `^GO-\d{4}-\d{4}$`.
pub fn is_go_id(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("GO"), Some(y), Some(n)) if y.len() == 4 && digits(y) && n.len() == 4 && digits(n)
    )
}

/// An alias the schema allows: CVE, GHSA or Go.
pub fn is_alias(s: &str) -> bool {
    is_cve_id(s) || is_ghsa_id(s) || is_go_id(s)
}

/// A CPE 2.3 formatted string: `cpe:2.3:` then 11 more colon-separated components, the part
/// being `a`, `o`, `h` or `*` (escaped colons `\:` do not split).
fn is_cpe23(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("cpe:2.3:") else {
        return false;
    };
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in rest.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            cur.push(c);
            escaped = true;
        } else if c == ':' {
            fields.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    fields.push(cur);
    fields.len() == 11
        && matches!(fields[0].as_str(), "a" | "o" | "h" | "*")
        && fields.iter().all(|f| !f.is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn id_formats() {
        assert!(is_cga_id("CGA-2pv6-4gjh-fqfr"));
        assert!(!is_cga_id("CGA-2222-2222-222"));
        assert!(!is_cga_id("CGA-aaaa-2222-2222"));
        assert!(is_ghsa_id("GHSA-v23v-6jw2-98fq"));
        assert!(!is_ghsa_id("GHSA-xxxx-xxxx-xxx9x"));
        assert!(is_cve_id("CVE-2024-41110"));
        assert!(is_cve_id("CVE-2024-1234567"));
        assert!(!is_cve_id("CVE-2024-123"));
        assert!(!is_cve_id("CVE-24-1234"));
        assert!(is_go_id("GO-2024-2887"));
        assert!(!is_go_id("GO-2024-28870"));
        assert!(!is_alias("DSA-2000-0001"));
        assert!(is_cpe23("cpe:2.3:a:*:tinyxml:*:*:*:*:*:*:*:*"));
        assert!(is_cpe23("cpe:2.3:a:foo\\:bar:baz:*:*:*:*:*:*:*:*"));
        assert!(!is_cpe23("cpe:/a:foo:bar"));
        assert!(!is_cpe23("cpe:2.3:a:foo"));
    }

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.code()), "duplicate code {}", c.code());
            assert!(
                c.code()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                c.code()
            );
            assert!(!c.description().is_empty());
        }
    }
}
