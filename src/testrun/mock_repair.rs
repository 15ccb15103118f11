//! The run-driven repairs of two mock misuses (`dash test --fix`), read off what the
//! runner said and checked against the test file and the mocked module:
//!
//! - **Constructed arrow** (vitest 4): `new` on a `vi.fn` whose implementation is an arrow
//!   fails with `TypeError: <the arrow's text> is not a constructor` (jest 29/30 and
//!   vitest 2/3 run it). The arrow given to `vi.fn(…)`, `.mockImplementation(…)` or
//!   `.mockImplementationOnce(…)` whose text is the one in the message (compared token by
//!   token, so esbuild's reprint of a TypeScript file still matches) is the one `new`
//!   reached; it becomes a `function` expression with the same parameters and body. An
//!   arrow that reads `this`, `arguments`, `super` or `new.target` is left (a `function`
//!   would read its own), as is a text that more than one arrow of the file has.
//! - **Partial module mock**: the factory of `vi.mock`/`jest.mock` returns an object
//!   without an export the code uses (vitest: `No "bye" export is defined on the "./m"
//!   mock`; jest: `TypeError: bye is not a function`, `(0 , _m.bye) is not a function`).
//!   When the actual module (read from its source, relative to the test file) exports it,
//!   the factory spreads the actual module first: vitest `...(await importOriginal())`
//!   (the factory made `async`, its first parameter named `importOriginal` unless it has
//!   one), jest `...jest.requireActual('./m')`. An export the module lacks is a real bug
//!   and is left, with the reason.
//!
//! Nothing here runs or writes: the result is a candidate text the canary proves.

use std::path::{Path, PathBuf};

use tree_sitter::Node;

use super::classify::{Class, Failure};
use super::repair::Candidate;
use crate::syntax::{self, Lang};

/// Reads a project file (the test file's path joined with a module's): its text, or
/// `None` when there is none. The classifier reads through its own source reader, the
/// repair from the package's folder.
pub type Read<'a> = &'a dyn Fn(&Path) -> Option<String>;

/// Reads from the disk.
pub fn read_disk(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The reason `classify` gives an arrow mock used with `new`.
pub const CONSTRUCTED_ARROW: &str = "an arrow-function mock used with `new`";
/// The reason `classify` gives a mock factory without an export the code uses.
pub const MISSING_EXPORT: &str = "the mock factory does not return an export the code uses";

/// A mock misuse these repairs handle (the static test rules have nothing for it).
pub fn run_driven(failure: &Failure) -> bool {
    failure.class == Class::MockMisuse
        && (failure.reason == CONSTRUCTED_ARROW || failure.reason == MISSING_EXPORT)
}

/// What one repair fixes: every failure of the file with the same key is its target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// The arrow's text as the runner printed it.
    ConstructedArrow(String),
    /// The export, and the module when the runner named it.
    MissingExport(String, Option<String>),
}

impl Fault {
    /// The fault a run-driven failure's full `message` describes.
    pub fn of(failure: &Failure, message: &str) -> Option<Fault> {
        if !run_driven(failure) {
            return None;
        }
        if failure.reason == CONSTRUCTED_ARROW {
            constructed_arrow(message).map(Fault::ConstructedArrow)
        } else {
            missing_export(message).map(|(e, m)| Fault::MissingExport(e, m))
        }
    }

    /// The candidate for the test file at `path` (its `text`; modules read with `read`).
    pub fn candidate(&self, path: &Path, text: &str, read: Read) -> Result<Candidate, String> {
        match self {
            Fault::ConstructedArrow(implementation) => arrow_fix(path, text, implementation),
            Fault::MissingExport(export, module) => {
                partial_mock_fix(path, text, export, module.as_deref(), read)
            }
        }
    }
}

/// The implementation's text in vitest 4's `TypeError: <text> is not a constructor`
/// (`message`: the whole failure message; the text may span lines).
pub fn constructed_arrow(message: &str) -> Option<String> {
    let start = message.find("TypeError: ")? + "TypeError: ".len();
    let rest = &message[start..];
    let end = rest.find(" is not a constructor")?;
    let implementation = rest[..end].trim();
    implementation
        .contains("=>")
        .then(|| implementation.to_owned())
}

