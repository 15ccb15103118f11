//! The import manager: makes a module's export available in a file, once, in the file's
//! own style.
//!
//! Rules ask for an import while they run; it is materialised once per file, after the
//! rules reached a fix point, so a file with twenty rewritten calls gets one import. It is
//! merged into an existing import of the same module when there is one (`import { a }`
//! becomes `import { a, logger }`; `const { a } = require(…)` likewise); otherwise a new
//! statement goes after the last import, or, in a file without imports, after the
//! shebang, the directives (`'use strict'`, `'use client'`) and the leading comments
//! (license headers and file docblocks stay on top).

use tree_sitter::Node;

use super::Edit;
use crate::syntax::text;

pub const RULE_ID: &str = "import";

/// What to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSpec {
    /// The module specifier as this file must write it (`./utils/logger.js`, `pino`, `@/lib/log`).
    pub source: String,
    /// The exported name, or `default`.
    pub export: String,
    /// The local name (`logger`).
    pub local: String,
    /// A child of the imported value that the file declares right after the import and
    /// calls instead (`[logger] source = "module"`).
    pub child: Option<ChildLogger>,
}

/// `const logger = rootLogger.child({ module: 'routes/orders' })`: the file's own child of
/// the imported logger, so every line it writes names the module it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildLogger {
    /// The child's name (what the file's calls use).
    pub name: String,
    /// The `module` field's value.
    pub module: String,
}

