//! Decoding `*.advisories.yaml` (schema 2) into the model, strictly where the Go library is strict.
//!
//! Structure (document, package, advisory, event, and the data of known event types) is decoded
//! with unknown fields rejected, as `DecodeDocument` does with `KnownFields(true)`. The data of
//! unknown event types and unknown detection types is ignored (forward compatibility). Values the
//! schema requires but that are missing (a `fixed-version`, a note, a scan field) are kept as
//! `None`/empty and reported by the validator, not here.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_yaml_ng::Value;

use crate::error::AdvisoryError;
use crate::model::{
    Advisory, Detection, Document, Event, EventKind, FalsePositiveType, NvdApiDetection, Package,
    ScanV1Detection, SCHEMA_VERSION,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    #[serde(rename = "schema-version", default)]
    schema_version: Option<Value>,
    #[serde(default)]
    package: Option<RawPackage>,
    #[serde(default)]
    advisories: Option<Vec<RawAdvisory>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackage {
    #[serde(default)]
    name: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdvisory {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    aliases: Option<Vec<Value>>,
    #[serde(default)]
    events: Option<Vec<RawEvent>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    #[serde(default)]
    timestamp: Option<Value>,
    #[serde(rename = "type", default)]
    event_type: Option<Value>,
    #[serde(default)]
    data: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawNote {
    #[serde(default)]
    note: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFixed {
    #[serde(rename = "fixed-version", default)]
    fixed_version: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFalsePositive {
    #[serde(rename = "type", default)]
    fp_type: Option<Value>,
    #[serde(default)]
    note: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDetection {
    #[serde(rename = "type", default)]
    detection_type: Option<Value>,
    #[serde(default)]
    data: Option<Value>,
}

// Detection payloads are decoded leniently, as the Go library does (`Node.Decode`, not strict).
#[derive(Deserialize, Default)]
struct RawNvdApi {
    #[serde(rename = "cpeSearched", default)]
    cpe_searched: Option<Value>,
    #[serde(rename = "cpeFound", default)]
    cpe_found: Option<Value>,
}

#[derive(Deserialize, Default)]
struct RawScanV1 {
    #[serde(rename = "subpackageName", default)]
    subpackage_name: Option<Value>,
    #[serde(rename = "componentID", default)]
    component_id: Option<Value>,
    #[serde(rename = "componentName", default)]
    component_name: Option<Value>,
    #[serde(rename = "componentVersion", default)]
    component_version: Option<Value>,
    #[serde(rename = "componentType", default)]
    component_type: Option<Value>,
    #[serde(rename = "componentLocation", default)]
    component_location: Option<Value>,
    #[serde(default)]
    scanner: Option<Value>,
}

/// Where in the document a value sits, for error messages.
struct Ctx<'a> {
    path: &'a str,
    advisory: &'a str,
    event: usize,
}

impl Ctx<'_> {
    fn data_error(&self, event_type: &str, source: serde_yaml_ng::Error) -> AdvisoryError {
        AdvisoryError::EventData {
            path: self.path.to_string(),
            advisory: self.advisory.to_string(),
            event: self.event,
            event_type: event_type.to_string(),
            source,
        }
    }
}

/// Parse one advisory document. `path` names it in errors (a file path or an archive member).
///
/// Accepts schema 2, 2.0.1, 2.0.2 and newer 2.x versions (see [`Document::is_future_schema`]);
/// schema-1 documents (no `schema-version`, or `secfixes`-style content) are an error.
pub fn parse_document(bytes: &[u8], path: &str) -> Result<Document, AdvisoryError> {
    // The fast reader covers what advisory tooling writes; anything else, and every error,
    // goes through serde_yaml_ng.
    if let Some(doc) = crate::fast::document(bytes) {
        if check_schema_version(&doc.schema_version, path).is_ok() {
            return Ok(doc);
        }
    }
    parse_document_slow(bytes, path)
}

/// [`parse_document`] through serde_yaml_ng only (the reference the fast path is tested against).
pub(crate) fn parse_document_slow(bytes: &[u8], path: &str) -> Result<Document, AdvisoryError> {
    let raw: RawDocument = match serde_yaml_ng::from_slice(bytes) {
        Ok(raw) => raw,
        Err(source) => return Err(diagnose_failure(bytes, path, source)),
    };
    let schema_version = match raw.schema_version.as_ref().and_then(scalar_string) {
        Some(v) => v,
        None => {
            return Err(AdvisoryError::SchemaV1 {
                path: path.to_string(),
                found: "1 (no `schema-version`)".to_string(),
            })
        }
    };
    check_schema_version(&schema_version, path)?;

    let package = Package {
        name: raw
            .package
            .and_then(|p| p.name)
            .as_ref()
            .and_then(scalar_string)
            .unwrap_or_default(),
    };
    let mut advisories = Vec::new();
    for raw_adv in raw.advisories.unwrap_or_default() {
        let id = raw_adv
            .id
            .as_ref()
            .and_then(scalar_string)
            .unwrap_or_default();
        let aliases = raw_adv
            .aliases
            .unwrap_or_default()
            .iter()
            .filter_map(scalar_string)
            .collect();
        let mut events = Vec::new();
        for (index, raw_event) in raw_adv.events.unwrap_or_default().into_iter().enumerate() {
            let ctx = Ctx {
                path,
                advisory: &id,
                event: index,
            };
            events.push(convert_event(raw_event, &ctx)?);
        }
        advisories.push(Advisory {
            id,
            aliases,
            events,
        });
    }
    Ok(Document {
        schema_version,
        package,
        advisories,
    })
}

fn convert_event(raw: RawEvent, ctx: &Ctx<'_>) -> Result<Event, AdvisoryError> {
    let ts_text = raw
        .timestamp
        .as_ref()
        .and_then(scalar_string)
        .unwrap_or_default();
    let timestamp = parse_timestamp(&ts_text).ok_or_else(|| AdvisoryError::Timestamp {
        path: ctx.path.to_string(),
        advisory: ctx.advisory.to_string(),
        event: ctx.event,
        value: ts_text.clone(),
    })?;
    let event_type = raw
        .event_type
        .as_ref()
        .and_then(scalar_string)
        .unwrap_or_default();
    let data = raw.data.filter(|v| !v.is_null());
    let kind = match event_type.as_str() {
        "detection" => EventKind::Detection(convert_detection(data, ctx)?),
        "true-positive-determination" => EventKind::TruePositiveDetermination {
            note: note_of(data, ctx, &event_type)?,
        },
        "fixed" => {
            let raw: RawFixed = decode(data, ctx, &event_type)?;
            EventKind::Fixed {
                fixed_version: raw.fixed_version.as_ref().and_then(scalar_string),
            }
        }
        "false-positive-determination" => {
            let raw: RawFalsePositive = decode(data, ctx, &event_type)?;
            EventKind::FalsePositiveDetermination {
                fp_type: FalsePositiveType::parse(
                    &raw.fp_type
                        .as_ref()
                        .and_then(scalar_string)
                        .unwrap_or_default(),
                ),
                note: raw.note.as_ref().and_then(scalar_string),
            }
        }
        "fix-not-planned" => EventKind::FixNotPlanned {
            note: note_of(data, ctx, &event_type)?,
        },
        "pending-upstream-fix" => EventKind::PendingUpstreamFix {
            note: note_of(data, ctx, &event_type)?,
        },
        "analysis-not-planned" => EventKind::AnalysisNotPlanned {
            note: note_of(data, ctx, &event_type)?,
        },
        _ => EventKind::Other(event_type),
    };
    Ok(Event { timestamp, kind })
}

fn convert_detection(data: Option<Value>, ctx: &Ctx<'_>) -> Result<Detection, AdvisoryError> {
    let raw: RawDetection = decode(data, ctx, "detection")?;
    let detection_type = raw
        .detection_type
        .as_ref()
        .and_then(scalar_string)
        .unwrap_or_default();
    let inner = raw.data.filter(|v| !v.is_null());
    Ok(match detection_type.as_str() {
        "manual" => Detection::Manual,
        "nvdapi" => {
            let d: RawNvdApi = decode_lenient(inner, ctx)?;
            Detection::Nvdapi(NvdApiDetection {
                cpe_searched: text(&d.cpe_searched),
                cpe_found: text(&d.cpe_found),
            })
        }
        "scan/v1" => {
            let d: RawScanV1 = decode_lenient(inner, ctx)?;
            Detection::ScanV1(ScanV1Detection {
                subpackage_name: text(&d.subpackage_name),
                component_id: text(&d.component_id),
                component_name: text(&d.component_name),
                component_version: text(&d.component_version),
                component_type: text(&d.component_type),
                component_location: text(&d.component_location),
                scanner: text(&d.scanner),
            })
        }
        _ => Detection::Other(detection_type),
    })
}

fn note_of(
    data: Option<Value>,
    ctx: &Ctx<'_>,
    event_type: &str,
) -> Result<Option<String>, AdvisoryError> {
    let raw: RawNote = decode(data, ctx, event_type)?;
    Ok(raw.note.as_ref().and_then(scalar_string))
}

fn decode<T: serde::de::DeserializeOwned + Default>(
    data: Option<Value>,
    ctx: &Ctx<'_>,
    event_type: &str,
) -> Result<T, AdvisoryError> {
    match data {
        None => Ok(T::default()),
        Some(v) => serde_yaml_ng::from_value(v).map_err(|e| ctx.data_error(event_type, e)),
    }
}

fn decode_lenient<T: serde::de::DeserializeOwned + Default>(
    data: Option<Value>,
    ctx: &Ctx<'_>,
) -> Result<T, AdvisoryError> {
    decode(data, ctx, "detection")
}

fn text(v: &Option<Value>) -> String {
    v.as_ref().and_then(scalar_string).unwrap_or_default()
}

/// A YAML scalar as text (numbers and booleans as written by YAML's canonical form).
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar_string(&t.value),
        _ => None,
    }
}

/// Parse an event timestamp: RFC 3339 (the schema's format), also a bare date (midnight UTC).
pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc())
}