/// The export a partial mock lacks, and the module as the mock names it when the runner
/// says (vitest); jest names only the export.
pub fn missing_export(message: &str) -> Option<(String, Option<String>)> {
    if let Some(rest) = message.split("[vitest] No \"").nth(1) {
        let (export, rest) = rest.split_once('"')?;
        let module = rest
            .split_once(" export is defined on the \"")
            .and_then(|(_, m)| m.split_once("\" mock"))
            .map(|(m, _)| m.to_owned());
        return Some((export.to_owned(), module));
    }
    let line = message
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("TypeError: ") && l.ends_with(" is not a function"))?;
    let callee = line
        .trim_start_matches("TypeError: ")
        .trim_end_matches(" is not a function")
        .trim_start_matches("(0 , ")
        .trim_end_matches(')');
    let export = callee.rsplit('.').next()?;
    let plain = !export.is_empty()
        && export
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    plain.then(|| (export.to_owned(), None))
}

/// Which runner's mock API a factory uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Vitest,
    Jest,
}

/// A `vi.mock(...)` / `jest.mock(...)` call of the test file whose factory returns an
/// object literal.
struct PartialMock<'t> {
    factory: Node<'t>,
    object: Node<'t>,
    specifier: String,
    /// The first argument as written (`'./m'` or `import('./m')`).
    specifier_node: Node<'t>,
}

/// Whether the test at `test_path` mocks a module (jest) without `export` that the
/// actual module has: the classifier's check for jest's plain `is not a function`.
pub fn jest_partial_mock(test_path: &Path, text: &str, export: &str, read: Read) -> bool {
    partial_mock(test_path, text, export, read).is_ok_and(|api| api == Api::Jest)
}

/// The factory to repair for `export`, or why there is none.
fn find_partial<'t>(
    test_path: &Path,
    root: Node<'t>,
    source: &[u8],
    export: &str,
    module: Option<&str>,
    read: Read,
) -> Result<(Api, PartialMock<'t>), String> {
    let mut mocks = Vec::new();
    collect_mocks(root, source, &mut mocks);
    // The module as the runner printed it picks the factory when one has that name.
    let module = module.filter(|want| mocks.iter().any(|(_, m)| m.specifier == *want));
    let lacking: Vec<(Api, PartialMock)> = mocks
        .into_iter()
        .filter(|(_, m)| module.is_none_or(|want| m.specifier == want))
        .filter(|(_, m)| {
            let keys = object_keys(m.object, source);
            keys.is_some_and(|k| !k.iter().any(|k| k == export))
        })
        .collect();
    let mut real = Vec::new();
    let mut why = Vec::new();
    for (api, mock) in lacking {
        match module_exports(test_path, &mock.specifier, read) {
            Ok(exports) if exports.iter().any(|e| e == export) => real.push((api, mock)),
            Ok(_) => why.push(format!(
                "the actual module {} has no export \"{export}\": the code uses something that does not exist (a real bug)",
                mock.specifier
            )),
            Err(reason) => why.push(reason),
        }
    }
    match real.len() {
        1 => Ok(real.pop().expect("one")),
        0 if why.is_empty() => Err(format!(
            "no mock factory in the test file returns an object without \"{export}\""
        )),
        0 => Err(why.join("; ")),
        _ => Err(format!(
            "more than one mock factory lacks \"{export}\" and their modules export it"
        )),
    }
}

fn partial_mock(test_path: &Path, text: &str, export: &str, read: Read) -> Result<Api, String> {
    let lang = Lang::from_path(test_path).ok_or("not a JavaScript or TypeScript file")?;
    let tree = syntax::parse(lang, text.as_bytes()).ok_or("the file does not parse")?;
    let (api, _) = find_partial(
        test_path,
        tree.root_node(),
        text.as_bytes(),
        export,
        None,
        read,
    )?;
    Ok(api)
}

