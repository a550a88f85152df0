//! RPM databases, read without librpm: SQLite (`rpmdb.sqlite`, rpm ≥ 4.16's default), Berkeley
//! DB hash files (`Packages`, RHEL ≤ 8, CentOS 7, Amazon Linux 2) and NDB (`Packages.db`,
//! SUSE). The three hold the same thing, one header blob per installed package; only the way to
//! find the blobs differs. Every offset, length and count read from the file is checked against
//! the bytes there and against fixed caps: a corrupt or hostile database is an unknown, never a
//! panic or an unbounded allocation.

use std::borrow::Cow;

use onus_inventory::{make_purl, Component, Ecosystem, OsInfo};

use crate::{Cataloger, Ctx, Parsed};

/// Where rpm keeps its database: the classic directory and the one Fedora ≥ 36 and openSUSE
/// moved it to (`/var/lib/rpm` is then a link to it).
const DB_DIRS: [&str; 2] = ["/var/lib/rpm/", "/usr/lib/sysimage/rpm/"];

/// The database backend, from the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpmBackend {
    Sqlite,
    BerkeleyDb,
    Ndb,
}

/// The backend whose database lives at `path`, if it is one.
pub fn rpm_database_at(path: &str) -> Option<RpmBackend> {
    let name = DB_DIRS.iter().find_map(|dir| path.strip_prefix(dir))?;
    match name {
        "rpmdb.sqlite" => Some(RpmBackend::Sqlite),
        "Packages" => Some(RpmBackend::BerkeleyDb),
        "Packages.db" => Some(RpmBackend::Ndb),
        _ => None,
    }
}

/// More packages than any distribution installs; a database claiming more is hostile.
const MAX_PACKAGES: usize = 100_000;
/// Largest header blob read (rpm's own limit on header data is 256 MiB; real headers of large
/// packages are a few MiB).
const MAX_BLOB: usize = 32 << 20;
/// rpm's `HEADER_TAGS_MAX`: the most index entries a header may have.
const MAX_TAGS: usize = 0xffff;
/// Files listed per package; more are cut (the package itself stays).
const MAX_FILES: usize = 200_000;

/// The header blobs of every package in a database, in database order.
pub fn read_rpm_database(backend: RpmBackend, bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    match backend {
        RpmBackend::Sqlite => sqlite_blobs(bytes),
        RpmBackend::BerkeleyDb => bdb_blobs(bytes),
        RpmBackend::Ndb => ndb_blobs(bytes),
    }
}

// ---------------------------------------------------------------------------------------------
// SQLite

/// Largest SQLite database read.
const MAX_SQLITE_BYTES: usize = 1 << 30;

fn sqlite_blobs(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    use rusqlite::{Connection, OpenFlags, OptionalExtension, MAIN_DB};
    if bytes.len() < 100 || !bytes.starts_with(b"SQLite format 3\0") {
        return Err("not an SQLite database".into());
    }
    // SQLite sizes are C ints; real rpm databases are tens of MiB.
    if bytes.len() > MAX_SQLITE_BYTES {
        return Err(format!(
            "SQLite database of {} bytes is larger than the {MAX_SQLITE_BYTES}-byte cap",
            bytes.len()
        ));
    }
    let mut image = bytes.to_vec();
    // rpm keeps the database in WAL mode (file format bytes 2/2); an in-memory database cannot
    // have a write-ahead log, so the copy says rollback journal (1/1). A WAL file beside the
    // database is not read: rpm checkpoints it when the transaction ends.
    if image[18] == 2 && image[19] == 2 {
        image[18] = 1;
        image[19] = 1;
    }
    let sql_error = |e: rusqlite::Error| format!("SQLite: {e}");
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql_error)?;
    // A database from an image is hostile: no schema-defined functions or triggers run, and
    // corrupt cells are reported rather than followed.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
        .map_err(sql_error)?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA,
        false,
    )
    .map_err(sql_error)?;
    let len = image.len();
    conn.deserialize_read_exact(MAIN_DB, image.as_slice(), len, true)
        .map_err(sql_error)?;
    drop(image);
    conn.execute_batch("PRAGMA cell_size_check = ON; PRAGMA query_only = ON;")
        .map_err(sql_error)?;
    // `Packages` must be the table rpm creates: a view could compute rows without end (and an
    // ORDER BY would sort them all first); a table scan streams in rowid order, under the caps.
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = 'Packages'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql_error)?;
    if kind.as_deref() != Some("table") {
        return Err("the database has no `Packages` table".into());
    }
    let mut statement = conn
        .prepare("SELECT blob FROM Packages")
        .map_err(sql_error)?;
    let mut rows = statement.query([]).map_err(sql_error)?;
    let mut blobs = Vec::new();
    while let Some(row) = rows.next().map_err(sql_error)? {
        let blob = row.get_ref(0).map_err(sql_error)?;
        let blob = blob
            .as_blob()
            .map_err(|_| "a Packages row's blob is not a BLOB".to_string())?;
        push_blob(&mut blobs, Cow::Borrowed(blob))?;
    }
    Ok(blobs)
}

