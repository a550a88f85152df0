//! Command-line definitions (clap derive). Raw input only; commands validate and resolve it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Who must fix what in a container image: inventory, vulnerabilities, responsibility,
/// hardening (CHP), end of life and SLA clocks.
#[derive(Debug, Parser)]
#[command(name = "onus", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Do not draw progress bars (also: ONUS_NO_PROGRESS=1).
    #[arg(long, global = true, env = "ONUS_NO_PROGRESS", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_progress: bool,
    /// Print nothing on stderr except errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inventory an image: every package, the layer that introduced it and its owner.
    #[command(
        after_help = "Examples:\n  onus sbom cgr.dev/chainguard/python:latest\n  onus sbom oci-dir:./image --format cyclonedx-json -o sbom.cdx.json\n  onus sbom docker-archive:app.tar --platform linux/arm64"
    )]
    Sbom(SbomArgs),
    /// Full scan: inventory, vulnerabilities, who must act, CHP level, EOL and SLA.
    #[command(
        after_help = "Examples:\n  onus scan registry:ghcr.io/acme/app:1.4 --base cgr.dev/chainguard/python:latest\n  onus scan oci-dir:./image --base-layers 1 --format html -o report.html\n  onus scan sbom:app.spdx.json --fail-on-party vendor --fail-on-severity high"
    )]
    Scan(Box<ScanArgs>),
    /// Match an SBOM (onus, CycloneDX or SPDX JSON) against the vulnerability store.
    #[command(
        after_help = "Examples:\n  onus match sbom.cdx.json --format json\n  onus match sbom.spdx.json --vex vendor.openvex.json --fail-on-severity critical"
    )]
    Match(MatchArgs),
    /// What changed between two images: components, findings and their moves, CHP, EOL, layers.
    #[command(
        after_help = "Examples:\n  onus diff ghcr.io/acme/app:1.4 ghcr.io/acme/app:1.5\n  onus diff oci-dir:./old oci-dir:./new --format markdown > diff.md"
    )]
    Diff(Box<DiffArgs>),
    /// Find image references in Dockerfiles, Kubernetes, Compose and Actions files; pin them.
    #[command(
        after_help = "Examples:\n  onus pin . --check\n  onus pin Dockerfile deploy/ --write\n  onus pin . --update --format json"
    )]
    Pin(PinArgs),
    /// Build, update and inspect the local vulnerability store.
    #[command(
        subcommand,
        after_help = "Examples:\n  onus db update\n  onus db build --from examples/feeds --db example.db\n  onus db status --format json"
    )]
    Db(DbCommand),
    /// Container Hardening Policy level (CHP 0-5) with the blockers to the next level.
    #[command(
        after_help = "Examples:\n  onus chp oci-dir:./image\n  onus chp cgr.dev/chainguard/nginx:latest --runtime deploy/pod.yaml --format json"
    )]
    Chp(ChpArgs),
    /// End-of-life state of the distribution, runtimes and packages in an image.
    #[command(
        after_help = "Examples:\n  onus eol oci-dir:./image --now 2026-11-29\n  onus eol docker-archive:app.tar --format json"
    )]
    Eol(EolArgs),
    /// Validate or export vendor advisory documents.
    #[command(
        subcommand,
        after_help = "Examples:\n  onus advisory validate advisories/\n  onus advisory export --to openvex advisories/ > vex.json"
    )]
    Advisory(AdvisoryCommand),
    /// Remediation SLA clocks and time-to-fix over an advisory history.
    #[command(
        subcommand,
        after_help = "Examples:\n  onus sla report --advisories advisories/ --now 2026-11-29\n  onus sla report --advisories advisories/ --fleet images/ --format markdown"
    )]
    Sla(SlaCommand),
    /// The fleet service: keep every image's findings current and say whose move they are.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  onus serve token create --scope admin --name ops\n  onus serve --listen 127.0.0.1:8080 --data sqlite:fleet.db --db vuln.db\n  onus serve --data postgres://onus@db.internal/fleet --webhook https://hooks.example/onus\n  ONUS_TOKEN=... onus scan IMAGE --submit http://127.0.0.1:8080"
    )]
    Serve(Box<ServeArgs>),
    /// Print a shell completion script (`onus completions bash > /etc/bash_completion.d/onus`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the onus(1) man page (`onus man > onus.1`).
    Man,
}