/// The test file's text with the factory that lacks `export` spreading the actual module.
pub fn partial_mock_fix(
    test_path: &Path,
    text: &str,
    export: &str,
    module: Option<&str>,
    read: Read,
) -> Result<Candidate, String> {
    let lang = Lang::from_path(test_path).ok_or("not a JavaScript or TypeScript file")?;
    let tree = syntax::parse(lang, text.as_bytes()).ok_or("the file does not parse")?;
    let source = text.as_bytes();
    let (api, mock) = find_partial(test_path, tree.root_node(), source, export, module, read)?;
    let open = mock.object.start_byte() + 1;
    // `{` then a line break: the spread goes on a line of its own, indented as the first
    // member is; else right after the `{`.
    let after = &text[open..];
    let spread_line = |spread: String| -> String {
        let newline = if after.starts_with("\r\n") {
            "\r\n"
        } else if after.starts_with('\n') {
            "\n"
        } else {
            return format!(" {spread},");
        };
        let indent: String = after[newline.len()..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        format!("{newline}{indent}{spread},")
    };
    // Edits as (byte, bytes to replace, new text), applied from the end.
    let mut edits: Vec<Edit> = Vec::new();
    let repair = match api {
        Api::Jest => {
            let quoted = std::str::from_utf8(syntax::text(mock.specifier_node, source))
                .map_err(|_| "the module's name is not text")?;
            edits.push((
                open,
                0,
                spread_line(format!("...jest.requireActual({quoted})")),
            ));
            format!(
                "jest.requireActual spread into the jest.mock factory of {}",
                mock.specifier
            )
        }
        Api::Vitest => {
            let (name, param_edit) = import_original_param(mock.factory, source)?;
            let typed = matches!(lang, Lang::TypeScript | Lang::Tsx)
                && mock.specifier_node.kind() == "string";
            let type_args = if typed {
                let quoted = std::str::from_utf8(syntax::text(mock.specifier_node, source))
                    .map_err(|_| "the module's name is not text")?;
                format!("<typeof import({quoted})>")
            } else {
                String::new()
            };
            edits.push((
                open,
                0,
                spread_line(format!("...(await {name}{type_args}())")),
            ));
            edits.extend(param_edit);
            if !is_async(mock.factory) {
                edits.push((mock.factory.start_byte(), 0, "async ".into()));
            }
            format!(
                "importOriginal spread into the vi.mock factory of {}",
                mock.specifier
            )
        }
    };
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut new_text = text.to_owned();
    for (at, len, with) in edits {
        new_text.replace_range(at..at + len, &with);
    }
    Ok(Candidate {
        text: new_text,
        repair: format!("{repair} (it lacked \"{export}\")"),
        label: "partial-mock",
        raised: None,
    })
}

/// A text edit: at this byte, replace this many bytes with this text.
type Edit = (usize, usize, String);

/// The name the factory's first parameter gives `importOriginal`, and the edit that adds
/// it when the factory takes none.
fn import_original_param(factory: Node, source: &[u8]) -> Result<(String, Option<Edit>), String> {
    if let Some(single) = factory.child_by_field_name("parameter") {
        return Ok((utf8(single, source).to_owned(), None));
    }
    let params = factory
        .child_by_field_name("parameters")
        .ok_or("the mock factory has no parameter list")?;
    let mut cursor = params.walk();
    let first = params
        .named_children(&mut cursor)
        .find(|n| n.kind() != "comment");
    match first {
        None => Ok((
            "importOriginal".into(),
            Some((
                params.start_byte(),
                params.end_byte() - params.start_byte(),
                "(importOriginal)".into(),
            )),
        )),
        Some(p) => {
            let name = match p.kind() {
                "identifier" => p,
                "required_parameter" | "optional_parameter" => p
                    .child_by_field_name("pattern")
                    .filter(|n| n.kind() == "identifier")
                    .ok_or("the mock factory's first parameter is a pattern")?,
                _ => return Err("the mock factory's first parameter is a pattern".into()),
            };
            Ok((utf8(name, source).to_owned(), None))
        }
    }
}

fn is_async(function: Node) -> bool {
    let mut cursor = function.walk();
    function.children(&mut cursor).any(|c| c.kind() == "async")
}

fn utf8<'s>(node: Node, source: &'s [u8]) -> &'s str {
    std::str::from_utf8(syntax::text(node, source)).unwrap_or("")
}

/// Every `vi.mock`/`jest.mock` call with a string module and a factory returning an
/// object literal (directly, or as the last `return` of its block).
fn collect_mocks<'t>(node: Node<'t>, source: &[u8], out: &mut Vec<(Api, PartialMock<'t>)>) {
    if node.kind() == "call_expression"
        && let Some(found) = mock_call(node, source)
    {
        out.push(found);
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        collect_mocks(child, source, out);
    }
}

