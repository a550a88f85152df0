//! Finding image references in the files that name them, line by line so that a rewrite keeps
//! every comment and all formatting.
//!
//! - Dockerfiles / Containerfiles: `FROM [--platform=…] IMAGE [AS name]` (stage names and
//!   `scratch` skipped; `${VAR}` / `$VAR` expanded from `ARG` defaults), `COPY --from=IMAGE`,
//!   `RUN --mount=…,from=IMAGE` (a stage name or index there is not an image).
//! - YAML (Kubernetes, Compose, GitHub Actions): every `image:` scalar (any pod-spec location,
//!   Compose services, Actions `container.image` and `services.*.image`), the scalar form of
//!   Actions `container: IMAGE`, and `uses: docker://IMAGE`. Documents separated by `---` are
//!   all read.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// Where in its file a reference was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefKind {
    From,
    CopyFrom,
    RunMount,
    Image,
    Container,
    DockerAction,
}

/// One image reference in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// 1-based line of the text to rewrite (the `ARG` default when the reference came from it).
    pub line: usize,
    pub kind: RefKind,
    /// The reference as the tool would pull it (variables expanded).
    pub reference: String,
    /// Byte range of the reference in its line when it is written there literally; `None` when
    /// it is assembled from variables and cannot be rewritten in one place.
    #[serde(skip)]
    pub span: Option<(usize, usize)>,
}

/// What kind of file `name` (a file name, not a path) is, if one that names images.
pub fn file_kind(name: &str) -> Option<FileKind> {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("dockerfile")
        || lower.starts_with("containerfile")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
    {
        Some(FileKind::Dockerfile)
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        Some(FileKind::Yaml)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Dockerfile,
    Yaml,
}

/// Find the references of a file of `kind`.
pub fn find(kind: FileKind, text: &str) -> Vec<Found> {
    match kind {
        FileKind::Dockerfile => dockerfile(text),
        FileKind::Yaml => yaml(text),
    }
}

/// A logical Dockerfile instruction: its first physical line and its words with their offsets
/// in that line (continuation lines are joined; offsets are only kept on the first line).
struct Instruction<'a> {
    line: usize,
    /// Its physical lines (comment lines inside a continuation included).
    raw: Vec<&'a str>,
    /// The joined instruction text.
    joined: String,
}

impl Instruction<'_> {
    /// The 1-based line and byte range where `word` is written, after the keyword.
    fn locate(&self, word: &str) -> Option<(usize, (usize, usize))> {
        self.raw.iter().enumerate().find_map(|(i, line)| {
            // Skip the keyword on the first line so `FROM from` cannot match it.
            let skip = if i == 0 {
                line.len() - line.trim_start().len() + 4
            } else {
                0
            };
            let at = line.get(skip..)?.find(word)? + skip;
            Some((self.line + i, (at, at + word.len())))
        })
    }
}

fn instructions(text: &str) -> Vec<Instruction<'_>> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let mut joined = String::new();
        let start = i;
        loop {
            let line = lines[i];
            let body = line.trim_end();
            if let Some(cont) = body.strip_suffix('\\') {
                joined.push_str(cont);
                joined.push(' ');
                i += 1;
                // Comment lines inside a continuation are dropped, as the builder does.
                while i < lines.len() && lines[i].trim_start().starts_with('#') {
                    i += 1;
                }
                if i >= lines.len() {
                    break;
                }
            } else {
                joined.push_str(body);
                i += 1;
                break;
            }
        }
        out.push(Instruction {
            line: start + 1,
            raw: lines[start..i].to_vec(),
            joined,
        });
    }
    out
}

/// Expand `$VAR`, `${VAR}` and `${VAR:-default}` from `args`; `None` when a variable is unknown.
fn expand(value: &str, args: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let braced = chars.peek() == Some(&'{');
        if braced {
            chars.next();
        }
        let mut name = String::new();
        let mut default: Option<String> = None;
        while let Some(&n) = chars.peek() {
            if braced && n == '}' {
                chars.next();
                break;
            }
            if braced && n == ':' {
                chars.next();
                if chars.peek() == Some(&'-') {
                    chars.next();
                }
                let mut d = String::new();
                for n in chars.by_ref() {
                    if n == '}' {
                        break;
                    }
                    d.push(n);
                }
                default = Some(d);
                break;
            }
            if !(braced || n.is_ascii_alphanumeric() || n == '_') {
                break;
            }
            name.push(n);
            chars.next();
        }
        match args
            .get(&name)
            .filter(|v| !v.is_empty())
            .cloned()
            .or(default)
        {
            Some(v) => out.push_str(&v),
            None => return None,
        }
    }
    Some(out)
}

