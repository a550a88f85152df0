//! The shared responsibility model applied to one image: base boundary, image kind, and the
//! tier, party, rule and evidence of every component and finding (model.md §1–2).
//!
//! Architecture invariant: pure functions of the SBOM, findings and options; no I/O.

mod types;
pub use types::{Attribution, BaseBoundary, BaseSource, Confidence, ImageKind, KindDecision, Party, Tier};