impl ChildLogger {
    /// The declaration, with the file's quotes, after the import of `parent`.
    fn declaration(&self, parent: &str, quote: char, semicolon: &str) -> String {
        let mut module = String::with_capacity(self.module.len() + 2);
        module.push(quote);
        for c in self.module.chars() {
            if c == quote || c == '\\' {
                module.push('\\');
            }
            module.push(c);
        }
        module.push(quote);
        format!(
            "const {} = {parent}.child({{ module: {module} }}){semicolon}",
            self.name
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleSystem {
    Esm,
    CommonJs,
}

/// Whether the file uses `import` or `require`: its own statements decide; a file with
/// neither follows its extension (`.cjs`/`.cts` are CommonJS) and the package's `type`.
pub fn module_system(
    root: Node,
    source: &[u8],
    extension: &str,
    package_is_module: bool,
) -> ModuleSystem {
    let mut cursor = root.walk();
    let mut requires = false;
    for child in root.named_children(&mut cursor) {
        match child.kind() {
            "import_statement" | "export_statement" => return ModuleSystem::Esm,
            "lexical_declaration" | "variable_declaration" | "expression_statement"
                if is_require(child, source) =>
            {
                requires = true
            }
            _ => {}
        }
    }
    if requires {
        return ModuleSystem::CommonJs;
    }
    match extension {
        "cjs" | "cts" => ModuleSystem::CommonJs,
        "js" | "jsx" if !package_is_module => ModuleSystem::CommonJs,
        _ => ModuleSystem::Esm,
    }
}

/// Whether a top-level statement is (or declares) a `require(…)` call.
fn is_require(statement: Node, source: &[u8]) -> bool {
    let code = text(statement, source);
    memchr::memmem::find(code, b"require(").is_some() && require_source(statement, source).is_some()
}

/// The module of `const x = require('m')` / `const { a } = require('m')`.
fn require_source(statement: Node, source: &[u8]) -> Option<String> {
    let declarator = statement
        .named_child(0)
        .filter(|d| d.kind() == "variable_declarator")?;
    let value = declarator.child_by_field_name("value")?;
    if value.kind() != "call_expression"
        || text(value.child_by_field_name("function")?, source) != b"require"
    {
        return None;
    }
    let argument = value.child_by_field_name("arguments")?.named_child(0)?;
    (argument.kind() == "string").then(|| unquote(argument, source))
}

fn unquote(node: Node, source: &[u8]) -> String {
    String::from_utf8_lossy(text(node, source))
        .trim_matches(['"', '\'', '`'])
        .to_owned()
}

/// Two specifiers name the same module when they differ only by a script extension or a
/// trailing `/index` (`./logger`, `./logger.js`, `./logger/index.ts`).
pub fn same_module(a: &str, b: &str) -> bool {
    fn canonical(s: &str) -> &str {
        let s = [".js", ".ts", ".tsx", ".jsx", ".mjs", ".cjs", ".mts", ".cts"]
            .iter()
            .find_map(|ext| s.strip_suffix(ext))
            .unwrap_or(s);
        s.strip_suffix("/index").unwrap_or(s)
    }
    a == b || (a.starts_with('.') && b.starts_with('.') && canonical(a) == canonical(b))
}

/// The edit that brings `spec` into the file (`None` if it is already there).
///
/// `first_use` is the offset of the first code that uses the name. An ES import is
/// hoisted, so it may go anywhere among the imports; a `require` runs where it stands, so
/// it is placed before the top-level statement holding the first use (`const logger =
/// require(…)` after a use is a ReferenceError at load time). `declared` is the project's
/// configured quotes and semicolons, used where the file's own imports show none.
pub fn ensure(
    root: Node,
    source: &str,
    spec: &ImportSpec,
    system: ModuleSystem,
    newline: &str,
    first_use: Option<usize>,
    declared: super::style::Declared,
) -> Option<Edit> {
    ensure_in(
        root,
        source,
        spec,
        system,
        newline,
        first_use,
        declared,
        || prevailing_quote(root, source.as_bytes()),
    )
}

/// [`ensure`] where `root` is the tree of a head of `source` (a prefix holding every
/// import and require, see `engine::large`) and the quote most of the whole file's
/// string literals use was counted from its tokens.
#[allow(clippy::too_many_arguments)]
pub fn ensure_with_prevailing(
    root: Node,
    source: &str,
    spec: &ImportSpec,
    system: ModuleSystem,
    newline: &str,
    first_use: Option<usize>,
    declared: super::style::Declared,
    prevailing: Option<char>,
) -> Option<Edit> {
    ensure_in(
        root,
        source,
        spec,
        system,
        newline,
        first_use,
        declared,
        || prevailing,
    )
}

#[allow(clippy::too_many_arguments)]
fn ensure_in(
    root: Node,
    source: &str,
    spec: &ImportSpec,
    system: ModuleSystem,
    newline: &str,
    first_use: Option<usize>,
    declared: super::style::Declared,
    prevailing: impl FnOnce() -> Option<char>,
) -> Option<Edit> {
    let bytes = source.as_bytes();
    let mut cursor = root.walk();
    let top: Vec<Node> = root.named_children(&mut cursor).collect();
    let quote = quote_style(&top, bytes, declared.quote, prevailing);
    let semicolon = statement_end(&top, bytes, declared.semicolons);

    // A child declaration runs where it stands, like a `require`: it goes before the
    // top-level statement holding the first use. Only the statements that end before that
    // one may take the import.
    let limit = first_use
        .and_then(|at| top.iter().find(|s| s.end_byte() > at))
        .map_or(usize::MAX, |s| s.start_byte());
    let child = spec
        .child
        .as_ref()
        .map(|c| c.declaration(&spec.local, quote, semicolon));
    // After a merge into an existing statement the child's declaration follows that
    // statement on a line of its own: only when the statement comes before the first use
    // and nothing else shares its line.
    let with_child = |statement: Node, edit: Edit| -> Option<Edit> {
        let Some(child) = &child else {
            return Some(edit);
        };
        let end = statement.end_byte();
        let rest_of_line = &source[end..line_end(source, end)];
        if end > limit || !rest_of_line.trim().is_empty() || edit.range.end > end {
            return None;
        }
        let mut replacement = edit.replacement;
        replacement.push_str(&source[edit.range.end..end]);
        replacement.push_str(newline);
        replacement.push_str(child);
        Some(Edit::replace(edit.range.start..end, replacement, RULE_ID))
    };

    match system {
        ModuleSystem::Esm => {
            for statement in top.iter().filter(|s| s.kind() == "import_statement") {
                let Some(module) = statement.child_by_field_name("source") else {
                    continue;
                };
                if !same_module(&unquote(module, bytes), &spec.source)
                    || is_type_only(*statement, bytes)
                {
                    continue;
                }
                if let Some(edit) =
                    merge_esm(*statement, bytes, spec).and_then(|e| with_child(*statement, e))
                {
                    return Some(edit);
                }
            }
            let statement = if spec.export == "default" {
                format!(
                    "import {} from {quote}{}{quote}{semicolon}",
                    spec.local, spec.source
                )
            } else {
                format!(
                    "import {{ {} }} from {quote}{}{quote}{semicolon}",
                    specifier(spec),
                    spec.source
                )
            };
            let statement = match &child {
                Some(child) => format!("{statement}{newline}{child}"),
                None => statement,
            };
            // Without a child an import is hoisted: any place among the imports will do.
            let before_use: Vec<Node> = top
                .iter()
                .copied()
                .filter(|s| child.is_none() || s.start_byte() < limit)
                .collect();
            let statement_text = statement.clone();
            let mut edit = insert_statement(
                &before_use,
                source,
                statement,
                |s| s.kind() == "import_statement",
                newline,
            );
            terminate(&mut edit, &statement_text, source, semicolon);
            Some(edit)
        }
        ModuleSystem::CommonJs => {
            for statement in top
                .iter()
                .filter(|s| matches!(s.kind(), "lexical_declaration" | "variable_declaration"))
            {
                if require_source(*statement, bytes).is_some_and(|m| same_module(&m, &spec.source))
                    && spec.export != "default"
                    && let Some(edit) =
                        merge_cjs(*statement, bytes, spec).and_then(|e| with_child(*statement, e))
                {
                    return Some(edit);
                }
            }
            let statement = if spec.export == "default" {
                format!(
                    "const {} = require({quote}{}{quote}){semicolon}",
                    spec.local, spec.source
                )
            } else {
                let pattern = if spec.local == spec.export {
                    spec.local.clone()
                } else {
                    format!("{}: {}", spec.export, spec.local)
                };
                format!(
                    "const {{ {pattern} }} = require({quote}{}{quote}){semicolon}",
                    spec.source
                )
            };
            let statement = match &child {
                Some(child) => format!("{statement}{newline}{child}"),
                None => statement,
            };
            // Only the requires that end before the statement of the first use count: the
            // new one goes after the last of them (or at the top).
            let before_use: Vec<Node> = top
                .iter()
                .copied()
                .filter(|s| s.start_byte() < limit)
                .collect();
            let statement_text = statement.clone();
            let mut edit = insert_statement(
                &before_use,
                source,
                statement,
                |s| {
                    matches!(s.kind(), "lexical_declaration" | "variable_declaration")
                        && require_source(*s, bytes).is_some()
                },
                newline,
            );
            terminate(&mut edit, &statement_text, source, semicolon);
            Some(edit)
        }
    }
}

/// In semicolon-free code, a new statement followed by a line starting with `(`, `[`,
/// `` ` ``, `+`, `-` or `/` would be continued by it (`require(…)(…)`): it gets a `;`.
fn terminate(edit: &mut Edit, statement: &str, source: &str, semicolon: &str) {
    if semicolon.is_empty()
        && continues_previous_line(&source[edit.range.end..])
        && let Some(at) = edit.replacement.find(statement)
    {
        edit.replacement.insert(at + statement.len(), ';');
    }
}

/// Whether code starting with `rest` (after blank lines) would continue the expression
/// of the line before it when no semicolon ends that line.
fn continues_previous_line(rest: &str) -> bool {
    rest.trim_start()
        .starts_with(['(', '[', '`', '+', '-', '/'])
}

fn specifier(spec: &ImportSpec) -> String {
    if spec.local == spec.export {
        spec.local.clone()
    } else {
        format!("{} as {}", spec.export, spec.local)
    }
}

/// `import type { … }` cannot carry a value import.
fn is_type_only(statement: Node, source: &[u8]) -> bool {
    let code = text(statement, source);
    code.starts_with(b"import type ") || code.starts_with(b"import typeof ")
}

/// The file's child of the logger it imports as `parent`: the name of a top-level
/// `const <name> = <parent>.child(…)` (as [`ChildLogger`] declares it) and where that name
/// is written.
pub fn child_of(root: Node, source: &[u8], parent: &str) -> Option<(String, usize)> {
    let callee = format!("{parent}.child");
    let mut cursor = root.walk();
    root.named_children(&mut cursor)
        .filter(|s| s.kind() == "lexical_declaration")
        .filter_map(|s| s.named_child(0))
        .find_map(|declarator| {
            let name = declarator.child_by_field_name("name")?;
            let value = declarator.child_by_field_name("value")?;
            let function = value.child_by_field_name("function")?;
            (name.kind() == "identifier"
                && value.kind() == "call_expression"
                && text(function, source) == callee.as_bytes())
            .then(|| {
                (
                    String::from_utf8_lossy(text(name, source)).into_owned(),
                    name.start_byte(),
                )
            })
        })
}

/// The local name under which the file already imports `spec.export` from the module
/// (`import { logger as log } from './logger'` → `log`), if it does.
pub fn existing_local(root: Node, source: &[u8], spec: &ImportSpec) -> Option<String> {
    let mut cursor = root.walk();
    for statement in root.named_children(&mut cursor) {
        match statement.kind() {
            "import_statement" => {
                let module = statement.child_by_field_name("source")?;
                if !same_module(&unquote(module, source), &spec.source)
                    || is_type_only(statement, source)
                {
                    continue;
                }
                let mut c = statement.walk();
                let Some(clause) = statement
                    .named_children(&mut c)
                    .find(|c| c.kind() == "import_clause")
                else {
                    continue;
                };
                let mut c = clause.walk();
                for part in clause.named_children(&mut c) {
                    match part.kind() {
                        "identifier" if spec.export == "default" => {
                            return Some(unquote(part, source));
                        }
                        "named_imports" => {
                            let mut c = part.walk();
                            for specifier in part
                                .named_children(&mut c)
                                .filter(|s| s.kind() == "import_specifier")
                            {
                                let name = specifier
                                    .child_by_field_name("name")
                                    .map(|n| unquote(n, source));
                                if name.as_deref() == Some(spec.export.as_str()) {
                                    let local = specifier
                                        .child_by_field_name("alias")
                                        .or(specifier.child_by_field_name("name"));
                                    return local.map(|n| unquote(n, source));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            "lexical_declaration" | "variable_declaration" => {
                if !require_source(statement, source).is_some_and(|m| same_module(&m, &spec.source))
                {
                    continue;
                }
                let pattern = statement.named_child(0)?.child_by_field_name("name")?;
                match pattern.kind() {
                    "identifier" if spec.export == "default" => {
                        return Some(unquote(pattern, source));
                    }
                    "object_pattern" => {
                        let mut c = pattern.walk();
                        for entry in pattern.named_children(&mut c) {
                            match entry.kind() {
                                "shorthand_property_identifier_pattern"
                                    if text(entry, source) == spec.export.as_bytes() =>
                                {
                                    return Some(spec.export.clone());
                                }
                                "pair_pattern" => {
                                    let key = entry
                                        .child_by_field_name("key")
                                        .map(|k| unquote(k, source));
                                    if key.as_deref() == Some(spec.export.as_str()) {
                                        return entry
                                            .child_by_field_name("value")
                                            .map(|v| unquote(v, source));
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    None
}

/// The module specifiers of the file's relative imports and requires (to follow their
/// extension convention: none, `.js` under NodeNext, or `.ts`).
pub fn relative_specifiers(root: Node, source: &[u8]) -> Vec<String> {
    let mut cursor = root.walk();
    let mut found = Vec::new();
    for statement in root.named_children(&mut cursor) {
        let module = match statement.kind() {
            "import_statement" | "export_statement" => statement
                .child_by_field_name("source")
                .map(|m| unquote(m, source)),
            "lexical_declaration" | "variable_declaration" => require_source(statement, source),
            _ => None,
        };
        if let Some(module) = module.filter(|m| m.starts_with("./") || m.starts_with("../")) {
            found.push(module);
        }
    }
    found
}

/// Adds the specifier to an existing ESM import of the module.
fn merge_esm(statement: Node, source: &[u8], spec: &ImportSpec) -> Option<Edit> {
    let clause = {
        let mut cursor = statement.walk();
        statement
            .named_children(&mut cursor)
            .find(|c| c.kind() == "import_clause")?
    };
    let mut cursor = clause.walk();
    let parts: Vec<Node> = clause.named_children(&mut cursor).collect();
    if spec.export == "default" {
        // `import { a } from 'm'` → `import logger, { a } from 'm'`.
        return match parts.as_slice() {
            [named] if named.kind() == "named_imports" => Some(Edit::insert(
                named.start_byte(),
                format!("{}, ", spec.local),
                RULE_ID,
            )),
            _ => None,
        };
    }
    if let Some(named) = parts.iter().find(|p| p.kind() == "named_imports") {
        let mut cursor = named.walk();
        let specifiers: Vec<Node> = named
            .named_children(&mut cursor)
            .filter(|n| n.kind() == "import_specifier")
            .collect();
        let local = |n: &Node| {
            let name = n
                .child_by_field_name("alias")
                .or(n.child_by_field_name("name"));
            name.map_or(&b""[..], |name| &source[name.byte_range()])
        };
        if let Some(edit) = sorted_insert(&specifiers, local, source, &specifier(spec), &spec.local)
        {
            return Some(edit);
        }
        return Some(match specifiers.last() {
            Some(last) => Edit::insert(last.end_byte(), format!(", {}", specifier(spec)), RULE_ID),
            None => Edit::replace(
                named.byte_range(),
                format!("{{ {} }}", specifier(spec)),
                RULE_ID,
            ),
        });
    }
    // `import d from 'm'` → `import d, { logger } from 'm'` (not after a namespace import).
    match parts.as_slice() {
        [default] if default.kind() == "identifier" => {
            let _ = source;
            Some(Edit::insert(
                default.end_byte(),
                format!(", {{ {} }}", specifier(spec)),
                RULE_ID,
            ))
        }
        _ => None,
    }
}

/// Where a new name goes in a list of names that is kept sorted (ESLint's `sort-imports`
/// checks the members of an import by their local names, by character code unless told to
/// ignore case): before the first name that sorts after it, with the list's own separator
/// (`, ` or `,` and a newline with the indentation). `None` when the list is not sorted
/// either way, or the name sorts last (it is appended, as in any list).
fn sorted_insert<'t, 's>(
    entries: &[Node<'t>],
    local: impl Fn(&Node<'t>) -> &'s [u8],
    source: &'s [u8],
    text: &str,
    name: &str,
) -> Option<Edit> {
    let names: Vec<&[u8]> = entries.iter().map(&local).collect();
    let lower = |b: &[u8]| b.to_ascii_lowercase();
    let by_code = names.windows(2).all(|w| w[0] <= w[1]);
    let ignoring_case = names.windows(2).all(|w| lower(w[0]) <= lower(w[1]));
    let after = |other: &[u8]| {
        if by_code {
            other > name.as_bytes()
        } else {
            lower(other) > lower(name.as_bytes())
        }
    };
    if !(by_code || ignoring_case) {
        return None;
    }
    let at = names.iter().position(|other| after(other))?;
    let separator = match entries {
        [first, second, ..] => {
            String::from_utf8_lossy(&source[first.end_byte()..second.start_byte()]).into_owned()
        }
        _ => ", ".to_owned(),
    };
    Some(Edit::insert(
        entries[at].start_byte(),
        format!("{text}{separator}"),
        RULE_ID,
    ))
}

/// Adds the name to `const { a } = require('m')`.
fn merge_cjs(statement: Node, source: &[u8], spec: &ImportSpec) -> Option<Edit> {
    let declarator = statement.named_child(0)?;
    let pattern = declarator.child_by_field_name("name")?;
    if pattern.kind() != "object_pattern" {
        return None;
    }
    let entry = if spec.local == spec.export {
        spec.local.clone()
    } else {
        format!("{}: {}", spec.export, spec.local)
    };
    let mut cursor = pattern.walk();
    let entries: Vec<Node> = pattern
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect();
    let plain: Vec<Node> = entries
        .iter()
        .copied()
        .take_while(|n| n.kind() != "rest_pattern")
        .collect();
    let local = |n: &Node| {
        let name = match n.kind() {
            "pair_pattern" => n.child_by_field_name("value"),
            _ => Some(*n),
        };
        name.map_or(&b""[..], |name| &source[name.byte_range()])
    };
    if let Some(edit) = sorted_insert(&plain, local, source, &entry, &spec.local) {
        return Some(edit);
    }
    Some(match entries.as_slice() {
        // A rest element must stay last: `{ a, ...rest }` → `{ a, logger, ...rest }`.
        [.., rest] if rest.kind() == "rest_pattern" => {
            Edit::insert(rest.start_byte(), format!("{entry}, "), RULE_ID)
        }
        [.., last] => Edit::insert(last.end_byte(), format!(", {entry}"), RULE_ID),
        [] => Edit::replace(pattern.byte_range(), format!("{{ {entry} }}"), RULE_ID),
    })
}

/// Inserts a new statement after the last statement matching `is_import`, or after the
/// file's preamble (shebang, directives, leading comments) when there is none.
fn insert_statement(
    top: &[Node],
    source: &str,
    statement: String,
    is_import: impl Fn(&Node) -> bool,
    newline: &str,
) -> Edit {
    if let Some((index, last)) = top.iter().enumerate().filter(|(_, s)| is_import(s)).last() {
        let at = line_end(source, last.end_byte());
        // Something else starts on the import's line (a block comment or a template
        // literal that may run over several lines, a statement): the new statement goes
        // right after the import, on a line of its own, never inside that code.
        let shares_line = top
            .get(index + 1)
            .is_some_and(|next| next.start_byte() < at)
            || source[last.end_byte()..at]
                .trim_start()
                .starts_with(['/', '`']);
        if shares_line {
            return Edit::insert(last.end_byte(), format!("{newline}{statement}"), RULE_ID);
        }
        // The last import ends the file without a line break: start a new line.
        let text = if at == source.len() && !source.ends_with('\n') {
            format!("{newline}{statement}")
        } else {
            format!("{statement}{newline}")
        };
        return Edit::insert(at, text, RULE_ID);
    }
    // The preamble: the shebang (not a named child in every grammar, so also by text),
    // directive strings, and comments before the first statement.
    let mut at = if source.starts_with("#!") {
        line_end(source, 0)
    } else {
        0
    };
    // Comments directly above the first statement (no blank line between) belong to it,
    // like a `// dash-ignore` or a doc comment: the import goes above them. Header
    // comments (followed by a blank line, or a block comment opening the file) stay on top.
    let mut attached_from: Option<usize> = None;
    for node in top {
        let is_directive = node.kind() == "expression_statement"
            && node.named_child(0).is_some_and(|s| s.kind() == "string");
        if node.kind() == "comment" {
            let opens_file = source[..node.start_byte()]
                .trim_start_matches("#!")
                .trim()
                .is_empty()
                || source[..node.start_byte()]
                    .lines()
                    .all(|l| l.starts_with("#!") || l.trim().is_empty());
            let comment = &source[node.byte_range()];
            // Pragmas must stay above every statement: `/// <reference …>`,
            // `// @ts-nocheck`, `/** @jsx h */`, `// eslint-disable`, `// @flow`.
            let pragma = comment.starts_with("///")
                || [
                    "@ts-nocheck",
                    "@ts-check",
                    "@jsx",
                    "@flow",
                    "eslint-disable",
                    "@vitest-environment",
                    "@jest-environment",
                ]
                .iter()
                .any(|p| comment.contains(p));
            let header = (opens_file && comment.starts_with("/*")) || pragma;
            let followed_by_blank = source[node.end_byte()..]
                .trim_start_matches([' ', '\t'])
                .trim_start_matches('\r')
                .starts_with('\n')
                && {
                    let rest = &source[line_end(source, node.end_byte())..];
                    rest.trim_start_matches([' ', '\t', '\r']).starts_with('\n') || rest.is_empty()
                };
            if header || followed_by_blank {
                attached_from = None;
            } else if attached_from.is_none() {
                attached_from = Some(line_start(source, node.start_byte()));
            }
            at = line_end(source, node.end_byte());
        } else if node.kind() == "hash_bang_line" || is_directive {
            attached_from = None;
            at = line_end(source, node.end_byte());
        } else {
            break;
        }
    }
    if let Some(start) = attached_from {
        at = start;
    }
    let rest = &source[at..];
    let blank_before = at > 0
        && !source[..at].trim_end_matches(['\r', '\n']).is_empty()
        && !source[..at].ends_with(&format!("{newline}{newline}"));
    let blank_after = !rest.is_empty() && !rest.starts_with(newline) && !rest.starts_with('\n');
    let mut text = String::new();
    if blank_before {
        text.push_str(newline);
    }
    text.push_str(&statement);
    text.push_str(newline);
    if blank_after {
        text.push_str(newline);
    }
    Edit::insert(at, text, RULE_ID)
}

/// The offset where the line containing `offset` starts.
fn line_start(source: &str, offset: usize) -> usize {
    source[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset just past the line break that ends the line containing `offset` (or the end
/// of the file, where a line break is added first by the caller's text).
fn line_end(source: &str, offset: usize) -> usize {
    source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i + 1)
}

/// Single or double quotes: as the file's imports already use; in a file without
/// imports, as the project declares ([`super::style`]); failing that, as most of the
/// file's own string literals are written; single by default.
fn quote_style(
    top: &[Node],
    source: &[u8],
    declared: Option<char>,
    prevailing: impl FnOnce() -> Option<char>,
) -> char {
    let of = |literal: &[u8]| {
        if literal.starts_with(b"\"") {
            '"'
        } else {
            '\''
        }
    };
    top.iter()
        .filter(|s| s.kind() == "import_statement")
        .filter_map(|s| s.child_by_field_name("source"))
        .map(|m| of(text(m, source)))
        .next()
        .or(declared)
        .or_else(prevailing)
        .unwrap_or('\'')
}

/// The quote most of the file's string literals use (`None` on a tie or without any):
/// one walk of the tree that does not descend into what cannot hold a string.
fn prevailing_quote(root: Node, source: &[u8]) -> Option<char> {
    let (mut single, mut double) = (0usize, 0usize);
    let mut cursor = root.walk();
    'walk: loop {
        let node = cursor.node();
        let descend = match node.kind() {
            "string" => {
                match source.get(node.start_byte()) {
                    Some(b'"') => double += 1,
                    Some(b'\'') => single += 1,
                    _ => {}
                }
                false
            }
            "comment" | "template_string" | "regex" | "jsx_text" | "jsx_attribute" => false,
            _ => true,
        };
        if descend && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    match single.cmp(&double) {
        std::cmp::Ordering::Greater => Some('\''),
        std::cmp::Ordering::Less => Some('"'),
        std::cmp::Ordering::Equal => None,
    }
}

/// What a new statement ends with: the file's imports show it when it has some (see
/// [`semicolon_style`]); otherwise the project's declared style; otherwise the file's
/// first statements.
fn statement_end(top: &[Node], source: &[u8], declared: Option<bool>) -> &'static str {
    let has_imports = top.iter().any(|s| {
        s.kind() == "import_statement"
            || (matches!(s.kind(), "lexical_declaration" | "variable_declaration")
                && require_source(*s, source).is_some())
    });
    match declared {
        Some(semicolons) if !has_imports => {
            if semicolons {
                ";"
            } else {
                ""
            }
        }
        _ => semicolon_style(top, source),
    }
}

/// Whether statements end with `;` (yes unless the imports, or the first statements,
/// show a semicolon-free style).
pub(crate) fn semicolon_style(top: &[Node], source: &[u8]) -> &'static str {
    let sample: Vec<&Node> = top
        .iter()
        .filter(|s| !matches!(s.kind(), "comment" | "hash_bang_line"))
        .take(5)
        .collect();
    if !sample.is_empty()
        && sample
            .iter()
            .all(|s| !text(**s, source).ends_with(b";") && !text(**s, source).ends_with(b"}"))
    {
        ""
    } else {
        ";"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Lang, parse};

    /// `source` with `spec` added, its first use at `first_use`.
    fn added(
        source: &str,
        spec: &ImportSpec,
        system: ModuleSystem,
        first_use: Option<usize>,
    ) -> String {
        let tree = parse(Lang::TypeScript, source.as_bytes()).unwrap();
        let edit = ensure(
            tree.root_node(),
            source,
            spec,
            system,
            "\n",
            first_use,
            Default::default(),
        )
        .unwrap();
        let mut out = source.to_owned();
        out.replace_range(edit.range.clone(), &edit.replacement);
        out
    }

    /// The file after adding `spec` (named import `name` from `m`).
    fn with_import(source: &str, name: &str, system: ModuleSystem) -> String {
        let spec = ImportSpec {
            source: "m".into(),
            export: name.into(),
            local: name.into(),
            child: None,
        };
        added(source, &spec, system, None)
    }

    /// The file after adding `logger as rootLogger` from `m` and its child, first used at
    /// the first `use(` in the text.
    fn with_child(source: &str, system: ModuleSystem) -> String {
        let spec = ImportSpec {
            source: "m".into(),
            export: "logger".into(),
            local: "rootLogger".into(),
            child: Some(ChildLogger {
                name: "logger".into(),
                module: "it's\\here".into(),
            }),
        };
        added(source, &spec, system, source.find("use("))
    }

    #[test]
    fn a_child_is_declared_after_its_import_and_before_the_first_use() {
        let esm = ModuleSystem::Esm;
        let child = "const logger = rootLogger.child({ module: 'it\\'s\\\\here' });";
        // A new import, placed before the first top-level use even among later imports.
        assert_eq!(
            with_child("import a from 'a';\nuse(a);\nimport b from 'b';\n", esm),
            format!(
                "import a from 'a';\nimport {{ logger as rootLogger }} from 'm';\n{child}\nuse(a);\nimport b from 'b';\n"
            )
        );
        // Merged into the module's import, the child on the next line.
        assert_eq!(
            with_child("import { a } from 'm';\n\nuse(a);\n", esm),
            format!("import {{ a, logger as rootLogger }} from 'm';\n{child}\n\nuse(a);\n")
        );
        // Not merged into an import after the first use, nor one sharing its line.
        assert_eq!(
            with_child("use(1);\nimport { a } from 'm';\n", esm),
            format!(
                "import {{ logger as rootLogger }} from 'm';\n{child}\n\nuse(1);\nimport {{ a }} from 'm';\n"
            )
        );
        assert_eq!(
            with_child("import { a } from 'm'; // why\nuse(a);\n", esm),
            // (a comment sharing the import's line may be a block comment running on: the
            // new statements go right after the import, as every new import does)
            format!(
                "import {{ a }} from 'm';\nimport {{ logger as rootLogger }} from 'm';\n{child} // why\nuse(a);\n"
            )
        );
        // CommonJS: merged into the require, the child after it.
        assert_eq!(
            with_child(
                "const { a } = require('m');\nuse(a);\n",
                ModuleSystem::CommonJs
            ),
            format!("const {{ a, logger: rootLogger }} = require('m');\n{child}\nuse(a);\n")
        );
    }

    #[test]
    fn a_name_joins_a_sorted_list_in_its_place_with_the_lists_separator() {
        let esm = ModuleSystem::Esm;
        assert_eq!(
            with_import("import { describe, it } from 'm';\n", "afterEach", esm),
            "import { afterEach, describe, it } from 'm';\n"
        );
        assert_eq!(
            with_import("import {\n  describe,\n  it,\n} from 'm';\n", "expect", esm),
            "import {\n  describe,\n  expect,\n  it,\n} from 'm';\n"
        );
        // Sorted ignoring case only: placed ignoring case.
        assert_eq!(
            with_import(
                "import { format, type LogLevel } from 'm';\n",
                "logger",
                esm
            ),
            "import { format, logger, type LogLevel } from 'm';\n"
        );
        // Sorting last, or a list in no order: appended.
        assert_eq!(
            with_import("import { a, b } from 'm';\n", "c", esm),
            "import { a, b, c } from 'm';\n"
        );
        assert_eq!(
            with_import("import { it, describe } from 'm';\n", "afterEach", esm),
            "import { it, describe, afterEach } from 'm';\n"
        );
        assert_eq!(
            with_import(
                "const { b, ...rest } = require('m');\n",
                "a",
                ModuleSystem::CommonJs
            ),
            "const { a, b, ...rest } = require('m');\n"
        );
    }
}
