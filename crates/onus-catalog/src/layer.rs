//! The introducing layer of a component: the first layer from which it stays present.
//!
//! Every captured version of the evidence file is parsed again (the apk database rewritten by
//! each layer, a binary replaced by a rebuild); the component's layer is the first layer of the
//! trailing run of versions that still yield the same (name, version).

use std::collections::BTreeSet;

use onus_fs::FileView;
use onus_inventory::Component;

use crate::{Cataloger, Ctx};

type Identities = BTreeSet<(String, String)>;

/// For each component parsed from the current version of `path`: its introducing layer and
/// whether that layer is the first version of the file's history (so the component may be older
/// than the file, see [`refine_distro_layer`]).
pub(crate) fn introducing_layers(
    ctx: &Ctx<'_>,
    cataloger: &dyn Cataloger,
    path: &str,
    components: &[Component],
) -> Vec<(Option<usize>, bool)> {
    let history = ctx.view.history(path);
    let Some(last) = history.len().checked_sub(1) else {
        let layer = ctx.view.entry(path).map(|v| v.layer);
        return vec![(layer, false); components.len()];
    };
    // Identities of each older version, parsed at most once (`None` inside: no content).
    let mut parsed: Vec<Option<Option<Identities>>> = vec![None; last];
    // Whether version `index` of the file holds the identity (parsed once per version; the set
    // is looked into, never copied, so a database of n packages costs O(n log n) per version).
    let mut holds = |index: usize, key: &(String, String)| -> bool {
        parsed[index]
            .get_or_insert_with(|| {
                let content = history[index].content.as_ref()?;
                let found = cataloger.parse(ctx, path, &content.bytes, content.complete);
                Some(
                    found
                        .components
                        .into_iter()
                        .map(|c| (c.name, c.version))
                        .collect(),
                )
            })
            .as_ref()
            .is_some_and(|set| set.contains(key))
    };
    components
        .iter()
        .map(|component| {
            let key = (component.name.clone(), component.version.clone());
            let mut j = last;
            while j > 0 && holds(j - 1, &key) {
                j -= 1;
            }
            (Some(history[j].layer), j == 0)
        })
        .collect()
}

/// A distro package whose database version only appears at layer `k` (the database moved, as
/// in a usr-merge, or was first written then) may be older: when every regular file it owns has
/// been present since before `k`, its layer is the latest layer at which one of those files
/// appeared.
pub(crate) fn refine_distro_layer(view: &dyn FileView, component: &mut Component) {
    let Some(k) = component.layer.filter(|k| *k > 0) else {
        return;
    };
    let mut latest_first_seen: Option<usize> = None;
    for file in &component.files {
        let Ok(real) = view.resolve(file) else {
            continue;
        };
        // Regular files only, whether the view keeps them as entries or as "since layer N".
        let Some(first) = view.regular_file_since(&real) else {
            continue;
        };
        if first >= k {
            return;
        }
        latest_first_seen = latest_first_seen.max(Some(first));
    }
    if let Some(layer) = latest_first_seen {
        component.layer = Some(layer);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::testutil::ViewBuilder;

    fn layers(catalog: &crate::Catalog) -> Vec<(String, Option<usize>)> {
        catalog
            .components
            .iter()
            .map(|c| (format!("{}@{}", c.name, c.version), c.layer))
            .collect()
    }

    #[test]
    fn apk_db_rewritten_by_each_layer() {
        let l0 = b"P:a\nV:1\n\nP:b\nV:1\n\n";
        let l1 = b"P:a\nV:1\n\nP:b\nV:2\n\nP:c\nV:1\n\n";
        let l2 = b"P:a\nV:1\n\nP:b\nV:2\n\nP:c\nV:1\n\nP:d\nV:1\n\n";
        let view = ViewBuilder::new()
            .layer()
            .file("/lib/apk/db/installed", l0)
            .layer()
            .file("/lib/apk/db/installed", l1)
            .layer()
            .file("/lib/apk/db/installed", l2)
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        assert_eq!(
            layers(&catalog),
            vec![
                ("a@1".into(), Some(0)),
                ("b@2".into(), Some(1)),
                ("c@1".into(), Some(1)),
                ("d@1".into(), Some(2))
            ]
        );
    }

    #[test]
    fn removed_then_readded_counts_from_the_readd() {
        let view = ViewBuilder::new()
            .layer()
            .file("/lib/apk/db/installed", b"P:a\nV:1\n\n")
            .layer()
            .file("/lib/apk/db/installed", b"P:z\nV:1\n\n")
            .layer()
            .file("/lib/apk/db/installed", b"P:a\nV:1\n\nP:z\nV:1\n")
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        assert_eq!(
            layers(&catalog),
            vec![("a@1".into(), Some(2)), ("z@1".into(), Some(1))]
        );
    }

    #[test]
    fn whiteout_starts_a_new_chain_and_missing_content_stops_the_walk() {
        let view = ViewBuilder::new()
            .layer()
            .file(
                "/usr/lib/python3/site-packages/x-1.dist-info/METADATA",
                b"Name: x\nVersion: 1\n",
            )
            .layer()
            .whiteout("/usr/lib/python3/site-packages/x-1.dist-info")
            .layer()
            .file(
                "/usr/lib/python3/site-packages/x-1.dist-info/METADATA",
                b"Name: x\nVersion: 1\n",
            )
            .file("/lib/apk/db/installed", b"P:a\nV:1\n")
            .layer()
            .truncated("/lib/apk/db/installed", b"P:a\nV:1\n")
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        assert_eq!(
            layers(&catalog),
            vec![("a@1".into(), Some(2)), ("x@1".into(), Some(2))]
        );
        assert_eq!(
            catalog.unknowns.len(),
            1,
            "the truncated database is reported"
        );

        let view = ViewBuilder::new()
            .layer()
            .bare("/lib/apk/db/installed")
            .layer()
            .file("/lib/apk/db/installed", b"P:a\nV:1\n")
            .build();
        assert_eq!(
            layers(&crate::catalog(&view, &onus_fs::NoReporter)),
            vec![("a@1".into(), Some(1))]
        );
    }

    #[test]
    fn moved_database_keeps_packages_whose_files_are_older() {
        let view = ViewBuilder::new()
            .layer()
            .file(
                "/lib/apk/db/installed",
                b"P:old\nV:1\nF:x\nR:hello.txt\n\nP:gone\nV:1\n\n",
            )
            .file("/x/hello.txt", b"hi")
            .layer()
            .symlink("/lib/apk", "../usr/lib/apk")
            .file(
                "/usr/lib/apk/db/installed",
                b"P:old\nV:1\nF:x\nR:hello.txt\n\nP:new\nV:1\nF:y\nR:new.txt\n\nP:empty\nV:1\n",
            )
            .file("/y/new.txt", b"new")
            .build();
        let catalog = crate::catalog(&view, &onus_fs::NoReporter);
        assert_eq!(
            layers(&catalog),
            vec![
                ("empty@1".into(), Some(1)),
                ("new@1".into(), Some(1)),
                ("old@1".into(), Some(0))
            ]
        );
    }
}