/// Add one header blob within the caps (a borrowed blob is copied only once it fits).
fn push_blob(blobs: &mut Vec<Vec<u8>>, blob: Cow<'_, [u8]>) -> Result<(), String> {
    if blobs.len() >= MAX_PACKAGES {
        return Err(format!("more than {MAX_PACKAGES} packages"));
    }
    if blob.len() > MAX_BLOB {
        return Err(format!(
            "a header of {} bytes is larger than the {MAX_BLOB}-byte cap",
            blob.len()
        ));
    }
    blobs.push(blob.into_owned());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Berkeley DB hash

const BDB_HASH_MAGIC: u32 = 0x0006_1561;
const BDB_BTREE_MAGIC: u32 = 0x0005_3162;
const BDB_PAGE_HEADER: usize = 26;
const BDB_PAGE_HASH_UNSORTED: u8 = 2;
const BDB_PAGE_OVERFLOW: u8 = 7;
const BDB_PAGE_HASH: u8 = 13;
const BDB_ITEM_KEYDATA: u8 = 1;
const BDB_ITEM_OFFPAGE: u8 = 3;

/// A fixed-endian reader over one Berkeley DB file (its byte order is the writer's).
struct Bdb<'a> {
    bytes: &'a [u8],
    little_endian: bool,
    page_size: usize,
    pages: usize,
}

