//! `onus db build`: read local feed inputs, write a fresh store into a temp file beside the
//! target, and rename it over the target only when complete, so a failed or interrupted build
//! leaves the previous store intact.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::VulnError;
use crate::feeds::{load_file, Ctx, FeedKind};
use crate::input::{read_bytes, read_input, ReadInput};
use crate::store::{SourceRecord, Writer};

/// One input of a build: a path, optionally with its kind forced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInput {
    pub path: PathBuf,
    /// Force the feed kind instead of recognising each file.
    pub kind: Option<FeedKind>,
    /// Namespace for advisory documents in this input (`wolfi` by default; `chainguard`).
    pub namespace: Option<String>,
}

impl BuildInput {
    /// An input whose kind is recognised from its content.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        BuildInput {
            path: path.into(),
            kind: None,
            namespace: None,
        }
    }
}

/// Build settings.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The build time to record; `None` records the newest timestamp found in the data instead
    /// (libraries never read the clock).
    pub now: Option<DateTime<Utc>>,
}

/// What one source contributed to a build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub name: String,
    /// Feed kind(s), `+`-joined when one source got several.
    pub kind: String,
    pub records: u64,
    /// Warnings naming file and record (the first 200; see `warning_count`).
    pub warnings: Vec<String>,
    pub warning_count: u64,
    /// Input paths or URLs this source came from.
    pub provenance: String,
    /// False when an input archive was truncated or corrupt part-way.
    pub complete: bool,
}

/// The result of a build or an update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildSummary {
    /// The store that was written.
    pub path: PathBuf,
    pub sources: Vec<SourceSummary>,
    /// Warnings about files that belong to no recognised source.
    pub warnings: Vec<String>,
    /// Files present in the inputs that are not feed data (licences, READMEs, schemas).
    pub skipped_files: u64,
    pub built_at: Option<String>,
    /// Size of the written store in bytes.
    pub store_bytes: u64,
}

/// An input already read into memory, ready to load.
#[derive(Debug)]
pub(crate) struct PreparedInput {
    pub provenance: String,
    pub read: PendingRead,
    pub kind: Option<FeedKind>,
    pub namespace: Option<String>,
    pub etag: Option<String>,
    /// A truncated or corrupt archive fails the build (downloads) instead of being recorded as
    /// an incomplete source (local inputs).
    pub strict: bool,
}

/// An input read when its turn comes, so only one feed is held in memory at a time.
#[derive(Debug)]
pub(crate) enum PendingRead {
    /// A file or directory on disk (a local input, or a download in the feed cache).
    Path {
        path: PathBuf,
        /// How warnings name it (the path, or the URL it was downloaded from).
        display: String,
        /// The file name formats are recognised by (the URL's last segment for a download).
        name: String,
        /// The sha256 the source publishes for the decompressed content, checked on load.
        content_sha256: Option<String>,
    },
}

impl PendingRead {
    /// Expect the decompressed content to have this published sha256.
    pub(crate) fn expecting(self, sha256: Option<String>) -> Self {
        match self {
            PendingRead::Path {
                path,
                display,
                name,
                ..
            } => PendingRead::Path {
                path,
                display,
                name,
                content_sha256: sha256,
            },
        }
    }

    fn load(self) -> Result<ReadInput, VulnError> {
        match self {
            PendingRead::Path {
                path,
                display,
                name,
                content_sha256,
            } => {
                if path.is_dir() {
                    return read_input(&path);
                }
                let bytes = std::fs::read(&path).map_err(|source| VulnError::Input {
                    path: path.clone(),
                    source,
                })?;
                let read = read_bytes(&display, &name, bytes);
                if let Some(expected) = content_sha256 {
                    // One decompressed file, whose digest the source published.
                    let actual = match read.files.as_slice() {
                        [one] => hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&one.bytes)),
                        files => format!("{} files, not one", files.len()),
                    };
                    if actual != expected {
                        return Err(VulnError::Checksum {
                            url: display,
                            expected,
                            actual,
                        });
                    }
                }
                Ok(read)
            }
        }
    }
}

