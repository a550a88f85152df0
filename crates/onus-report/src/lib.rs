//! The versioned scan report (`onus.report/v1`) and every renderer: SBOMs as onus JSON,
//! CycloneDX 1.6, SPDX 2.3 and a text table; reports as a text table, JSON, SARIF 2.1.0,
//! OpenVEX 0.2.0, CycloneDX, SPDX and a self-contained HTML page.
//!
//! Architecture invariant: pure. Renderers take data and an `&mut dyn Write`; no clock, no I/O
//! besides the writer, and the same input always gives byte-identical output. Times in the
//! output come from the input (the image's creation time) or a fixed epoch.
//!
//! ```
//! use onus_report::{render_sbom, SbomFormat};
//! # fn demo(sbom: &onus_inventory::Sbom) -> std::io::Result<()> {
//! let mut out = Vec::new();
//! render_sbom(sbom, "cyclonedx-json".parse().unwrap_or(SbomFormat::Json), &mut out)?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use onus_inventory::Sbom;
use serde::Serialize;

pub mod cyclonedx;
pub mod diff;
mod doc;
mod extra;
pub mod html;
pub mod openvex;
mod report;
pub mod sarif;
pub mod spdx;
pub mod table;
pub mod util;

pub use report::{
    fail_on, is_open, AttributedFinding, Report, ReportComponent, ReportFinding, ReportImage,
    SeverityCounts, Summary, REPORT_SCHEMA,
};
pub use util::{clean, EPOCH};

/// Output formats for an SBOM (`onus sbom --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SbomFormat {
    /// onus's own schema, `onus.sbom/v1`.
    Json,
    CycloneDxJson,
    SpdxJson,
    Table,
}

impl SbomFormat {
    pub const ALL: [SbomFormat; 4] = [
        SbomFormat::Json,
        SbomFormat::CycloneDxJson,
        SbomFormat::SpdxJson,
        SbomFormat::Table,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SbomFormat::Json => "json",
            SbomFormat::CycloneDxJson => "cyclonedx-json",
            SbomFormat::SpdxJson => "spdx-json",
            SbomFormat::Table => "table",
        }
    }
}

/// Output formats for a scan report (`onus scan --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    Table,
    /// The [`Report`] itself, `onus.report/v1`.
    Json,
    Sarif,
    OpenVex,
    Html,
    /// The inventory with tier, party and rule per component.
    CycloneDxJson,
    /// The inventory with tier, party and rule per component.
    SpdxJson,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 7] = [
        ReportFormat::Table,
        ReportFormat::Json,
        ReportFormat::Sarif,
        ReportFormat::OpenVex,
        ReportFormat::Html,
        ReportFormat::CycloneDxJson,
        ReportFormat::SpdxJson,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Table => "table",
            ReportFormat::Json => "json",
            ReportFormat::Sarif => "sarif",
            ReportFormat::OpenVex => "openvex",
            ReportFormat::Html => "html",
            ReportFormat::CycloneDxJson => "cyclonedx-json",
            ReportFormat::SpdxJson => "spdx-json",
        }
    }
}

/// A format name that is not one of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown output format `{name}` (expected one of: {expected})")]
pub struct UnknownFormat {
    pub name: String,
    pub expected: String,
}

impl FromStr for SbomFormat {
    type Err = UnknownFormat;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        SbomFormat::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| UnknownFormat {
                name: name.to_string(),
                expected: SbomFormat::ALL.map(SbomFormat::name).join(", "),
            })
    }
}

impl FromStr for ReportFormat {
    type Err = UnknownFormat;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ReportFormat::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| UnknownFormat {
                name: name.to_string(),
                expected: ReportFormat::ALL.map(ReportFormat::name).join(", "),
            })
    }
}

impl fmt::Display for SbomFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Render an SBOM in `format`.
pub fn render_sbom(sbom: &Sbom, format: SbomFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        SbomFormat::Json => write_json(sbom, out),
        SbomFormat::CycloneDxJson => cyclonedx::render_sbom(sbom, out),
        SbomFormat::SpdxJson => spdx::render_sbom(sbom, out),
        SbomFormat::Table => table::render_sbom(sbom, out),
    }
}

/// Render a report in `format`.
pub fn render_report(report: &Report, format: ReportFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        ReportFormat::Table => table::render_report(report, out),
        ReportFormat::Json => write_json(report, out),
        ReportFormat::Sarif => sarif::render(report, out),
        ReportFormat::OpenVex => openvex::render(report, out),
        ReportFormat::Html => html::render(report, out),
        ReportFormat::CycloneDxJson => cyclonedx::render_report(report, out),
        ReportFormat::SpdxJson => spdx::render_report(report, out),
    }
}

/// Pretty JSON with a trailing newline.
pub(crate) fn write_json<T: Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in SbomFormat::ALL {
            assert_eq!(f.name().parse::<SbomFormat>(), Ok(f));
        }
        for f in ReportFormat::ALL {
            assert_eq!(f.name().parse::<ReportFormat>(), Ok(f));
        }
        let err = "xml".parse::<ReportFormat>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("unknown output format `xml` (expected one of: table, json, sarif, openvex, html, cyclonedx-json, spdx-json)")
        );
    }
}