/// Where the fleet lives.
#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    /// `sqlite:PATH` (embedded, the default: the user data directory, `onus/fleet.db`) or
    /// `postgres://USER@HOST:PORT/DB` (shared by several servers).
    #[arg(long, value_name = "URL", env = "ONUS_DATA")]
    pub data: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub command: Option<ServeCommand>,
    /// Address to listen on (port 0 picks a free port; the address is printed on stderr).
    #[arg(
        long,
        value_name = "ADDR",
        env = "ONUS_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub db: DbArgs,
    /// Assess at this fixed time instead of the clock (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// How often to look for a rebuilt store and queued re-match jobs.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub poll: std::time::Duration,
    /// Re-assess every image this often, so SLA clocks that breach with time are seen
    /// (`0` turns it off).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub recheck_every: std::time::Duration,
    /// Run `onus db update` this often (default: only on `POST /api/v1/feeds/update`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub update_every: Option<std::time::Duration>,
    /// Fetch feeds from a mirror laid out like the public sources (`<URL>/<host>/<path>`).
    #[arg(long, value_name = "URL", env = "ONUS_FEED_MIRROR")]
    pub mirror: Option<String>,
    /// POST new critical or known-exploited findings and breached clocks here (repeatable).
    #[arg(long, value_name = "URL")]
    pub webhook: Vec<String>,
    /// The key of the webhooks' HMAC-SHA256 signature header (`X-Onus-Signature-256`).
    #[arg(
        long,
        value_name = "SECRET",
        env = "ONUS_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub webhook_secret: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The largest request body accepted (K, M, G suffixes).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_bytes)]
    pub max_body: u64,
    /// Requests per second per token (bursts of twice as many).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub rate_limit: u32,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (the only time it is shown).
    Create {
        /// What the token may do (`admin` implies the others).
        #[arg(long, value_enum, value_delimiter = ',', required = true)]
        scope: Vec<ScopeArg>,
        /// A name to recognise it by.
        #[arg(long, default_value = "")]
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ScopeArg {
    Read,
    Submit,
    Admin,
}

/// `500ms`, `2s`, `5m`, `6h`, `1d`, or a number of seconds.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (like 500ms, 2s, 6h)"))?;
    let seconds = |factor: u64| {
        value
            .checked_mul(factor)
            .map(std::time::Duration::from_secs)
            .ok_or_else(|| format!("`{text}` is too long"))
    };
    match unit {
        "ms" => Ok(std::time::Duration::from_millis(value)),
        "" | "s" => seconds(1),
        "m" => seconds(60),
        "h" => seconds(3600),
        "d" => seconds(86_400),
        _ => Err(format!("`{text}` has an unknown unit (ms, s, m, h, d)")),
    }
}

