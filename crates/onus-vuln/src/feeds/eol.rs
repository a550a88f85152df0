//! endoflife.date `products.json`: stored raw (another crate interprets it) with its product count.

use serde_json::Value;

use crate::error::VulnError;
use crate::feeds::{Ctx, FeedKind};
use crate::input::InputFile;

const KIND: FeedKind = FeedKind::Endoflife;
const SOURCE: &str = "endoflife";

pub(crate) fn load(file: &InputFile, ctx: &mut Ctx<'_>) -> Result<(), VulnError> {
    let doc: Value = match serde_json::from_slice(&file.bytes) {
        Ok(v) => v,
        Err(e) => {
            ctx.warn(
                SOURCE,
                KIND,
                format!("`{}`: skipped, not JSON: {e}", file.display),
            );
            return Ok(());
        }
    };
    let Some(products) = doc.get("products").and_then(Value::as_object) else {
        ctx.warn(
            SOURCE,
            KIND,
            format!("`{}`: skipped: no `products` object", file.display),
        );
        return Ok(());
    };
    let count = products.len() as u64;
    ctx.writer.eol_products(SOURCE, count, &file.bytes)?;
    ctx.record(SOURCE, KIND, count);
    if let Some(date) = doc.pointer("/source/commit_date").and_then(Value::as_str) {
        ctx.saw_time(SOURCE, KIND, date);
    }
    Ok(())
}