/// Numeric segments of a schema version (`2.0.2` → [2, 0, 2]); `None` if not dotted numbers.
fn schema_segments(v: &str) -> Option<Vec<u64>> {
    let v = v.trim();
    let v = v.strip_prefix('v').unwrap_or(v);
    if v.is_empty() {
        return None;
    }
    v.split('.').map(|s| s.parse::<u64>().ok()).collect()
}

fn cmp_segments(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        match x.cmp(&y) {
            std::cmp::Ordering::Equal => continue,
            other => return other,
        }
    }
    std::cmp::Ordering::Equal
}

/// True when `v` is a valid 2.x version newer than [`SCHEMA_VERSION`].
pub(crate) fn schema_is_newer(v: &str) -> bool {
    match (schema_segments(v), schema_segments(SCHEMA_VERSION)) {
        (Some(a), Some(b)) => cmp_segments(&a, &b) == std::cmp::Ordering::Greater,
        _ => false,
    }
}

fn check_schema_version(v: &str, path: &str) -> Result<(), AdvisoryError> {
    let Some(segments) = schema_segments(v) else {
        return Err(AdvisoryError::SchemaVersion {
            path: path.to_string(),
            found: v.to_string(),
        });
    };
    match segments.first().copied() {
        Some(2) => Ok(()),
        Some(0 | 1) => Err(AdvisoryError::SchemaV1 {
            path: path.to_string(),
            found: v.to_string(),
        }),
        _ => Err(AdvisoryError::SchemaVersion {
            path: path.to_string(),
            found: v.to_string(),
        }),
    }
}