/// A byte size with K, M, G suffixes.
fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (digits, shift) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    let value: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size (like 256M or 2G)"))?;
    value
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{text}` is out of range"))
}

/// How to read the image.
#[derive(Debug, Args, Clone)]
pub struct SourceArgs {
    /// The image: `registry:REF` (or a bare reference such as `cgr.dev/chainguard/nginx:latest`
    /// when no such path exists), `oci-dir:PATH`, `oci-archive:PATH`, `docker-archive:PATH`,
    /// `dir:PATH`, or a path whose kind is detected.
    pub source: String,
    /// Platform to pick from a multi-platform index (default linux/amd64).
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Memory for the file view and the content kept for catalogers (default 256M; K, M, G
    /// suffixes). An image that needs more is refused with a message, never killed.
    #[arg(long, value_name = "SIZE", env = "ONUS_MAX_MEMORY", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `1048576`, `512K`, `256M`, `2G` (binary units; an optional `iB`/`B` suffix is accepted).
fn parse_size(text: &str) -> Result<u64, String> {
    Some(parse_bytes(text)?)
        .filter(|v| *v >= 32 << 20)
        .ok_or_else(|| format!("`{text}` is out of range (at least 32M)"))
}

/// How to reach registries (every command that reads an image or resolves a reference).
#[derive(Debug, Args, Clone, Default)]
pub struct RegistryArgs {
    /// A CA certificate (PEM) to trust for registries, besides the system's and
    /// `/etc/docker/certs.d/HOST:PORT/*.crt` (also `ONUS_REGISTRY_CA`).
    #[arg(long, value_name = "FILE")]
    pub registry_ca: Vec<PathBuf>,
    /// Reach this registry (`HOST[:PORT]`) over plain HTTP.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub insecure_registry: Vec<String>,
    /// Keep registry blobs in this content-addressed cache, so layers shared between images
    /// are fetched once (also `ONUS_CACHE`). Without it nothing is written to disk.
    #[arg(long, value_name = "DIR", env = "ONUS_CACHE")]
    pub cache: Option<PathBuf>,
}

/// Where to write the output.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Write the output to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Which store to use.
#[derive(Debug, Args, Clone)]
pub struct DbArgs {
    /// The vulnerability store (default: the user cache directory, `onus/vuln.db`).
    #[arg(long, value_name = "PATH", env = "ONUS_DB")]
    pub db: Option<PathBuf>,
    /// Warn when the store is older than this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 5)]
    pub max_db_age: u32,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SbomFormat {
    Json,
    CyclonedxJson,
    SpdxJson,
    Table,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long, short, value_enum, default_value_t = SbomFormat::Json)]
    pub format: SbomFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ScanFormat {
    Table,
    Json,
    Sarif,
    Openvex,
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum KindArg {
    Application,
    Base,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PartyArg {
    Customer,
    Vendor,
    Upstream,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

/// Options shared by the commands that match vulnerabilities.
#[derive(Debug, Args, Clone)]
pub struct MatchingArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// OpenVEX documents whose statements apply like vendor advisories.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Also list vulnerabilities that are fixed at the installed version.
    #[arg(long)]
    pub show_fixed: bool,
    /// Fail (exit 1) when an open finding belongs to this party.
    #[arg(long, value_enum)]
    pub fail_on_party: Option<PartyArg>,
    /// Fail (exit 1) when an open finding is at least this severe.
    #[arg(long, value_enum)]
    pub fail_on_severity: Option<SeverityArg>,
    /// The date and time to evaluate EOL and SLA clocks at (RFC 3339 or YYYY-MM-DD; default: now).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct ScanArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The vendor's base image or SBOM this image was built on.
    #[arg(long, value_name = "SOURCE")]
    pub base: Option<String>,
    /// The number of bottom layers that come from the vendor's base image.
    #[arg(long, value_name = "N")]
    pub base_layers: Option<usize>,
    /// Override the image kind (default: decided from the entrypoint).
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Extra tier rules (YAML) added to the built-in table.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Kubernetes or Compose manifest that runs this image (for the read-only root check).
    #[arg(long, value_name = "FILE")]
    pub runtime: Option<PathBuf>,
    #[command(flatten)]
    pub matching: MatchingArgs,
    #[arg(long, short, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also send the report to a fleet service (`onus serve`) at this URL, with the token in
    /// `ONUS_TOKEN`.
    #[arg(long, value_name = "URL")]
    pub submit: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MatchFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// The SBOM file (onus JSON, CycloneDX JSON or SPDX JSON).
    pub sbom: PathBuf,
    #[command(flatten)]
    pub matching: MatchingArgs,
    #[arg(long, short, value_enum, default_value_t = MatchFormat::Table)]
    pub format: MatchFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Build the store from local feed files and directories.
    Build {
        /// Feed files or directories (advisories, secdb, OSV, Debian tracker, severities, KEV, EOL).
        #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
        from: Vec<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Fetch every public feed (OSV per ecosystem, Alpine/Wolfi/Chainguard secdb, Debian,
    /// KEV, endoflife.date, NVD severities) and swap the store atomically.
    Update {
        /// Feed list (JSON); default: the built-in list of upstream URLs.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Never fetch: build from the copies cached by the last update, or fail.
        #[arg(long)]
        offline: bool,
        /// Fetch from a mirror laid out like the public sources (`<URL>/<host>/<path>`).
        #[arg(long, value_name = "URL", env = "ONUS_FEED_MIRROR")]
        mirror: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Show each source's provenance, record count and age.
    Status {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, short, value_enum, default_value_t = MatchFormat::Table)]
        format: MatchFormat,
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ChpArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Kubernetes or Compose manifest that runs this image.
    #[arg(long, value_name = "FILE")]
    pub runtime: Option<PathBuf>,
    #[arg(long, short, value_enum, default_value_t = MatchFormat::Table)]
    pub format: MatchFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct EolArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub db: DbArgs,
    /// endoflife.date products.json to use instead of the store's copy.
    #[arg(long, value_name = "FILE")]
    pub eol_data: Option<PathBuf>,
    /// The date to evaluate at (YYYY-MM-DD or RFC 3339; default: today).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    #[arg(long, short, value_enum, default_value_t = MatchFormat::Table)]
    pub format: MatchFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    Secdb,
    Osv,
    Openvex,
}

#[derive(Debug, Subcommand)]
pub enum AdvisoryCommand {
    /// Check advisory documents (a file, a directory or a .tar.zst of them).
    Validate {
        path: PathBuf,
        /// endoflife.date products.json, to flag fix-not-planned on supported packages.
        #[arg(long, value_name = "FILE")]
        eol_data: Option<PathBuf>,
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
        #[arg(long, short, value_enum, default_value_t = MatchFormat::Table)]
        format: MatchFormat,
    },
    /// Derive scanner feeds from advisory documents.
    Export {
        #[arg(long, value_enum)]
        to: ExportFormat,
        path: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SlaFormat {
    Table,
    Json,
    Csv,
    Markdown,
    Html,
}

#[derive(Debug, Subcommand)]
pub enum SlaCommand {
    /// Time to fix, SLA shares and open advisories over a vendor's advisory history.
    Report {
        /// Advisory documents: a directory or a .tar.zst of `*.advisories.yaml`.
        #[arg(long, value_name = "PATH")]
        advisories: PathBuf,
        /// A directory of onus SBOM or report JSON files (the vendor's fleet).
        #[arg(long, value_name = "DIR")]
        fleet: Option<PathBuf>,
        /// SLA policy file (YAML); default: the documented built-in policy.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
        /// Severities come from this store when given.
        #[arg(long, value_name = "PATH", env = "ONUS_DB")]
        db: Option<PathBuf>,
        #[arg(long, short, value_enum, default_value_t = SlaFormat::Table)]
        format: SlaFormat,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DiffFormatArg {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The image in use (any source, a registry reference included).
    pub from: String,
    /// The candidate: a newer build, another tag, a rebuilt base.
    pub to: String,
    /// Platform to pick from a multi-platform index, for both images (default linux/amd64).
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Memory for each image's file view and kept content (default 256M).
    #[arg(long, value_name = "SIZE", env = "ONUS_MAX_MEMORY", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The number of bottom layers that come from the vendor's base image, for both.
    #[arg(long, value_name = "N")]
    pub base_layers: Option<usize>,
    #[command(flatten)]
    pub db: DbArgs,
    /// OpenVEX documents whose statements apply like vendor advisories.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// The date and time to evaluate EOL and SLA clocks at (RFC 3339 or YYYY-MM-DD; default: now).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    #[arg(long, short, value_enum, default_value_t = DiffFormatArg::Table)]
    pub format: DiffFormatArg,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Files or directories (Dockerfile*, Containerfile*, *.yaml, *.yml).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Exit 1 when a reference is not pinned by digest.
    #[arg(long, conflicts_with_all = ["write", "update"])]
    pub check: bool,
    /// Resolve each unpinned tag to its current digest and rewrite it as `name:tag@sha256:…`.
    #[arg(long)]
    pub write: bool,
    /// Also re-resolve pinned `name:tag@sha256:…` references and update those whose tag moved.
    #[arg(long)]
    pub update: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[arg(long, short, value_enum, default_value_t = MatchFormat::Table)]
    pub format: MatchFormat,
}