fn mock_call<'t>(call: Node<'t>, source: &[u8]) -> Option<(Api, PartialMock<'t>)> {
    let api = match utf8(call.child_by_field_name("function")?, source) {
        "vi.mock" | "vitest.mock" => Api::Vitest,
        "jest.mock" => Api::Jest,
        _ => return None,
    };
    let arguments = call.child_by_field_name("arguments")?;
    let mut cursor = arguments.walk();
    let args: Vec<Node> = arguments
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect();
    let (first, factory) = (*args.first()?, *args.get(1)?);
    let specifier_node = match first.kind() {
        "string" => first,
        // vitest's `vi.mock(import('./m'), …)`.
        "call_expression" if api == Api::Vitest => {
            let arguments = first.child_by_field_name("arguments")?;
            (utf8(first.child_by_field_name("function")?, source) == "import")
                .then(|| arguments.named_child(0))??
        }
        _ => return None,
    };
    if specifier_node.kind() != "string" {
        return None;
    }
    let raw = utf8(specifier_node, source);
    let specifier = raw.get(1..raw.len().checked_sub(1)?)?.to_owned();
    if !matches!(
        factory.kind(),
        "arrow_function" | "function_expression" | "function"
    ) {
        return None;
    }
    let object = returned_object(factory)?;
    Some((
        api,
        PartialMock {
            factory,
            object,
            specifier,
            specifier_node,
        },
    ))
}

/// The object literal a function returns: its expression body, or the last statement of
/// its block when that is `return {…}`.
fn returned_object(function: Node) -> Option<Node> {
    let body = function.child_by_field_name("body")?;
    let expression = if body.kind() == "statement_block" {
        let last = body.named_child(body.named_child_count().checked_sub(1)? as u32)?;
        (last.kind() == "return_statement").then(|| last.named_child(0))??
    } else {
        body
    };
    let mut expression = expression;
    while expression.kind() == "parenthesized_expression" {
        expression = expression.named_child(0)?;
    }
    (expression.kind() == "object").then_some(expression)
}

/// The keys of an object literal; `None` when it has a spread (its keys are not known).
fn object_keys(object: Node, source: &[u8]) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    let mut cursor = object.walk();
    for member in object.named_children(&mut cursor) {
        match member.kind() {
            "spread_element" => return None,
            "shorthand_property_identifier" => keys.push(utf8(member, source).to_owned()),
            "pair" | "method_definition" => {
                let key = member
                    .child_by_field_name("key")
                    .or_else(|| member.child_by_field_name("name"))?;
                keys.push(unquote(utf8(key, source)).to_owned());
            }
            _ => {}
        }
    }
    Some(keys)
}

fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '\'' || c == '"' || c == '`')
}

/// The names a module exports, read from its source (`specifier` relative to the test
/// file), or why they cannot be known.
fn module_exports(test_path: &Path, specifier: &str, read: Read) -> Result<Vec<String>, String> {
    if !specifier.starts_with('.') {
        return Err(format!(
            "{specifier} is a package: its exports are not read, so a missing one is left"
        ));
    }
    let base = test_path.parent().unwrap_or(Path::new("")).join(specifier);
    let (file, text) = resolve(&base, read)
        .ok_or_else(|| format!("the actual module {specifier} was not found"))?;
    let mut names = Vec::new();
    exports_of(&file, &text, &mut names, 0, read)?;
    Ok(names)
}

/// The file a relative module path names (with an extension, as `index`, or a `.js`
/// written for a `.ts` source).
fn resolve(base: &Path, read: Read) -> Option<(PathBuf, String)> {
    const EXTENSIONS: [&str; 8] = ["ts", "tsx", "js", "jsx", "mjs", "cjs", "mts", "cts"];
    if Lang::from_path(base).is_some()
        && let Some(text) = read(base)
    {
        return Some((base.to_owned(), text));
    }
    let raw = base.to_string_lossy();
    let stem = ["js", "jsx", "mjs", "cjs"]
        .iter()
        .find_map(|e| raw.strip_suffix(&format!(".{e}")))
        .unwrap_or(&raw)
        .to_owned();
    EXTENSIONS
        .iter()
        .map(|e| PathBuf::from(format!("{stem}.{e}")))
        .chain(EXTENSIONS.iter().map(|e| base.join(format!("index.{e}"))))
        .find_map(|p| read(&p).map(|text| (p, text)))
}

