//! The fleet dashboard's pages: whose move across the fleet, drawn for a person. Every page is
//! HTML rendered on the server from the fleet's typed answers, with inline SVG charts, one
//! style sheet and one small script served as files, so a Content-Security-Policy without
//! inline script or style holds, and every page reads without JavaScript.
//!
//! Architecture invariant: pure. Each page is a function of its data and the request's small
//! context ([`Chrome`]); no I/O, no clock (the day is passed in). Every text from the fleet is
//! escaped with the report's one escaper, and every link built from data is percent-encoded.

mod charts;
mod pages;

pub use pages::{
    clocks, error_page, image, image_list, moves, overview, package, search, signin, upstream,
    vulnerability, ImageListQuery, ImagePageData, MovesQuery, OverviewData, FINDINGS_PER_PAGE,
};

use std::fmt::Write as _;

use onus_report::util::{html_escape as e, percent_encode_path};

/// The script, served as `/static/onus.js`.
pub const SCRIPT: &str = include_str!("assets/dashboard.js");

/// The style sheet, served as `/static/onus.css`: the report's rules and the dashboard's own.
pub fn style_sheet() -> String {
    format!(
        "{}{}",
        onus_report::html::CSS,
        include_str!("assets/dashboard.css")
    )
}

/// The pages in the navigation bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Moves,
    Vendor,
    Upstream,
    Images,
    None,
}

/// What every signed-in page needs besides its data.
#[derive(Debug, Clone, Copy)]
pub struct Chrome<'a> {
    /// The session's CSRF token, for the sign-out form.
    pub csrf: &'a str,
    pub active: Nav,
    /// The search box's current text.
    pub query: &'a str,
}

/// A whole page around `body`.
pub(crate) fn layout(title: &str, chrome: Option<&Chrome<'_>>, body: &str) -> String {
    let mut html = String::with_capacity(body.len() + 2048);
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · onus</title><link rel="stylesheet" href="/static/onus.css"><script src="/static/onus.js" defer></script></head><body>"#,
        e(title)
    );
    if let Some(chrome) = chrome {
        html.push_str(
            r#"<header class="nav"><a class="brand" href="/">ONUS</a><nav aria-label="Main">"#,
        );
        for (nav, href, label) in [
            (Nav::Overview, "/", "Overview"),
            (Nav::Moves, "/moves", "Your moves"),
            (Nav::Vendor, "/vendor", "Vendor clocks"),
            (Nav::Upstream, "/upstream", "Upstream"),
            (Nav::Images, "/images", "Images"),
        ] {
            let current = if nav == chrome.active {
                r#" aria-current="page""#
            } else {
                ""
            };
            let _ = write!(html, r#"<a href="{href}"{current}>{label}</a>"#);
        }
        let _ = write!(
            html,
            r#"</nav><form class="search" role="search" method="get" action="/search"><label for="q" class="visually-hidden">Search by CVE or GHSA id, package, purl or image reference</label><input id="q" name="q" type="search" value="{}" placeholder="CVE, GHSA, package, purl or image"><button type="submit">Search</button></form><form method="post" action="/signout"><input type="hidden" name="csrf" value="{}"><button type="submit" class="quiet">Sign out</button></form></header>"#,
            e(chrome.query),
            e(chrome.csrf)
        );
    }
    html.push_str("<main>");
    html.push_str(body);
    html.push_str("</main></body></html>\n");
    html
}

/// `/images/<digest>`.
pub(crate) fn image_href(digest: &str) -> String {
    // A digest (`sha256:<hex>`) is a valid path segment as it is; anything else is encoded.
    if digest
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b':')
    {
        format!("/images/{digest}")
    } else {
        format!("/images/{}", percent_encode_path(digest))
    }
}

/// `/package?purl=…`.
pub(crate) fn package_href(purl: &str) -> String {
    format!("/package?purl={}", percent_encode_path(purl))
}

/// `/vulnerability?id=…`.
pub(crate) fn vulnerability_href(id: &str) -> String {
    format!("/vulnerability?id={}", percent_encode_path(id))
}

/// A link to an image, named by its first reference (or its short digest).
pub(crate) fn image_link(digest: &str, refs: &[String]) -> String {
    let name = refs
        .first()
        .cloned()
        .unwrap_or_else(|| onus_report::util::short_digest(digest));
    let more = if refs.len() > 1 {
        format!(r#" <span class="muted">+{} more</span>"#, refs.len() - 1)
    } else {
        String::new()
    };
    format!(
        r#"<a href="{}" title="{}"><code>{}</code></a>{more}"#,
        e(&image_href(digest)),
        e(digest),
        e(&name)
    )
}
