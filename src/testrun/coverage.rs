//! istanbul's `json-summary` report (`coverage-summary.json`), which jest and vitest both
//! write: a `total` entry and one entry per file, keyed by absolute path, each with
//! `lines: { total, covered, skipped, pct }`. Only counts are read; `pct` is recomputed
//! where it is needed, because istanbul writes `"Unknown"` for a file with no lines.

use std::path::PathBuf;

/// Line coverage of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCoverage {
    pub path: PathBuf,
    pub covered: u64,
    pub total: u64,
}

impl FileCoverage {
    /// Percent of lines covered (100 for a file with no lines).
    pub fn percent(&self) -> f64 {
        percent(self.covered, self.total)
    }
}

/// `covered / total` in percent; nothing to cover is fully covered.
pub fn percent(covered: u64, total: u64) -> f64 {
    if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    }
}

/// The per-file entries of a summary, sorted by path.
pub fn parse(text: &str) -> Result<Vec<FileCoverage>, String> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let map = doc.as_object().ok_or("not a JSON object")?;
    if !map.contains_key("total") {
        return Err("no `total` entry: not an istanbul json-summary".into());
    }
    let mut files = Vec::new();
    for (path, entry) in map.iter().filter(|(k, _)| *k != "total") {
        let lines = &entry["lines"];
        let (Some(total), Some(covered)) = (lines["total"].as_u64(), lines["covered"].as_u64())
        else {
            return Err(format!("{path}: no line counts"));
        };
        files.push(FileCoverage {
            path: PathBuf::from(path),
            covered,
            total,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_and_ignores_the_total() {
        let text = r#"{"total":{"lines":{"total":12,"covered":9,"skipped":0,"pct":75}},
          "/p/src/b.js":{"lines":{"total":0,"covered":0,"skipped":0,"pct":"Unknown"}},
          "/p/src/a.js":{"lines":{"total":12,"covered":9,"skipped":0,"pct":75}}}"#;
        let files = parse(text).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path, PathBuf::from("/p/src/a.js"));
        assert_eq!(files[0].percent(), 75.0);
        assert_eq!(files[1].percent(), 100.0);
        assert!(parse("{}").is_err());
        assert!(parse(r#"{"total":{},"/a":{"lines":{}}}"#).is_err());
    }
}