/// Build a store at `target` from local files, directories or archives.
pub fn build(
    target: &Path,
    inputs: &[BuildInput],
    options: &BuildOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<BuildSummary, VulnError> {
    if inputs.is_empty() {
        return Err(VulnError::NoInputs);
    }
    let mut prepared = Vec::new();
    for input in inputs {
        // Fail before any work on a missing input.
        std::fs::metadata(&input.path).map_err(|source| VulnError::Input {
            path: input.path.clone(),
            source,
        })?;
        prepared.push(PreparedInput {
            provenance: input.path.display().to_string(),
            read: PendingRead::Path {
                content_sha256: None,
                path: input.path.clone(),
                display: input.path.display().to_string(),
                name: input
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            },
            kind: input.kind,
            namespace: input.namespace.clone(),
            etag: None,
            strict: false,
        });
    }
    write_store(target, prepared, options, progress)
}

/// Removes the temp file unless the build completed.
struct TempGuard {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Remove temp files left by builds that were killed (their process no longer exists).
fn remove_dead_temps(dir: &Path, file_name: &str) {
    let prefix = format!(".{file_name}.tmp-");
    let proc_fs = Path::new("/proc/self").exists();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(&prefix) else {
            continue;
        };
        // Without /proc we cannot tell a live build from a dead one: leave it.
        if proc_fs && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Load every prepared input into a temp store and rename it over `target`.
pub(crate) fn write_store(
    target: &Path,
    inputs: Vec<PreparedInput>,
    options: &BuildOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<BuildSummary, VulnError> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|source| VulnError::Replace {
        path: target.to_path_buf(),
        source,
    })?;
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vuln.db".to_string());
    let temp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    remove_dead_temps(&dir, &file_name);
    let mut guard = TempGuard {
        path: temp.clone(),
        armed: true,
    };

    let writer = Writer::create(&temp)?;
    let mut ctx = Ctx::new(&writer);
    // Which inputs (provenance, checksum, etag) fed each source, and whether all were complete.
    let mut origins: BTreeMap<String, Vec<(String, String, Option<String>)>> = BTreeMap::new();
    let mut incomplete: BTreeSet<String> = BTreeSet::new();
    for input in inputs {
        progress(&format!("reading {}", input.provenance));
        let read = input.read.load()?;
        if let Some(message) = read.incomplete.as_ref().filter(|_| input.strict) {
            return Err(VulnError::FeedIncomplete {
                url: input.provenance.clone(),
                message: message.clone(),
            });
        }
        progress(&format!(
            "loading {} ({} files)",
            input.provenance,
            read.files.len()
        ));
        ctx.advisory_namespace = input
            .namespace
            .clone()
            .unwrap_or_else(|| "wolfi".to_string());
        let before: BTreeMap<String, (u64, u64)> = ctx
            .stats
            .iter()
            .map(|(k, v)| (k.clone(), (v.records, v.warning_count)))
            .collect();
        for file in &read.files {
            load_file(file, input.kind, &mut ctx)?;
        }
        let touched: Vec<String> = ctx
            .stats
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(&(v.records, v.warning_count)))
            .map(|(k, _)| k.clone())
            .collect();
        let input_warnings: Vec<String> = read
            .warnings
            .iter()
            .cloned()
            .chain(read.incomplete.clone())
            .collect();
        if touched.is_empty() {
            ctx.loose_warnings.extend(input_warnings.iter().cloned());
        }
        for name in &touched {
            origins.entry(name.clone()).or_default().push((
                input.provenance.clone(),
                read.checksum.clone(),
                input.etag.clone(),
            ));
            if let Some(stats) = ctx.stats.get_mut(name) {
                for w in &input_warnings {
                    stats.warning_count += 1;
                    stats.warnings.push(w.clone());
                }
            }
            if read.incomplete.is_some() {
                incomplete.insert(name.clone());
            }
        }
    }

    let built_at = options
        .now
        .or_else(|| ctx.stats.values().filter_map(|s| s.data_time).max())
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
    let mut summaries = Vec::new();
    for (name, stats) in &ctx.stats {
        let inputs = origins.get(name).cloned().unwrap_or_default();
        let join = |parts: Vec<String>| (!parts.is_empty()).then(|| parts.join("; "));
        let provenance = join(inputs.iter().map(|i| i.0.clone()).collect()).unwrap_or_default();
        let kind = stats.kind.iter().copied().collect::<Vec<_>>().join("+");
        writer.source(&SourceRecord {
            name: name.clone(),
            kind: kind.clone(),
            provenance: provenance.clone(),
            checksum: join(inputs.iter().map(|i| i.1.clone()).collect()),
            etag: join(inputs.iter().filter_map(|i| i.2.clone()).collect()),
            records: stats.records,
            warnings: stats.warning_count,
            built_at: built_at.clone(),
            data_time: stats
                .data_time
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        })?;
        summaries.push(SourceSummary {
            name: name.clone(),
            kind,
            records: stats.records,
            warnings: stats.warnings.clone(),
            warning_count: stats.warning_count,
            provenance,
            complete: !incomplete.contains(name),
        });
    }
    if let Some(b) = &built_at {
        writer.meta("built_at", b)?;
    }
    let loose = std::mem::take(&mut ctx.loose_warnings);
    let skipped = ctx.skipped;
    drop(ctx);
    progress("indexing");
    writer.finish()?;

    let replace_err = |source| VulnError::Replace {
        path: target.to_path_buf(),
        source,
    };
    std::fs::File::open(&temp)
        .and_then(|f| f.sync_all())
        .map_err(replace_err)?;
    std::fs::rename(&temp, target).map_err(replace_err)?;
    guard.armed = false;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    let store_bytes = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    progress("done");
    Ok(BuildSummary {
        path: target.to_path_buf(),
        sources: summaries,
        warnings: loose,
        skipped_files: skipped,
        built_at,
        store_bytes,
    })
}