impl Bdb<'_> {
    fn u16_at(&self, bytes: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at + 2)?.try_into().ok()?;
        Some(if self.little_endian {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    fn u32_at(&self, bytes: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if self.little_endian {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn page(&self, number: usize) -> Option<&[u8]> {
        if number >= self.pages {
            return None;
        }
        self.bytes
            .get(number * self.page_size..(number + 1) * self.page_size)
    }

    /// The value stored on the overflow pages from `first`, `total` bytes long. The chain is
    /// followed at most once around the file: a page loop ends it as an error.
    fn overflow(&self, first: usize, total: usize) -> Result<Vec<u8>, String> {
        if total > MAX_BLOB {
            return Err(format!(
                "an overflow item of {total} bytes is larger than the {MAX_BLOB}-byte cap"
            ));
        }
        let mut value = Vec::with_capacity(total);
        let mut number = first;
        for _ in 0..self.pages {
            let page = self
                .page(number)
                .ok_or_else(|| format!("overflow page {number} is past the end of the file"))?;
            if page[25] != BDB_PAGE_OVERFLOW {
                return Err(format!("page {number} is not an overflow page"));
            }
            let used = usize::from(self.u16_at(page, 22).unwrap_or(0));
            let data = page
                .get(BDB_PAGE_HEADER..BDB_PAGE_HEADER + used)
                .ok_or_else(|| format!("overflow page {number} claims {used} bytes"))?;
            value.extend_from_slice(data);
            if value.len() > total {
                return Err(format!(
                    "overflow chain from page {first} holds more than its {total} bytes"
                ));
            }
            let next = self.u32_at(page, 16).unwrap_or(0) as usize;
            if next == 0 {
                return if value.len() == total {
                    Ok(value)
                } else {
                    Err(format!(
                        "overflow chain from page {first} ends after {} of {total} bytes",
                        value.len()
                    ))
                };
            }
            number = next;
        }
        Err(format!("overflow chain from page {first} loops"))
    }
}

fn bdb_blobs(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let meta = bytes
        .get(..512)
        .ok_or("too short for a Berkeley DB metadata page")?;
    let magic_le = u32::from_le_bytes([meta[12], meta[13], meta[14], meta[15]]);
    let magic_be = u32::from_be_bytes([meta[12], meta[13], meta[14], meta[15]]);
    let little_endian = match (magic_le, magic_be) {
        (BDB_HASH_MAGIC, _) => true,
        (_, BDB_HASH_MAGIC) => false,
        (BDB_BTREE_MAGIC, _) | (_, BDB_BTREE_MAGIC) => {
            return Err("a Berkeley DB btree, not the hash database rpm writes".into())
        }
        _ => return Err("not a Berkeley DB hash database (bad magic)".into()),
    };
    if meta[24] != 0 {
        return Err("the Berkeley DB database is encrypted".into());
    }
    let mut db = Bdb {
        bytes,
        little_endian,
        page_size: 0,
        pages: 0,
    };
    let page_size = db.u32_at(meta, 20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("invalid Berkeley DB page size {page_size}"));
    }
    let last_page = db.u32_at(meta, 32).unwrap_or(0) as usize;
    db.page_size = page_size;
    db.pages = (bytes.len() / page_size).min(last_page.saturating_add(1));

    let mut blobs = Vec::new();
    for number in 1..db.pages {
        let Some(page) = db.page(number) else { break };
        if !matches!(page[25], BDB_PAGE_HASH | BDB_PAGE_HASH_UNSORTED) {
            continue;
        }
        let entries = usize::from(db.u16_at(page, 20).unwrap_or(0));
        let offset = |i: usize| {
            db.u16_at(page, BDB_PAGE_HEADER + 2 * i)
                .map(usize::from)
                .filter(|&o| o >= BDB_PAGE_HEADER && o < page_size)
        };
        // Entries are key/value pairs; rpm's keys are package numbers, its values headers.
        for pair in 0..entries / 2 {
            let (Some(key_at), Some(value_at)) = (offset(2 * pair), offset(2 * pair + 1)) else {
                return Err(format!("hash page {number} has an entry outside the page"));
            };
            match page[value_at] {
                BDB_ITEM_OFFPAGE => {
                    let first = db.u32_at(page, value_at + 4).unwrap_or(0) as usize;
                    let total = db.u32_at(page, value_at + 8).unwrap_or(0) as usize;
                    push_blob(&mut blobs, Cow::Owned(db.overflow(first, total)?))?;
                }
                BDB_ITEM_KEYDATA => {
                    // Items fill the page from its end in index order: a value ends where the
                    // key before it starts. Small values are rpm's bookkeeping (record 0), not
                    // headers.
                    let value = page.get(value_at + 1..key_at).unwrap_or_default();
                    if value.len() >= 16 {
                        push_blob(&mut blobs, Cow::Borrowed(value))?;
                    }
                }
                other => {
                    return Err(format!(
                        "hash page {number} has an item of type {other} rpm does not write"
                    ))
                }
            }
        }
    }
    Ok(blobs)
}

// ---------------------------------------------------------------------------------------------
// NDB (rpm's own "new database" format, little-endian)

const NDB_HEADER_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const NDB_SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const NDB_BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const NDB_SLOT_PAGE: usize = 4096;
const NDB_BLOCK: usize = 16;
/// The file header takes the first two slots of the first slot page.
const NDB_FIRST_SLOT: usize = 32;

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn ndb_blobs(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if le32(bytes, 0) != Some(NDB_HEADER_MAGIC) {
        return Err("not an rpm NDB database (bad magic)".into());
    }
    let version = le32(bytes, 4).unwrap_or(u32::MAX);
    if version != 0 {
        return Err(format!(
            "NDB version {version} is not the one rpm writes (0)"
        ));
    }
    let slot_pages = le32(bytes, 12).unwrap_or(0) as usize;
    let slots_end = slot_pages
        .checked_mul(NDB_SLOT_PAGE)
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| {
            format!("NDB header claims {slot_pages} slot pages, past the end of the file")
        })?;
    let mut blobs = Vec::new();
    for at in (NDB_FIRST_SLOT..slots_end).step_by(16) {
        let (Some(magic), Some(index), Some(block), Some(blocks)) = (
            le32(bytes, at),
            le32(bytes, at + 4),
            le32(bytes, at + 8),
            le32(bytes, at + 12),
        ) else {
            break;
        };
        if magic != NDB_SLOT_MAGIC {
            return Err(format!("NDB slot at byte {at} has a bad magic"));
        }
        if index == 0 {
            continue; // a free slot
        }
        let start = (block as usize)
            .checked_mul(NDB_BLOCK)
            .ok_or("NDB slot points past the end of the file")?;
        let span = (blocks as usize).saturating_mul(NDB_BLOCK);
        let blob_magic = le32(bytes, start);
        if blob_magic != Some(NDB_BLOB_MAGIC) || le32(bytes, start + 4) != Some(index) {
            return Err(format!(
                "NDB package {index}: no blob where its slot points"
            ));
        }
        let len = le32(bytes, start + 12).unwrap_or(0) as usize;
        if 16 + len > span {
            return Err(format!(
                "NDB package {index}: a blob of {len} bytes does not fit its {span}-byte slot"
            ));
        }
        let data = bytes.get(start + 16..start + 16 + len).ok_or_else(|| {
            format!("NDB package {index}: the blob runs past the end of the file")
        })?;
        push_blob(&mut blobs, Cow::Borrowed(data))?;
    }
    Ok(blobs)
}

// ---------------------------------------------------------------------------------------------
// Header blobs

/// What one installed package's header says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RpmHeader {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: Option<String>,
    /// The source RPM's file name (`openssl-3.0.7-27.el9.src.rpm`).
    pub source_rpm: Option<String>,
    pub license: Option<String>,
    pub vendor: Option<String>,
    pub modularity_label: Option<String>,
    /// Absolute paths of the files the package installed.
    pub files: Vec<String>,
}