fn dockerfile(text: &str) -> Vec<Found> {
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    // Where each ARG default is written, for references taken whole from one.
    let mut arg_at: BTreeMap<String, (usize, (usize, usize))> = BTreeMap::new();
    let mut stages: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for ins in instructions(text) {
        let words: Vec<&str> = ins.joined.split_whitespace().collect();
        let Some(keyword) = words.first() else {
            continue;
        };
        match keyword.to_ascii_uppercase().as_str() {
            "ARG" => {
                for word in &words[1..] {
                    if let Some((name, value)) = word.split_once('=') {
                        let value = value.trim_matches(['"', '\'']);
                        args.insert(name.to_string(), value.to_string());
                        if let Some(at) = ins.locate(value).filter(|_| !value.is_empty()) {
                            arg_at.insert(name.to_string(), at);
                        }
                    }
                }
            }
            "FROM" => {
                let rest: Vec<&str> = words[1..]
                    .iter()
                    .copied()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let Some(image) = rest.first() else { continue };
                if let (Some(as_kw), Some(name)) = (rest.get(1), rest.get(2)) {
                    if as_kw.eq_ignore_ascii_case("as") {
                        stages.insert(name.to_ascii_lowercase());
                    }
                }
                push_ref(
                    &mut out,
                    &ins,
                    image,
                    RefKind::From,
                    &args,
                    &arg_at,
                    &stages,
                );
            }
            "COPY" | "ADD" => {
                for word in &words[1..] {
                    if let Some(from) = word.strip_prefix("--from=") {
                        push_ref(
                            &mut out,
                            &ins,
                            from,
                            RefKind::CopyFrom,
                            &args,
                            &arg_at,
                            &stages,
                        );
                    }
                }
            }
            "RUN" => {
                for word in &words[1..] {
                    if let Some(mount) = word.strip_prefix("--mount=") {
                        for option in mount.split(',') {
                            if let Some(from) = option.strip_prefix("from=") {
                                push_ref(
                                    &mut out,
                                    &ins,
                                    from,
                                    RefKind::RunMount,
                                    &args,
                                    &arg_at,
                                    &stages,
                                );
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn push_ref(
    out: &mut Vec<Found>,
    ins: &Instruction<'_>,
    written: &str,
    kind: RefKind,
    args: &BTreeMap<String, String>,
    arg_at: &BTreeMap<String, (usize, (usize, usize))>,
    stages: &BTreeSet<String>,
) {
    let written = written.trim_matches(['"', '\'']);
    if written.eq_ignore_ascii_case("scratch")
        || stages.contains(&written.to_ascii_lowercase())
        || written.bytes().all(|b| b.is_ascii_digit())
    {
        return;
    }
    let Some(reference) = expand(written, args) else {
        return;
    };
    if reference.eq_ignore_ascii_case("scratch") || stages.contains(&reference.to_ascii_lowercase())
    {
        return;
    }
    // `FROM $BASE` / `FROM ${BASE}`: the pin belongs in the ARG default.
    let whole_var = written
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .or_else(|| written.strip_prefix('$'))
        .filter(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    let (line, span) = match whole_var {
        Some(var) => match arg_at.get(var) {
            Some((line, span)) => (*line, Some(*span)),
            None => (ins.line, None),
        },
        None if written.contains('$') => (ins.line, None),
        None => match ins.locate(written) {
            Some((line, span)) => (line, Some(span)),
            None => (ins.line, None),
        },
    };
    out.push(Found {
        line,
        kind,
        reference,
        span,
    });
}

/// The scalar after `key:` on a YAML line (quotes removed, a trailing comment dropped), with its
/// byte range; `None` when the value is not a plain scalar (a mapping follows, a template).
fn yaml_scalar<'l>(line: &'l str, key: &str) -> Option<(&'l str, (usize, usize))> {
    let trimmed = line.trim_start();
    let body = trimmed
        .strip_prefix("- ")
        .map(str::trim_start)
        .unwrap_or(trimmed);
    let after = body.strip_prefix(key)?.strip_prefix(':')?;
    let offset = line.len() - after.len();
    let value_start = offset + (after.len() - after.trim_start().len());
    let rest = &line[value_start..];
    let (value, start) = if let Some(q) = rest.strip_prefix(['"', '\'']) {
        let quote = rest.as_bytes()[0] as char;
        let end = q.find(quote)?;
        (&q[..end], value_start + 1)
    } else {
        let end = rest.find(" #").unwrap_or(rest.len());
        (rest[..end].trim_end(), value_start)
    };
    if value.is_empty()
        || value.starts_with(['{', '[', '|', '>', '&', '*'])
        // Helm and Actions expressions (`{{ … }}`, `${{ … }}`) are templates, not references.
        || value.contains("{{")
    {
        return None;
    }
    Some((value, (start, start + value.len())))
}

fn yaml(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let found = yaml_scalar(line, "image")
            .map(|v| (v, RefKind::Image))
            .or_else(|| yaml_scalar(line, "container").map(|v| (v, RefKind::Container)))
            .or_else(|| {
                yaml_scalar(line, "uses").and_then(|(value, (s, e))| {
                    value
                        .strip_prefix("docker://")
                        .map(|image| ((image, (s + 9, e)), RefKind::DockerAction))
                })
            });
        if let Some(((value, span), kind)) = found {
            if onus_registry::Reference::parse(value).is_ok() {
                out.push(Found {
                    line: i + 1,
                    kind,
                    reference: value.to_string(),
                    span: Some(span),
                });
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn refs(kind: FileKind, text: &str) -> Vec<(usize, String, bool)> {
        find(kind, text)
            .into_iter()
            .map(|f| (f.line, f.reference, f.span.is_some()))
            .collect()
    }

    #[test]
    fn dockerfile_stages_args_copy_and_mounts() {
        let text = r#"# syntax=docker/dockerfile:1
ARG BASE=cgr.dev/chainguard/python:latest-dev
ARG GO_VERSION=1.22
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
RUN --mount=type=cache,target=/root/.cache \
    --mount=type=bind,from=ghcr.io/acme/tools:v1,target=/tools \
    go build ./...
FROM ${BASE} as app
COPY --from=build /out /app
COPY --from=docker.io/library/busybox:1.36 /bin/busybox /bin/
COPY --from=0 /x /y
FROM scratch
FROM app
"#;
        let found = refs(FileKind::Dockerfile, text);
        assert_eq!(
            found,
            vec![
                (4, "golang:1.22".to_string(), false),
                (6, "ghcr.io/acme/tools:v1".to_string(), true),
                (2, "cgr.dev/chainguard/python:latest-dev".to_string(), true),
                (10, "docker.io/library/busybox:1.36".to_string(), true),
            ]
        );
    }

    #[test]
    fn yaml_kubernetes_compose_and_actions() {
        let text = r#"apiVersion: v1
kind: Pod
spec:
  initContainers:
    - name: init
      image: "busybox:1.36" # pinned later
  containers:
    - image: nginx
      name: web
---
services:
  db:
    image: 'postgres:16'
  app:
    image: ${APP_IMAGE}
jobs:
  test:
    container: node:20
    services:
      redis:
        image: redis:7
    steps:
      - uses: docker://alpine:3.20
      - uses: actions/checkout@v4
  other:
    container:
      image: ghcr.io/acme/ci:latest
"#;
        let found = refs(FileKind::Yaml, text);
        let names: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
        assert_eq!(
            names,
            [
                "busybox:1.36",
                "nginx",
                "postgres:16",
                "node:20",
                "redis:7",
                "alpine:3.20",
                "ghcr.io/acme/ci:latest"
            ]
        );
        let busybox = &find(FileKind::Yaml, text)[0];
        let line = text.lines().nth(busybox.line - 1).unwrap();
        let (s, e) = busybox.span.unwrap();
        assert_eq!(&line[s..e], "busybox:1.36");
    }
}
