//! Every import specifier the console fix writes is resolved from the importing file the
//! way its runtime will resolve it (`oxc_resolver`, the resolver behind Rspack and
//! Rolldown): ESM `import` or CommonJS `require` conditions, `type: module` and `.mjs`
//! (fully specified: the extension is required), TypeScript's extension mapping and
//! tsconfig `paths`, package `exports`. A specifier that does not resolve is never
//! written: the caller turns the file's rewrites into judgements with the reason.
//!
//! A logger module that dash is about to create does not exist yet, so the resolver
//! reads the disk through [`Overlay`], which adds that one file (and its missing
//! folders).

use std::io;
use std::path::{Path, PathBuf};

use oxc_resolver::{
    EnforceExtension, FileMetadata, FileSystem, FileSystemOs, ResolveError, ResolveOptions,
    ResolverGeneric, TsconfigDiscovery,
};

/// How a file loads its imports: the resolver options that differ between files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Mode {
    /// TypeScript (or JavaScript compiled with a TypeScript package): `.ts` sources,
    /// `.js` specifiers mapped to them, tsconfig `paths`.
    pub typescript: bool,
    /// `import` (ESM conditions) rather than `require`.
    pub esm: bool,
    /// Node's ESM or TypeScript's NodeNext: relative specifiers name the file's extension.
    pub fully_specified: bool,
}

/// The file system with the logger module dash will create laid over it.
pub(crate) struct Overlay {
    os: FileSystemOs,
    /// The file to be created (absolute), if any.
    virtual_file: Option<PathBuf>,
}

impl Overlay {
    fn is_virtual_file(&self, path: &Path) -> bool {
        self.virtual_file.as_deref() == Some(path)
    }

    /// A folder that exists only because the virtual file will be created in it.
    fn is_virtual_dir(&self, path: &Path) -> bool {
        self.virtual_file
            .as_deref()
            .is_some_and(|f| f.starts_with(path) && f != path && !path.exists())
    }
}

impl FileSystem for Overlay {
    fn new() -> Self {
        Overlay {
            os: FileSystemOs::new(),
            virtual_file: None,
        }
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        if self.is_virtual_file(path) {
            return Ok(Vec::new());
        }
        self.os.read(path)
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        if self.is_virtual_file(path) {
            return Ok(String::new());
        }
        self.os.read_to_string(path)
    }

    fn metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        if self.is_virtual_file(path) {
            return Ok(FileMetadata::new(true, false, false));
        }
        if self.is_virtual_dir(path) {
            return Ok(FileMetadata::new(false, true, false));
        }
        self.os.metadata(path)
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        if self.is_virtual_file(path) || self.is_virtual_dir(path) {
            return self.metadata(path);
        }
        self.os.symlink_metadata(path)
    }

    fn read_link(&self, path: &Path) -> Result<PathBuf, ResolveError> {
        if self.is_virtual_file(path) || self.is_virtual_dir(path) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a symbolic link").into());
        }
        self.os.read_link(path)
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        if self.is_virtual_file(path) || self.is_virtual_dir(path) {
            // The nearest folder that exists, canonical, with the rest appended.
            let existing = path.ancestors().find(|a| a.exists()).unwrap_or(path);
            let rest = path.strip_prefix(existing).unwrap_or(Path::new(""));
            return Ok(self.os.canonicalize(existing)?.join(rest));
        }
        self.os.canonicalize(path)
    }
}

/// A resolver for one package and one [`Mode`].
pub(crate) struct Resolver {
    inner: ResolverGeneric<Overlay>,
}

impl Resolver {
    /// `virtual_file`: the logger module dash will create in this package, if any.
    pub fn new(mode: Mode, virtual_file: Option<PathBuf>) -> Resolver {
        let esm_conditions = ["node", "import", "default"];
        let cjs_conditions = ["node", "require", "default"];
        let mut conditions: Vec<String> = if mode.esm {
            esm_conditions.iter().map(|s| (*s).to_owned()).collect()
        } else {
            cjs_conditions.iter().map(|s| (*s).to_owned()).collect()
        };
        let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let mut options = ResolveOptions {
            condition_names: Vec::new(),
            fully_specified: mode.fully_specified,
            enforce_extension: EnforceExtension::Auto,
            ..ResolveOptions::default()
        };
        if mode.typescript {
            conditions.insert(0, "types".to_owned());
            options.extensions = strings(&[".ts", ".tsx", ".d.ts", ".js", ".jsx", ".json"]);
            options.extension_alias = vec![
                (".js".into(), strings(&[".ts", ".tsx", ".d.ts", ".js", ".jsx"])),
                (".jsx".into(), strings(&[".tsx", ".jsx"])),
                (".mjs".into(), strings(&[".mts", ".d.mts", ".mjs"])),
                (".cjs".into(), strings(&[".cts", ".d.cts", ".cjs"])),
            ];
            options.tsconfig = Some(TsconfigDiscovery::Auto);
            options.main_fields = strings(&["types", "main"]);
        }
        options.condition_names = conditions;
        Resolver {
            inner: ResolverGeneric::new_with_file_system(
                Overlay {
                    os: FileSystemOs::new(),
                    virtual_file,
                },
                options,
            ),
        }
    }

    /// The file `specifier` names when `file` imports it, or the resolver's error.
    pub fn resolve(&self, file: &Path, specifier: &str) -> Result<PathBuf, String> {
        self.inner
            .resolve_file(file, specifier)
            .map(|r| r.full_path())
            .map_err(|e| e.to_string())
    }
}

/// Whether `path` is TypeScript source (node cannot run it without a compiler).
pub(crate) fn is_typescript(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".ts", ".tsx", ".mts", ".cts"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn esm_in_node_needs_the_extension_and_the_overlay_adds_the_new_module() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        write(&root, "package.json", r#"{"type":"module"}"#);
        write(&root, "src/a.js", "");
        let logger = root.join("src/utils/logger.js");
        let mode = Mode {
            typescript: false,
            esm: true,
            fully_specified: true,
        };
        let resolver = Resolver::new(mode, Some(logger.clone()));
        let file = root.join("src/a.js");
        assert_eq!(
            resolver.resolve(&file, "./utils/logger.js").unwrap(),
            logger
        );
        assert!(resolver.resolve(&file, "./utils/logger").is_err());
        // Without the overlay the module is not there.
        let plain = Resolver::new(mode, None);
        assert!(plain.resolve(&file, "./utils/logger.js").is_err());
    }

    #[test]
    fn typescript_maps_js_specifiers_to_sources() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        write(&root, "tsconfig.json", "{}");
        write(&root, "src/logger.ts", "export const logger = console;");
        write(&root, "src/a.ts", "");
        let mode = Mode {
            typescript: true,
            esm: true,
            fully_specified: true,
        };
        let resolver = Resolver::new(mode, None);
        let file = root.join("src/a.ts");
        assert_eq!(
            resolver.resolve(&file, "./logger.js").unwrap(),
            root.join("src/logger.ts")
        );
        assert!(resolver.resolve(&file, "./logger").is_err());
        let cjs = Resolver::new(
            Mode {
                typescript: false,
                esm: false,
                fully_specified: false,
            },
            None,
        );
        // Plain node cannot find a `.ts` source by its stem.
        assert!(cjs.resolve(&file, "./logger").is_err());
    }
}