impl RpmHeader {
    /// `[epoch:]version-release`, the form rpm and its advisories compare.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(epoch) => format!("{epoch}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// The source package's name, from the source RPM's file name.
    pub fn source_name(&self) -> Option<&str> {
        let stem = self.source_rpm.as_deref()?.strip_suffix(".rpm")?;
        let stem = stem.rsplit_once('.').map_or(stem, |(s, _arch)| s);
        let (rest, _release) = stem.rsplit_once('-')?;
        let (name, _version) = rest.rsplit_once('-')?;
        (!name.is_empty()).then_some(name)
    }
}

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_VENDOR: u32 = 1011;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_OLDFILENAMES: u32 = 1027;
const TAG_SOURCERPM: u32 = 1044;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;
const TAG_MODULARITYLABEL: u32 = 5096;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

struct IndexEntry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: usize,
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Parse an installed package's header blob (as the databases store it: no lead, no magic).
pub fn parse_rpm_header(blob: &[u8]) -> Result<RpmHeader, String> {
    let (Some(tags), Some(data_len)) = (be32(blob, 0), be32(blob, 4)) else {
        return Err("header is shorter than its 8-byte preamble".into());
    };
    let (tags, data_len) = (tags as usize, data_len as usize);
    if tags == 0 || tags > MAX_TAGS {
        return Err(format!("header claims {tags} tags"));
    }
    let data_start = 8 + tags * 16;
    let data = blob
        .get(data_start..data_start.saturating_add(data_len))
        .ok_or_else(|| {
            format!(
                "header claims {tags} tags and {data_len} data bytes, more than its {} bytes",
                blob.len()
            )
        })?;
    let mut entries = Vec::with_capacity(tags);
    for i in 0..tags {
        let at = 8 + i * 16;
        let (Some(tag), Some(kind), Some(offset), Some(count)) = (
            be32(blob, at),
            be32(blob, at + 4),
            be32(blob, at + 8),
            be32(blob, at + 12),
        ) else {
            return Err("header index is cut short".into());
        };
        entries.push(IndexEntry {
            tag,
            kind,
            offset: offset as usize,
            count: count as usize,
        });
    }
    let find = |tag: u32| entries.iter().find(|e| e.tag == tag);
    let string = |tag: u32| -> Result<Option<String>, String> {
        let Some(entry) = find(tag) else {
            return Ok(None);
        };
        if !matches!(
            entry.kind,
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY
        ) {
            return Err(format!("tag {tag} is not a string"));
        }
        // An i18n string's first entry is the untranslated text.
        Ok(strings(data, entry.offset, 1)?.into_iter().next())
    };
    let name = string(TAG_NAME)?
        .filter(|n| !n.is_empty())
        .ok_or("header has no name")?;
    let version = string(TAG_VERSION)?
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("`{name}` has no version"))?;
    let release = string(TAG_RELEASE)?.ok_or_else(|| format!("`{name}` has no release"))?;
    let epoch = match find(TAG_EPOCH) {
        Some(entry) if entry.kind == TYPE_INT32 && entry.count >= 1 => Some(
            be32(data, entry.offset).ok_or_else(|| format!("`{name}`: epoch is past the data"))?,
        ),
        Some(_) => return Err(format!("`{name}`: epoch is not a 32-bit integer")),
        None => None,
    };
    let mut header = RpmHeader {
        epoch,
        arch: string(TAG_ARCH)?,
        source_rpm: string(TAG_SOURCERPM)?,
        license: string(TAG_LICENSE)?,
        vendor: string(TAG_VENDOR)?,
        modularity_label: string(TAG_MODULARITYLABEL)?,
        files: Vec::new(),
        name,
        version,
        release,
    };
    header.files = files(data, &find).map_err(|e| format!("`{}`: {e}", header.name))?;
    Ok(header)
}

/// The package's file paths: `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`, or the old flat list.
fn files<'e>(
    data: &[u8],
    find: &dyn Fn(u32) -> Option<&'e IndexEntry>,
) -> Result<Vec<String>, String> {
    if let (Some(base), Some(dirs), Some(index)) = (
        find(TAG_BASENAMES),
        find(TAG_DIRNAMES),
        find(TAG_DIRINDEXES),
    ) {
        if base.kind != TYPE_STRING_ARRAY
            || dirs.kind != TYPE_STRING_ARRAY
            || index.kind != TYPE_INT32
        {
            return Err("file list tags have the wrong types".into());
        }
        let count = base.count.min(MAX_FILES);
        if index.count < count {
            return Err("fewer directory indexes than file names".into());
        }
        let basenames = strings(data, base.offset, count)?;
        let dirnames = strings(data, dirs.offset, dirs.count.min(MAX_FILES))?;
        let mut out = Vec::with_capacity(count);
        for (i, basename) in basenames.iter().enumerate() {
            let dir = be32(data, index.offset + 4 * i)
                .and_then(|d| dirnames.get(d as usize))
                .ok_or("a directory index points past the directory names")?;
            out.push(format!("{dir}{basename}"));
        }
        return Ok(out);
    }
    match find(TAG_OLDFILENAMES) {
        Some(old) if old.kind == TYPE_STRING_ARRAY => {
            strings(data, old.offset, old.count.min(MAX_FILES))
        }
        _ => Ok(Vec::new()),
    }
}

