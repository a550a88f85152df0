//! Reading a fleet directory: every `*.json` file holding an onus SBOM or report (the only I/O
//! of the crate besides the caller's own).

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::error::SlaError;
use crate::qualify::{Fleet, FleetImage};

/// The largest fleet file read (larger files are skipped with a warning).
pub const MAX_FLEET_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Read every `*.json` file directly in `dir` (not recursively), in name order.
///
/// A file that cannot be read, is not JSON or is neither an `onus.sbom/v1` nor an
/// `onus.report/v1` document is skipped and named in [`Fleet::warnings`]; only an unreadable
/// directory is an error.
pub fn load_fleet(dir: impl AsRef<Path>) -> Result<Fleet, SlaError> {
    let dir = dir.as_ref();
    let dir_err = |source| SlaError::FleetDir {
        path: dir.display().to_string(),
        source,
    };
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(dir_err)? {
        let entry = entry.map_err(dir_err)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            names.push(name);
        }
    }
    names.sort();
    let mut fleet = Fleet::default();
    for name in names {
        let path = dir.join(&name);
        match read_image(&path, &name) {
            Ok(image) => fleet.images.push(image),
            Err(why) => fleet
                .warnings
                .push(format!("skipped fleet file `{}`: {why}", path.display())),
        }
    }
    Ok(fleet)
}

fn read_image(path: &Path, name: &str) -> Result<FleetImage, String> {
    let meta = fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".to_string());
    }
    if meta.len() > MAX_FLEET_FILE_BYTES {
        return Err(format!(
            "{} bytes exceeds the limit of {MAX_FLEET_FILE_BYTES} bytes",
            meta.len()
        ));
    }
    let bytes = fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    FleetImage::from_json(name, &value)
}