/// ES `export`s and CommonJS `exports.x =` / `module.exports = {…}` of `file`, following
/// `export * from` a few levels.
fn exports_of(
    file: &Path,
    text: &str,
    names: &mut Vec<String>,
    depth: u32,
    read: Read,
) -> Result<(), String> {
    let shown = file.display();
    let lang = Lang::from_path(file).ok_or_else(|| format!("{shown} is not JavaScript"))?;
    let tree = syntax::parse(lang, text.as_bytes()).ok_or("the module does not parse")?;
    let source = text.as_bytes();
    let root = tree.root_node();
    let mut cursor = root.walk();
    for statement in root.named_children(&mut cursor) {
        match statement.kind() {
            "export_statement" => {
                let mut c = statement.walk();
                let children: Vec<Node> = statement.children(&mut c).collect();
                if children.iter().any(|n| n.kind() == "default") {
                    names.push("default".into());
                }
                if let Some(declaration) = statement.child_by_field_name("declaration") {
                    declared_names(declaration, source, names);
                }
                for clause in children.iter().filter(|n| n.kind() == "export_clause") {
                    let mut c = clause.walk();
                    for spec in clause.named_children(&mut c) {
                        if let Some(name) = spec
                            .child_by_field_name("alias")
                            .or_else(|| spec.child_by_field_name("name"))
                        {
                            names.push(unquote(utf8(name, source)).to_owned());
                        }
                    }
                }
                let star = children.iter().any(|n| n.kind() == "*");
                let namespace = children.iter().any(|n| n.kind() == "namespace_export");
                if let (true, false, Some(from)) =
                    (star, namespace, statement.child_by_field_name("source"))
                {
                    if depth >= 3 {
                        return Err(format!("{shown} re-exports too deep to follow"));
                    }
                    let spec = unquote(utf8(from, source));
                    if !spec.starts_with('.') {
                        return Err(format!("{shown} re-exports the package {spec}"));
                    }
                    let base = file.parent().unwrap_or(Path::new("")).join(spec);
                    let (next, text) = resolve(&base, read)
                        .ok_or_else(|| format!("{shown} re-exports {spec}, which was not found"))?;
                    exports_of(&next, &text, names, depth + 1, read)?;
                }
            }
            "expression_statement" => {
                let Some(assignment) = statement
                    .named_child(0)
                    .filter(|n| n.kind() == "assignment_expression")
                else {
                    continue;
                };
                let (Some(left), Some(right)) = (
                    assignment.child_by_field_name("left"),
                    assignment.child_by_field_name("right"),
                ) else {
                    continue;
                };
                let target = utf8(left, source);
                if let Some(name) = target
                    .strip_prefix("exports.")
                    .or_else(|| target.strip_prefix("module.exports."))
                {
                    names.push(name.to_owned());
                } else if target == "module.exports" {
                    if right.kind() != "object" {
                        return Err(format!(
                            "{shown} assigns module.exports a value whose keys are not written out"
                        ));
                    }
                    match object_keys(right, source) {
                        Some(keys) => names.extend(keys),
                        None => {
                            return Err(format!("{shown} spreads something into module.exports"));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn declared_names(declaration: Node, source: &[u8], names: &mut Vec<String>) {
    match declaration.kind() {
        "lexical_declaration" | "variable_declaration" => {
            let mut c = declaration.walk();
            for declarator in declaration.named_children(&mut c) {
                if let Some(name) = declarator
                    .child_by_field_name("name")
                    .filter(|n| n.kind() == "identifier")
                {
                    names.push(utf8(name, source).to_owned());
                }
            }
        }
        _ => {
            if let Some(name) = declaration.child_by_field_name("name") {
                names.push(utf8(name, source).to_owned());
            }
        }
    }
}

/// The test file's text with the arrow whose text is `implementation` (as the runner
/// printed it) given to `vi.fn`/`mockImplementation`/`mockImplementationOnce` rewritten
/// as a `function` expression.
pub fn arrow_fix(path: &Path, text: &str, implementation: &str) -> Result<Candidate, String> {
    let lang = Lang::from_path(path).ok_or("not a JavaScript or TypeScript file")?;
    let tree = syntax::parse(lang, text.as_bytes()).ok_or("the file does not parse")?;
    let source = text.as_bytes();
    let wanted = printed_tokens(implementation)
        .ok_or("the implementation in the message does not parse as an arrow function")?;
    let mut arrows = Vec::new();
    collect_mock_arrows(tree.root_node(), source, &mut arrows);
    let matching: Vec<Node> = arrows
        .into_iter()
        .filter(|a| {
            let mut tokens = Vec::new();
            tokens_of(*a, source, &mut tokens);
            tokens == wanted
        })
        .collect();
    let arrow = match matching.as_slice() {
        [one] => *one,
        [] => {
            return Err(
                "no arrow given to vi.fn or mockImplementation in the test file has the text of the one `new` reached (it may be in another file)"
                    .into(),
            );
        }
        more => {
            return Err(format!(
                "{} arrows in the file have the text of the one `new` reached: which one is not known",
                more.len()
            ));
        }
    };
    if let Some(what) = lexical_binding(arrow, source) {
        return Err(format!(
            "the arrow reads `{what}`, which a `function` would bind differently: left for a person"
        ));
    }
    let root = tree.root_node();
    let mut cursor = root.walk();
    let top: Vec<Node> = root.named_children(&mut cursor).collect();
    let semicolon = crate::edit::imports::semicolon_style(&top, source);
    let function = as_function(arrow, source, semicolon)?;
    let mut new_text = String::with_capacity(text.len() + 16);
    new_text.push_str(&text[..arrow.start_byte()]);
    new_text.push_str(&function);
    new_text.push_str(&text[arrow.end_byte()..]);
    Ok(Candidate {
        text: new_text,
        repair: format!(
            "arrow mock implementation → function (vitest 4 constructs it with `new`; line {})",
            arrow.start_position().row + 1
        ),
        label: "mock-constructor",
        raised: None,
    })
}

/// Arrows given as the first argument of `vi.fn`/`jest.fn`, `.mockImplementation` or
/// `.mockImplementationOnce`.
fn collect_mock_arrows<'t>(node: Node<'t>, source: &[u8], out: &mut Vec<Node<'t>>) {
    if node.kind() == "call_expression"
        && let Some(function) = node.child_by_field_name("function")
    {
        let callee = utf8(function, source);
        let property = function
            .child_by_field_name("property")
            .map(|p| utf8(p, source));
        let mock = matches!(callee, "vi.fn" | "vitest.fn" | "jest.fn")
            || matches!(
                property,
                Some("mockImplementation" | "mockImplementationOnce")
            );
        if mock
            && let Some(first) = node
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(0))
                .filter(|a| a.kind() == "arrow_function")
        {
            out.push(first);
        }
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        collect_mock_arrows(child, source, out);
    }
}

/// Node kinds that TypeScript adds and a runner's transform removes.
const TYPE_KINDS: [&str; 5] = [
    "type_annotation",
    "type_arguments",
    "type_parameters",
    "asserts_annotation",
    "type_predicate_annotation",
];

/// The leaves of `node` that carry meaning, ignoring punctuation a printer may add or
/// drop (parentheses, commas, semicolons, quotes) and TypeScript's types.
fn tokens_of(node: Node, source: &[u8], out: &mut Vec<String>) {
    if TYPE_KINDS.contains(&node.kind()) || node.kind() == "comment" {
        return;
    }
    if node.kind() == "as_expression" || node.kind() == "satisfies_expression" {
        if let Some(value) = node.named_child(0) {
            tokens_of(value, source, out);
        }
        return;
    }
    if node.kind() == "non_null_expression" {
        if let Some(value) = node.named_child(0) {
            tokens_of(value, source, out);
        }
        return;
    }
    if node.child_count() == 0 {
        let text = utf8(node, source);
        if !matches!(text, "(" | ")" | "," | ";" | "'" | "\"" | "`" | "") {
            out.push(text.to_owned());
        }
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        tokens_of(child, source, out);
    }
}

/// The tokens of the implementation the runner printed (JavaScript, types already gone).
fn printed_tokens(implementation: &str) -> Option<Vec<String>> {
    let wrapped = format!("({implementation});");
    let tree = syntax::parse(Lang::JavaScript, wrapped.as_bytes())?;
    let root = tree.root_node();
    if root.has_error() {
        return None;
    }
    let statement = root.named_child(0)?;
    let mut expression = statement.named_child(0)?;
    while expression.kind() == "parenthesized_expression" {
        expression = expression.named_child(0)?;
    }
    if expression.kind() != "arrow_function" {
        return None;
    }
    let mut tokens = Vec::new();
    tokens_of(expression, wrapped.as_bytes(), &mut tokens);
    Some(tokens)
}

/// `this`, `arguments`, `super` or `new.target` read by the arrow itself (not inside a
/// nested `function` or class, which bind their own).
fn lexical_binding(node: Node, source: &[u8]) -> Option<&'static str> {
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "this" => return Some("this"),
            "super" => return Some("super"),
            "meta_property" => return Some("new.target"),
            "identifier" if utf8(child, source) == "arguments" => return Some("arguments"),
            "function_expression"
            | "function"
            | "function_declaration"
            | "generator_function"
            | "generator_function_declaration"
            | "class"
            | "class_declaration" => continue,
            _ => {}
        }
        if let Some(found) = lexical_binding(child, source) {
            return Some(found);
        }
    }
    None
}

/// `async? <T>(params): R => body` as `async? function <T>(params): R { … }` (an expression
/// body returned, ending with `semicolon`: the file's style).
fn as_function(arrow: Node, source: &[u8], semicolon: &str) -> Result<String, String> {
    let body = arrow
        .child_by_field_name("body")
        .ok_or("the arrow has no body")?;
    let mut out = String::new();
    if is_async(arrow) {
        out.push_str("async ");
    }
    out.push_str("function ");
    if let Some(types) = arrow.child_by_field_name("type_parameters") {
        out.push_str(utf8(types, source));
    }
    match (
        arrow.child_by_field_name("parameters"),
        arrow.child_by_field_name("parameter"),
    ) {
        (Some(params), _) => out.push_str(utf8(params, source)),
        (None, Some(param)) => {
            out.push('(');
            out.push_str(utf8(param, source));
            out.push(')');
        }
        (None, None) => return Err("the arrow's parameters were not found".into()),
    }
    if let Some(returns) = arrow.child_by_field_name("return_type") {
        out.push_str(utf8(returns, source));
    }
    out.push(' ');
    if body.kind() == "statement_block" {
        out.push_str(utf8(body, source));
    } else {
        let mut value = body;
        while value.kind() == "parenthesized_expression"
            && value.named_child_count() == 1
            && value.named_child(0).is_some_and(|n| n.kind() == "object")
        {
            value = value.named_child(0).ok_or("an empty parenthesis")?;
        }
        out.push_str("{ return ");
        out.push_str(utf8(value, source));
        out.push_str(semicolon);
        out.push_str(" }");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrow(text: &str, implementation: &str) -> Result<String, String> {
        arrow_fix(Path::new("/p/a.test.ts"), text, implementation).map(|c| c.text)
    }

    #[test]
    fn reads_the_implementation_and_the_export_from_the_messages() {
        assert_eq!(
            constructed_arrow(
                "TypeError: () => ({ get: () => 'fake' }) is not a constructor\n at x"
            )
            .as_deref(),
            Some("() => ({ get: () => 'fake' })")
        );
        assert_eq!(
            constructed_arrow("TypeError: (a) => {\n  return a;\n} is not a constructor")
                .as_deref(),
            Some("(a) => {\n  return a;\n}")
        );
        assert!(constructed_arrow("TypeError: Client is not a constructor").is_none());
        assert_eq!(
            missing_export(
                "Error: [vitest] No \"bye\" export is defined on the \"./src/greet\" mock. Did you forget to return it from \"vi.mock\"?"
            ),
            Some(("bye".into(), Some("./src/greet".into())))
        );
        for message in [
            "TypeError: bye is not a function\n    at Object.bye (/p/greet.test.js:7:10)",
            "TypeError: (0 , _greet.bye) is not a function",
            "TypeError: greet.bye is not a function",
        ] {
            assert_eq!(
                missing_export(message),
                Some(("bye".into(), None)),
                "{message}"
            );
        }
        assert!(missing_export("TypeError: x() is not a function").is_none());
    }

    #[test]
    fn rewrites_only_the_arrow_new_reached() {
        let text = "const A = vi.fn(() => ({ get: () => 'fake' }));\nconst B = vi.fn(() => 1);\n";
        assert_eq!(
            arrow(text, "() => ({ get: () => \"fake\" })").unwrap(),
            "const A = vi.fn(function () { return { get: () => 'fake' }; });\nconst B = vi.fn(() => 1);\n"
        );
        // Types are gone from what the runner prints; an async block-bodied arrow stays async.
        let text =
            "m.mockImplementationOnce(async (x: number): Promise<T> => {\n  return { x };\n});\n";
        assert_eq!(
            arrow(text, "async (x) => {\n  return { x };\n}").unwrap(),
            "m.mockImplementationOnce(async function (x: number): Promise<T> {\n  return { x };\n});\n"
        );
        let text = "vi.mock('./c', () => ({ C: vi.fn(x => x) }));\n";
        assert_eq!(
            arrow(text, "(x) => x").unwrap(),
            "vi.mock('./c', () => ({ C: vi.fn(function (x) { return x; }) }));\n"
        );
    }

    #[test]
    fn keeps_a_file_without_semicolons_without() {
        let text = "import { vi } from 'vitest'\n\nconst A = vi.fn(() => ({ a: 1 }))\n";
        assert_eq!(
            arrow(text, "() => ({ a: 1 })").unwrap(),
            "import { vi } from 'vitest'\n\nconst A = vi.fn(function () { return { a: 1 } })\n"
        );
    }

    #[test]
    fn leaves_what_is_not_proven_or_would_change_meaning() {
        let why = arrow("const A = vi.fn(() => this.x);\n", "() => this.x").unwrap_err();
        assert!(why.contains("`this`"), "{why}");
        let why = arrow(
            "const A = vi.fn(() => arguments[0]);\n",
            "() => arguments[0]",
        )
        .unwrap_err();
        assert!(why.contains("`arguments`"), "{why}");
        // A nested function binds its own `this`: the arrow itself does not read it.
        assert!(
            arrow(
                "const A = vi.fn(() => ({ f: function () { return this; } }));\n",
                "() => ({ f: function () { return this; } })"
            )
            .is_ok()
        );
        let why = arrow(
            "const A = vi.fn(() => 1);\nconst B = vi.fn(() => 1);\n",
            "() => 1",
        )
        .unwrap_err();
        assert!(why.contains("2 arrows"), "{why}");
        let why = arrow("const A = vi.fn(() => 2);\nconst f = () => 1;\n", "() => 1").unwrap_err();
        assert!(why.contains("no arrow"), "{why}");
    }

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn spreads_the_actual_module_into_the_factory() {
        let dir = project(&[
            (
                "src/greet.js",
                "export function hello() {}\nexport const bye = () => 1, x = 2;\n",
            ),
            (
                "src/cjs.js",
                "exports.hello = 1;\nmodule.exports.bye = 2;\n",
            ),
        ]);
        let test = dir.path().join("a.test.js");
        let text = "vi.mock('./src/greet', () => ({ hello: vi.fn() }));\n";
        let c = partial_mock_fix(&test, text, "bye", Some("./src/greet"), &read_disk).unwrap();
        assert_eq!(
            c.text,
            "vi.mock('./src/greet', async (importOriginal) => ({ ...(await importOriginal()), hello: vi.fn() }));\n"
        );
        let text = "vi.mock('./src/greet', async (orig) => {\n  return { hello: vi.fn() };\n});\n";
        let c = partial_mock_fix(&test, text, "bye", None, &read_disk).unwrap();
        assert_eq!(
            c.text,
            "vi.mock('./src/greet', async (orig) => {\n  return { ...(await orig()), hello: vi.fn() };\n});\n"
        );
        let text = "jest.mock('./src/cjs', () => ({ hello: jest.fn() }));\n";
        let c = partial_mock_fix(&test, text, "bye", None, &read_disk).unwrap();
        assert_eq!(
            c.text,
            "jest.mock('./src/cjs', () => ({ ...jest.requireActual('./src/cjs'), hello: jest.fn() }));\n"
        );
        assert!(jest_partial_mock(&test, text, "bye", &read_disk));
        // TypeScript: the actual module's type for the spread.
        let ts = dir.path().join("a.test.ts");
        let text = "vi.mock('./src/greet', () => ({ hello: vi.fn() }));\n";
        let c = partial_mock_fix(&ts, text, "bye", None, &read_disk).unwrap();
        assert!(
            c.text
                .contains("...(await importOriginal<typeof import('./src/greet')>()),"),
            "{}",
            c.text
        );
    }

    #[test]
    fn a_spread_into_a_multiline_object_gets_its_own_line() {
        let dir = project(&[("m.js", "export const a = 1, b = 2;\n")]);
        let test = dir.path().join("a.test.js");
        let text = "vi.mock('./m.js', () => ({\n    a: vi.fn(),\n}))\n";
        let c = partial_mock_fix(&test, text, "b", None, &read_disk).unwrap();
        assert_eq!(
            c.text,
            "vi.mock('./m.js', async (importOriginal) => ({\n    ...(await importOriginal()),\n    a: vi.fn(),\n}))\n"
        );
    }

    #[test]
    fn a_missing_export_the_module_lacks_is_a_real_bug() {
        let dir = project(&[("src/greet.js", "export function hello() {}\n")]);
        let test = dir.path().join("a.test.js");
        let text = "jest.mock('./src/greet', () => ({ hello: jest.fn() }));\n";
        let why = partial_mock_fix(&test, text, "bye", None, &read_disk).unwrap_err();
        assert!(why.contains("has no export \"bye\""), "{why}");
        assert!(!jest_partial_mock(&test, text, "bye", &read_disk));
        let why = partial_mock_fix(
            &test,
            "vi.mock('axios', () => ({ get: vi.fn() }));\n",
            "post",
            None,
            &read_disk,
        )
        .unwrap_err();
        assert!(why.contains("package"), "{why}");
        // A factory that already spreads something is not the one lacking the export.
        let text = "vi.mock('./src/greet', async (o) => ({ ...(await o()), hello: 1 }));\n";
        assert!(partial_mock_fix(&test, text, "bye", None, &read_disk).is_err());
    }
}