/// `count` NUL-terminated strings from `offset`; lossy UTF-8 (rpm does not promise an encoding).
fn strings(data: &[u8], offset: usize, count: usize) -> Result<Vec<String>, String> {
    let mut rest = data
        .get(offset..)
        .ok_or_else(|| format!("a string at {offset} is past the data"))?;
    let mut out = Vec::with_capacity(count.min(rest.len()));
    for _ in 0..count {
        let end = memchr::memchr(0, rest).ok_or("a string runs past the data")?;
        out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
        rest = &rest[end + 1..];
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Cataloger

/// `pkg:rpm/<os id>/<name>@<version>-<release>?arch=…&distro=<id>-<version_id>&epoch=…&upstream=<src.rpm>`.
fn rpm_purl(os: Option<&OsInfo>, header: &RpmHeader) -> Result<String, onus_inventory::PurlError> {
    let distro = crate::apk::distro_qualifier(os);
    let epoch = header.epoch.map(|e| e.to_string()).unwrap_or_default();
    make_purl(
        "rpm",
        os.map(|o| o.id.as_str()),
        &header.name,
        &format!("{}-{}", header.version, header.release),
        &[
            ("arch", header.arch.as_deref().unwrap_or("")),
            ("distro", &distro),
            ("epoch", &epoch),
            ("upstream", header.source_rpm.as_deref().unwrap_or("")),
        ],
    )
}

/// Catalogs rpm databases of all three backends.
pub(crate) struct RpmCataloger;

impl Cataloger for RpmCataloger {
    fn name(&self) -> &'static str {
        "rpm-db"
    }

    fn matches(&self, path: &str, _entry: &onus_fs::FileVersion) -> bool {
        rpm_database_at(path).is_some()
    }

    fn parse(&self, ctx: &Ctx<'_>, path: &str, bytes: &[u8], complete: bool) -> Parsed {
        let mut parsed = Parsed::default();
        let Some(backend) = rpm_database_at(path) else {
            return parsed;
        };
        if !complete {
            // A cut database cannot be read at all (its pages point past the cut).
            parsed.unknowns.push(crate::unknown(
                path,
                "rpm database is larger than the capture size cap; its packages were not read",
            ));
            return parsed;
        }
        let blobs = match read_rpm_database(backend, bytes) {
            Ok(blobs) => blobs,
            Err(reason) => {
                parsed
                    .unknowns
                    .push(crate::unknown(path, format!("rpm database: {reason}")));
                return parsed;
            }
        };
        for (i, blob) in blobs.iter().enumerate() {
            match parse_rpm_header(blob) {
                // The keys rpm imports are headers too, not software.
                Ok(header) if header.name == "gpg-pubkey" => {}
                Ok(header) => push_header(ctx, path, header, &mut parsed),
                Err(reason) => parsed.unknowns.push(crate::unknown(
                    path,
                    format!("rpm package header {}: {reason}", i + 1),
                )),
            }
        }
        parsed
    }
}

fn push_header(ctx: &Ctx<'_>, path: &str, header: RpmHeader, parsed: &mut Parsed) {
    let purl = match rpm_purl(ctx.os, &header) {
        Ok(purl) => purl,
        Err(e) => {
            parsed.unknowns.push(crate::unknown(path, e.to_string()));
            return;
        }
    };
    let mut c: Component =
        crate::component(&header.name, &header.evr(), Ecosystem::Rpm, purl, path);
    c.origin = header
        .source_name()
        .map(str::to_string)
        .or_else(|| Some(header.name.clone()));
    c.arch = header.arch.clone();
    if let Some(license) = header
        .license
        .as_deref()
        .and_then(onus_inventory::normalize_license)
    {
        c.metadata.insert("license".into(), license);
    }
    for (key, value) in [
        ("source_rpm", &header.source_rpm),
        ("vendor", &header.vendor),
        ("modularity_label", &header.modularity_label),
    ] {
        if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
            c.metadata.insert(key.into(), value.clone());
        }
    }
    c.files = header.files;
    parsed.components.push(c);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    /// A header blob as rpm stores it: (tag, type, count, data) entries, big-endian.
    fn header(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, count, bytes) in entries {
            if *kind == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            for v in [*tag, *kind, data.len() as u32, *count] {
                index.extend_from_slice(&v.to_be_bytes());
            }
            data.extend_from_slice(bytes);
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        blob.extend(index);
        blob.extend(data);
        blob
    }

    fn string(tag: u32, text: &str) -> (u32, u32, u32, Vec<u8>) {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        (tag, TYPE_STRING, 1, bytes)
    }

    fn array(tag: u32, items: &[&str]) -> (u32, u32, u32, Vec<u8>) {
        let mut bytes = Vec::new();
        for item in items {
            bytes.extend_from_slice(item.as_bytes());
            bytes.push(0);
        }
        (tag, TYPE_STRING_ARRAY, items.len() as u32, bytes)
    }

    fn ints(tag: u32, values: &[u32]) -> (u32, u32, u32, Vec<u8>) {
        let bytes = values.iter().flat_map(|v| v.to_be_bytes()).collect();
        (tag, TYPE_INT32, values.len() as u32, bytes)
    }

    fn openssl() -> Vec<u8> {
        header(&[
            string(TAG_NAME, "openssl-libs"),
            string(TAG_VERSION, "3.0.7"),
            string(TAG_RELEASE, "27.el9"),
            ints(TAG_EPOCH, &[1]),
            string(TAG_ARCH, "x86_64"),
            string(TAG_LICENSE, "ASL 2.0"),
            string(TAG_SOURCERPM, "openssl-3.0.7-27.el9.src.rpm"),
            array(
                TAG_BASENAMES,
                &["libssl.so.3", "libcrypto.so.3", "LICENSE.txt"],
            ),
            array(
                TAG_DIRNAMES,
                &["/usr/lib64/", "/usr/share/licenses/openssl-libs/"],
            ),
            ints(TAG_DIRINDEXES, &[0, 0, 1]),
        ])
    }

    #[test]
    fn reads_a_header() {
        let h = parse_rpm_header(&openssl()).unwrap();
        assert_eq!(h.name, "openssl-libs");
        assert_eq!(h.evr(), "1:3.0.7-27.el9");
        assert_eq!(h.source_name(), Some("openssl"));
        assert_eq!(h.arch.as_deref(), Some("x86_64"));
        assert_eq!(
            h.files,
            [
                "/usr/lib64/libssl.so.3",
                "/usr/lib64/libcrypto.so.3",
                "/usr/share/licenses/openssl-libs/LICENSE.txt"
            ]
        );
        let purl = rpm_purl(
            Some(&OsInfo {
                id: "rhel".into(),
                version_id: Some("9.3".into()),
                version_codename: None,
                pretty_name: None,
            }),
            &h,
        )
        .unwrap();
        assert_eq!(
            purl,
            "pkg:rpm/rhel/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.3&epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm"
        );
        // The old flat file list.
        let old = header(&[
            string(TAG_NAME, "a"),
            string(TAG_VERSION, "1"),
            string(TAG_RELEASE, "1"),
            array(TAG_OLDFILENAMES, &["/bin/a"]),
        ]);
        assert_eq!(parse_rpm_header(&old).unwrap().files, ["/bin/a"]);
    }

    #[test]
    fn bad_headers_are_errors() {
        let good = openssl();
        // Every truncation fails cleanly.
        for cut in 0..good.len() {
            let _ = parse_rpm_header(&good[..cut]);
        }
        assert!(parse_rpm_header(&good[..good.len() - 1]).is_err());
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0xff; 8],
            // No name.
            header(&[string(TAG_VERSION, "1"), string(TAG_RELEASE, "1")]),
            // A string without its NUL.
            header(&[(TAG_NAME, TYPE_STRING, 1, b"abc".to_vec())]),
            // An epoch that is a string.
            header(&[
                string(TAG_NAME, "a"),
                string(TAG_VERSION, "1"),
                string(TAG_RELEASE, "1"),
                string(TAG_EPOCH, "1"),
            ]),
            // A directory index past the names.
            header(&[
                string(TAG_NAME, "a"),
                string(TAG_VERSION, "1"),
                string(TAG_RELEASE, "1"),
                array(TAG_BASENAMES, &["x"]),
                array(TAG_DIRNAMES, &["/"]),
                ints(TAG_DIRINDEXES, &[7]),
            ]),
            // A count far beyond the data.
            header(&[
                string(TAG_NAME, "a"),
                string(TAG_VERSION, "1"),
                string(TAG_RELEASE, "1"),
                (TAG_BASENAMES, TYPE_STRING_ARRAY, u32::MAX, b"x\0".to_vec()),
                array(TAG_DIRNAMES, &["/"]),
                ints(TAG_DIRINDEXES, &[0]),
            ]),
        ];
        for case in cases {
            assert!(parse_rpm_header(&case).is_err(), "{case:?}");
        }
        // A header claiming 2^32-1 data bytes is refused before anything is allocated.
        let mut huge = good.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse_rpm_header(&huge).is_err());
    }

    fn sqlite_db(blobs: &[Vec<u8>], wal: bool) -> Vec<u8> {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        )
        .unwrap();
        for blob in blobs {
            conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [blob])
                .unwrap();
        }
        let mut bytes = conn.serialize(rusqlite::MAIN_DB).unwrap().to_vec();
        if wal {
            bytes[18] = 2;
            bytes[19] = 2;
        }
        bytes
    }

    #[test]
    fn reads_sqlite_databases_in_memory() {
        let db = sqlite_db(&[openssl(), openssl()], true);
        let blobs = read_rpm_database(RpmBackend::Sqlite, &db).unwrap();
        assert_eq!(blobs.len(), 2);
        assert_eq!(parse_rpm_header(&blobs[0]).unwrap().name, "openssl-libs");
        // Garbage, a cut file and a database without the table are errors.
        assert!(read_rpm_database(RpmBackend::Sqlite, b"not a database").is_err());
        assert!(read_rpm_database(RpmBackend::Sqlite, &db[..db.len() / 2]).is_err());
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE Other (x);").unwrap();
        let other = conn.serialize(rusqlite::MAIN_DB).unwrap().to_vec();
        assert!(read_rpm_database(RpmBackend::Sqlite, &other).is_err());
        // A view that would compute rows without end is refused, not run.
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIEW Packages AS WITH RECURSIVE c(hnum) AS (SELECT 1 UNION ALL SELECT hnum + 1 FROM c) SELECT hnum, zeroblob(16) AS blob FROM c;",
        )
        .unwrap();
        let endless = conn.serialize(rusqlite::MAIN_DB).unwrap().to_vec();
        let err = read_rpm_database(RpmBackend::Sqlite, &endless).unwrap_err();
        assert!(err.contains("no `Packages` table"), "{err}");
    }

    /// A little-endian Berkeley DB hash file: metadata page, one hash page holding one
    /// key/OFFPAGE pair per value, then each value's overflow chain.
    fn bdb(values: &[Vec<u8>], page_size: usize) -> Vec<u8> {
        let data_per_page = page_size - BDB_PAGE_HEADER;
        let mut pages: Vec<Vec<u8>> = vec![vec![0; page_size], vec![0; page_size]];
        let mut items: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for (i, value) in values.iter().enumerate() {
            let first = pages.len();
            let chunks: Vec<&[u8]> = value.chunks(data_per_page).collect();
            for (j, chunk) in chunks.iter().enumerate() {
                let number = pages.len();
                let mut page = vec![0; page_size];
                page[8..12].copy_from_slice(&(number as u32).to_le_bytes());
                let next = if j + 1 < chunks.len() { number + 1 } else { 0 };
                page[16..20].copy_from_slice(&(next as u32).to_le_bytes());
                page[22..24].copy_from_slice(&(chunk.len() as u16).to_le_bytes());
                page[25] = BDB_PAGE_OVERFLOW;
                page[BDB_PAGE_HEADER..BDB_PAGE_HEADER + chunk.len()].copy_from_slice(chunk);
                pages.push(page);
            }
            let mut key = vec![BDB_ITEM_KEYDATA];
            key.extend_from_slice(&(i as u32 + 1).to_le_bytes());
            let mut off = vec![BDB_ITEM_OFFPAGE, 0, 0, 0];
            off.extend_from_slice(&(first as u32).to_le_bytes());
            off.extend_from_slice(&(value.len() as u32).to_le_bytes());
            items.push((key, off));
        }
        // The hash page: index after the header, items from the end of the page.
        let hash = &mut pages[1];
        hash[25] = BDB_PAGE_HASH;
        hash[20..22].copy_from_slice(&((items.len() * 2) as u16).to_le_bytes());
        let mut end = page_size;
        let mut slot = BDB_PAGE_HEADER;
        for (key, value) in &items {
            for item in [key, value] {
                end -= item.len();
                hash[end..end + item.len()].copy_from_slice(item);
                hash[slot..slot + 2].copy_from_slice(&(end as u16).to_le_bytes());
                slot += 2;
            }
        }
        let meta = &mut pages[0];
        meta[12..16].copy_from_slice(&BDB_HASH_MAGIC.to_le_bytes());
        meta[20..24].copy_from_slice(&(page_size as u32).to_le_bytes());
        meta[25] = 8;
        let last = (pages.len() - 1) as u32;
        pages[0][32..36].copy_from_slice(&last.to_le_bytes());
        pages.concat()
    }

    #[test]
    fn reads_berkeley_db_hash_files() {
        let db = bdb(&[openssl(), openssl()], 512);
        let blobs = read_rpm_database(RpmBackend::BerkeleyDb, &db).unwrap();
        assert_eq!(blobs, [openssl(), openssl()]);
        // Big-endian files say so by their magic.
        assert!(read_rpm_database(RpmBackend::BerkeleyDb, &[0; 512]).is_err());
    }

    #[test]
    fn hostile_berkeley_db_files_are_errors() {
        let good = bdb(&[openssl()], 512);
        // An overflow page that points at itself: a loop, not a hang.
        let mut looped = good.clone();
        let page = 2 * 512;
        looped[page + 16..page + 20].copy_from_slice(&2u32.to_le_bytes());
        let err = read_rpm_database(RpmBackend::BerkeleyDb, &looped).unwrap_err();
        assert!(err.contains("more than") || err.contains("loops"), "{err}");
        // An overflow item claiming 4 GiB.
        let mut huge = good.clone();
        let hash = 512;
        let value_at = usize::from(u16::from_le_bytes([
            huge[hash + BDB_PAGE_HEADER + 2],
            huge[hash + BDB_PAGE_HEADER + 3],
        ]));
        huge[hash + value_at + 8..hash + value_at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_rpm_database(RpmBackend::BerkeleyDb, &huge)
            .unwrap_err()
            .contains("cap"));
        // A bad page size, an encrypted file, a btree.
        for (at, value) in [(20, 1000u32), (20, 0), (12, BDB_BTREE_MAGIC)] {
            let mut bad = good.clone();
            bad[at..at + 4].copy_from_slice(&value.to_le_bytes());
            assert!(read_rpm_database(RpmBackend::BerkeleyDb, &bad).is_err());
        }
        let mut encrypted = good.clone();
        encrypted[24] = 1;
        assert!(read_rpm_database(RpmBackend::BerkeleyDb, &encrypted).is_err());
        // Every truncation and every single-byte change: an error or headers, never a panic.
        for cut in 0..good.len() {
            let _ = read_rpm_database(RpmBackend::BerkeleyDb, &good[..cut]);
        }
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0xff;
            let _ = read_rpm_database(RpmBackend::BerkeleyDb, &bad);
        }
    }

    fn ndb(blobs: &[Vec<u8>]) -> Vec<u8> {
        let mut file = vec![0u8; NDB_SLOT_PAGE];
        file[0..4].copy_from_slice(b"RpmP");
        file[12..16].copy_from_slice(&1u32.to_le_bytes());
        let mut slot = NDB_FIRST_SLOT;
        for (i, blob) in blobs.iter().enumerate() {
            let index = i as u32 + 1;
            let block = file.len() / NDB_BLOCK;
            let blocks = (16 + blob.len() + 12).div_ceil(NDB_BLOCK);
            let mut body = vec![0u8; blocks * NDB_BLOCK];
            body[0..4].copy_from_slice(b"BlbS");
            body[4..8].copy_from_slice(&index.to_le_bytes());
            body[12..16].copy_from_slice(&(blob.len() as u32).to_le_bytes());
            body[16..16 + blob.len()].copy_from_slice(blob);
            file.extend(body);
            file[slot..slot + 4].copy_from_slice(b"Slot");
            file[slot + 4..slot + 8].copy_from_slice(&index.to_le_bytes());
            file[slot + 8..slot + 12].copy_from_slice(&(block as u32).to_le_bytes());
            file[slot + 12..slot + 16].copy_from_slice(&(blocks as u32).to_le_bytes());
            slot += 16;
        }
        while slot < NDB_SLOT_PAGE {
            file[slot..slot + 4].copy_from_slice(b"Slot");
            slot += 16;
        }
        file
    }

    #[test]
    fn reads_ndb_files_and_refuses_bad_ones() {
        let good = ndb(&[openssl(), openssl()]);
        assert_eq!(
            read_rpm_database(RpmBackend::Ndb, &good).unwrap(),
            [openssl(), openssl()]
        );
        // Slot pages past the end, a slot pointing past the end, a blob bigger than its slot.
        let mut bad = good.clone();
        bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_rpm_database(RpmBackend::Ndb, &bad).is_err());
        let mut bad = good.clone();
        bad[NDB_FIRST_SLOT + 8..NDB_FIRST_SLOT + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_rpm_database(RpmBackend::Ndb, &bad).is_err());
        let mut bad = good.clone();
        bad[NDB_SLOT_PAGE + 12..NDB_SLOT_PAGE + 16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_rpm_database(RpmBackend::Ndb, &bad).is_err());
        for cut in 0..good.len() {
            let _ = read_rpm_database(RpmBackend::Ndb, &good[..cut]);
        }
    }

    #[test]
    fn database_paths() {
        assert_eq!(
            rpm_database_at("/var/lib/rpm/Packages"),
            Some(RpmBackend::BerkeleyDb)
        );
        assert_eq!(
            rpm_database_at("/usr/lib/sysimage/rpm/rpmdb.sqlite"),
            Some(RpmBackend::Sqlite)
        );
        assert_eq!(
            rpm_database_at("/var/lib/rpm/Packages.db"),
            Some(RpmBackend::Ndb)
        );
        assert_eq!(rpm_database_at("/var/lib/rpm/Basenames"), None);
        assert_eq!(rpm_database_at("/srv/var/lib/rpm/Packages"), None);
    }
}
