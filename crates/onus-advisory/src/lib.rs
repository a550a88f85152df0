//! Wolfi/Chainguard security advisory documents (schema 2): parsing, current state, validation,
//! and export to secdb, OSV and OpenVEX (model.md §4).
//!
//! ```no_run
//! use onus_advisory::{read_documents, Advisory};
//!
//! for item in read_documents("wolfi-advisories.tar.zst") {
//!     let Ok((_file, doc)) = item else { continue };
//!     for adv in &doc.advisories {
//!         let current = adv.current_event().map(|e| e.type_name());
//!         let _ = (current, adv.resolved_at_version("1.2.3-r0", "apk"));
//!     }
//! }
//! ```

mod apk;
mod error;
mod export;
mod fast;
mod model;
mod parse;
mod reader;
mod validate;

pub use error::AdvisoryError;
pub use export::{
    apk_purl, export_openvex, export_osv, export_secdb, osv_index, vex_statement, OpenVex,
    OpenVexOptions, OsvAffected, OsvIndexEntry, OsvOptions, OsvPackage, OsvRange, OsvRecord, Secdb,
    SecdbDecision, SecdbEntry, SecdbIndex, SecdbOptions, SecdbPackage, VexProduct, VexStatement,
    VexVulnerability, OPENVEX_CONTEXT, OSV_SCHEMA_VERSION, SECDB_APKURL, SECDB_NOT_AFFECTED,
};
pub use model::{
    Advisory, Detection, Document, Event, EventKind, FalsePositiveType, NvdApiDetection, Package,
    ScanV1Detection, SCHEMA_VERSION,
};
pub use parse::parse_document;
pub use reader::{
    read_documents, read_files, Documents, RawFiles, DOCUMENT_SUFFIX, MAX_DOCUMENT_BYTES,
};
pub use validate::{
    is_alias, is_cga_id, is_cve_id, is_ghsa_id, is_go_id, validate_document, validate_path, Code,
    Diagnostic, Severity, ValidateOptions, ValidationReport, Validator,
};

/// `parse_document` through serde_yaml_ng only, without the fast reader: the reference the fast
/// path is tested against. Not a stable API.
#[doc(hidden)]
pub fn __parse_document_reference(bytes: &[u8], path: &str) -> Result<Document, AdvisoryError> {
    parse::parse_document_slow(bytes, path)
}
