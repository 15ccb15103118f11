/// One byte-range replacement in a file's text (the text after any BOM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: std::ops::Range<usize>,
    pub replacement: String,
    pub rule: &'static str,
}

impl Edit {
    pub fn insert(at: usize, text: impl Into<String>, rule: &'static str) -> Edit {
        Edit {
            range: at..at,
            replacement: text.into(),
            rule,
        }
    }
    pub fn delete(range: std::ops::Range<usize>, rule: &'static str) -> Edit {
        Edit {
            range,
            replacement: String::new(),
            rule,
        }
    }
    pub fn replace(
        range: std::ops::Range<usize>,
        text: impl Into<String>,
        rule: &'static str,
    ) -> Edit {
        Edit {
            range,
            replacement: text.into(),
            rule,
        }
    }
}

/// The edits of one file, checked for overlap and applied in one pass.
#[derive(Debug, Clone, Default)]
pub struct Changeset {
    edits: Vec<Edit>,
}

pub struct Applied {
    pub text: String,
    pub applied: Vec<Edit>,
    pub dropped: Vec<Edit>,
}

impl Changeset {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, edit: Edit) {
        self.edits.push(edit);
    }
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }
    pub fn len(&self) -> usize {
        self.edits.len()
    }
    pub fn apply(&self, source: &str) -> Applied {
        let mut order: Vec<usize> = (0..self.edits.len()).collect();
        order.sort_by_key(|&i| {
            (
                self.edits[i].range.start,
                !self.edits[i].range.is_empty(),
                i,
            )
        });
        let (mut text, mut applied, mut dropped, mut cursor) =
            (String::new(), Vec::new(), Vec::new(), 0usize);
        for i in order {
            let e = &self.edits[i];
            let ok = e.range.start >= cursor
                && e.range.end <= source.len()
                && source.is_char_boundary(e.range.start)
                && source.is_char_boundary(e.range.end);
            if !ok {
                dropped.push(e.clone());
                continue;
            }
            text.push_str(&source[cursor..e.range.start]);
            text.push_str(&e.replacement);
            cursor = e.range.end;
            applied.push(e.clone());
        }
        text.push_str(&source[cursor..]);
        Applied {
            text,
            applied,
            dropped,
        }
    }
}
