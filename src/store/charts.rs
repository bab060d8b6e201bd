//! The chart store: rendered PNGs, so that a re-run rasterises only the charts that changed.

use std::path::Path;

/// Rendered PNGs keyed by what determines their bytes: the SVG text, the scale and yearbook's
/// version (which fixes the font and the renderer). Rasterising is most of the cost of
/// writing outputs, and on a re-run most charts have not changed.
pub struct PngCache {
    dir: std::path::PathBuf,
    /// Entry file names this run read or wrote (see [`PngCache::prune`]).
    used: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl PngCache {
    /// The chart cache in `dir`; an error (saying what is there) when `dir` or its parent is
    /// not a folder of yearbook's: a link there is not followed.
    pub fn new(dir: &Path) -> Result<PngCache, String> {
        if let Some(parent) = dir.parent() {
            crate::files::own_folder(parent)?;
        }
        crate::files::own_folder(dir)?;
        Ok(PngCache {
            dir: dir.to_path_buf(),
            used: Default::default(),
        })
    }

    pub(crate) fn entry(&self, svg: &str, scale: f32) -> std::path::PathBuf {
        let key = format!(
            "yearbook {} png 2 {}\n{svg}",
            env!("CARGO_PKG_VERSION"),
            scale.to_bits()
        );
        let hash = crate::files::sha256_hex(key.as_bytes());
        let name = format!("{}.png", &hash[..32]);
        if let Ok(mut used) = self.used.lock() {
            used.insert(name.clone());
        }
        self.dir.join(name)
    }

    /// The cached PNG, or a fresh rendering stored for next time. A cache that cannot be
    /// read or written only costs the rendering.
    pub fn png(
        &self,
        svg: &str,
        scale: f32,
        render: impl FnOnce(&str, f32) -> Result<Vec<u8>, String>,
    ) -> Result<Vec<u8>, String> {
        let path = self.entry(svg, scale);
        // Sealed, so that a PNG cut short is rendered again rather than published.
        if let Some(bytes) = super::sealed::read_sealed(&path) {
            return Ok(bytes);
        }
        let png = render(svg, scale)?;
        if let Err(e) = super::sealed::write_sealed(&path, &png) {
            tracing::debug!("cannot store {} in the chart cache: {e}", path.display());
        }
        Ok(png)
    }

    /// Removes the charts no run has drawn for a while (see [`super::prune`]).
    pub fn prune(&self) {
        if let Ok(used) = self.used.lock() {
            super::prune::unused(&self.dir, &used, super::prune::KEEP_UNUSED);
        }
    }
}