/// After a decode failure, tell a schema-1 document apart from a broken schema-2 one.
fn diagnose_failure(bytes: &[u8], path: &str, source: serde_yaml_ng::Error) -> AdvisoryError {
    if let Ok(Value::Mapping(map)) = serde_yaml_ng::from_slice::<Value>(bytes) {
        let version = map.get("schema-version").and_then(scalar_string);
        let v1_version = version
            .as_deref()
            .and_then(schema_segments)
            .is_some_and(|s| s.first().copied().unwrap_or(0) < 2);
        let v1_shape = map.contains_key("secfixes")
            || matches!(map.get("advisories"), Some(Value::Mapping(_)));
        if v1_version || (version.is_none() && v1_shape) {
            return AdvisoryError::SchemaV1 {
                path: path.to_string(),
                found: version.unwrap_or_else(|| "1 (no `schema-version`)".to_string()),
            };
        }
        if let Some(v) = version {
            if schema_segments(&v)
                .and_then(|s| s.first().copied())
                .is_some_and(|m| m > 2)
            {
                return AdvisoryError::SchemaVersion {
                    path: path.to_string(),
                    found: v,
                };
            }
        }
    }
    AdvisoryError::Yaml {
        path: path.to_string(),
        source,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn schema_versions() {
        assert!(!schema_is_newer("2"));
        assert!(!schema_is_newer("2.0.1"));
        assert!(!schema_is_newer("2.0.2"));
        assert!(schema_is_newer("2.0.99999"));
        assert!(schema_is_newer("2.1"));
        assert!(check_schema_version("2", "x").is_ok());
        assert!(matches!(
            check_schema_version("1", "x"),
            Err(AdvisoryError::SchemaV1 { .. })
        ));
        assert!(matches!(
            check_schema_version("3.0.0", "x"),
            Err(AdvisoryError::SchemaVersion { .. })
        ));
        assert!(matches!(
            check_schema_version("two", "x"),
            Err(AdvisoryError::SchemaVersion { .. })
        ));
    }

    #[test]
    fn timestamps() {
        assert!(parse_timestamp("2024-07-31T07:29:00Z").is_some());
        assert!(parse_timestamp("2024-07-31T07:29:00.123+02:00").is_some());
        assert_eq!(
            parse_timestamp("2024-07-31").unwrap(),
            parse_timestamp("2024-07-31T00:00:00Z").unwrap()
        );
        assert!(parse_timestamp("yesterday").is_none());
        assert!(parse_timestamp("").is_none());
    }
}
