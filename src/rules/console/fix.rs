//! The console codemod: what each console call becomes under its category's policy.
//!
//! Only certain rewrites are made. A call is rewritten to the project logger when its
//! method has a mapping and its arguments fit the logger's style unambiguously; it is
//! removed when it is a whole statement (or an arrow body, or a JSX child), where removal
//! cannot change a value. Everything else is reported as needing judgement, with the
//! reason, and left as it is.

use tree_sitter::Node;

use super::tokens::TokenUse;
use super::{ConsoleUse, RULE_ID, Usage, tree};
use crate::config::{ConsolePolicy, LoggerStyle};
use crate::edit::Edit;
use crate::syntax::{Ancestry, text};

/// How calls in one file are fixed.
#[derive(Debug, Clone)]
pub struct FixOptions<'a> {
    pub policy: ConsolePolicy,
    /// console method → logger method.
    pub methods: &'a [(String, String)],
    pub style: LoggerStyle,
    /// The name the logger is called by in this file (`logger`, or an existing alias).
    pub logger: &'a str,
}

/// A call left as it is because its fix needs judgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// Byte offset of `console`.
    pub offset: usize,
    pub method: String,
    pub reason: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Rewrite,
    Remove,
}

/// One call fixed: where it was and what was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    pub offset: usize,
    pub method: String,
    pub action: Action,
    /// The edits of this call, applied together or not at all.
    pub edits: Vec<Edit>,
}

#[derive(Debug, Clone, Default)]
pub struct ConsoleFix {
    pub fixed: Vec<Fixed>,
    pub judgements: Vec<Judgement>,
}

impl ConsoleFix {
    /// Whether any edit calls the logger (so the file needs its import).
    pub fn uses_logger(&self) -> bool {
        self.fixed.iter().any(|f| f.action == Action::Rewrite)
    }
}

/// Computes the edits for every console use of a file parsed into `root`.
pub fn fix(root: Node<'_>, source: &str, uses: &[ConsoleUse], options: &FixOptions) -> ConsoleFix {
    let mut out = ConsoleFix::default();
    if options.policy == ConsolePolicy::Keep {
        return out;
    }
    let starts: Vec<usize> = uses.iter().map(|u| u.start).collect();
    // A file that replaces the global console (`console = makeConsoleMock()`, a test's
    // capture of output) calls the replacement: none of its calls is certain to be a log.
    if assigns_console(root, source) {
        for u in uses {
            out.judgements.push(Judgement {
                offset: u.start,
                method: u.method_name().to_owned(),
                reason: "this file assigns `console` (a mock or a capture of output): its calls are the replacement's, not the global console's",
            });
        }
        return out;
    }
    let (calls, up) = tree::calls_at(root, &starts);
    let functions = if options.policy == ConsolePolicy::Logger && !calls.is_empty() {
        let ids = calls.values().map(|c| c.id()).collect();
        enclosing_functions(root, &ids, source)
    } else {
        std::collections::HashMap::new()
    };
    for u in uses {
        let method = u.method_name().to_owned();
        let judge = |out: &mut ConsoleFix, reason| {
            out.judgements.push(Judgement {
                offset: u.start,
                method: method.clone(),
                reason,
            })
        };
        if let Some(reason) = prejudge(u) {
            judge(&mut out, reason);
            continue;
        }
        let Some(&call) = calls.get(&u.start) else {
            judge(&mut out, "unusual call shape");
            continue;
        };
        if call
            .child_by_field_name("arguments")
            .is_some_and(|a| a.kind() == "template_string")
        {
            judge(&mut out, "tagged template call");
            continue;
        }
        let result = match options.policy {
            ConsolePolicy::Logger => rewrite(functions.get(&call.id()).copied(), call, source, u, options),
            ConsolePolicy::Remove => remove(&up, call, source),
            ConsolePolicy::Keep => unreachable!("handled above"),
        };
        match result {
            Ok(edits) => {
                let action = if options.policy == ConsolePolicy::Logger {
                    Action::Rewrite
                } else {
                    Action::Remove
                };
                out.fixed.push(Fixed {
                    offset: u.start,
                    method,
                    action,
                    edits,
                });
            }
            Err(reason) => judge(&mut out, reason),
        }
    }
    if options.policy == ConsolePolicy::Remove && !out.fixed.is_empty() {
        leave_nothing_unused(&mut out, root, source);
    }
    out
}

/// Removals that would leave a name declared in the file unused (it is read only by the
/// output being removed) become judgements: the project's lint or `noUnused*` check would
/// fail (see `unused`).
fn leave_nothing_unused(out: &mut ConsoleFix, root: Node, source: &str) {
    let names = super::unused::NameUses::of(root, source);
    let removed: Vec<std::ops::Range<usize>> = out
        .fixed
        .iter()
        .flat_map(|f| f.edits.iter().map(|e| e.range.clone()))
        .collect();
    let unused = names.left_unused(&removed);
    if unused.is_empty() {
        return;
    }
    let (kept, judged): (Vec<Fixed>, Vec<Fixed>) = std::mem::take(&mut out.fixed)
        .into_iter()
        .partition(|f| !f.edits.iter().any(|e| names.mentions(&e.range, &unused)));
    out.fixed = kept;
    out.judgements.extend(judged.into_iter().map(|f| Judgement {
        offset: f.offset,
        method: f.method,
        reason: "removing it would leave a name declared in this file unused (only this output reads it): the project's lint or `noUnused*` type-check would fail",
    }));
    out.judgements.sort_by_key(|j| j.offset);
}

/// Why a use needs judgement whatever its call looks like: a reference, not a call, or a
/// method the standard console lacks.
pub(crate) fn prejudge(u: &ConsoleUse) -> Option<&'static str> {
    if u.usage == Usage::Reference {
        return Some("console method used as a value (passed, bound or assigned), not called");
    }
    if u.method.as_deref().is_some_and(|m| !STANDARD_METHODS.contains(&m)) {
        return Some(
            "not a method of the standard console (a mock's or a replacement's, like `clearHistory`): removing or rewriting it would change what the code does",
        );
    }
    None
}

/// [`fix`] for the token path: the same decision for one use from its token description,
/// added to `out`.
pub(crate) fn fix_from_tokens(
    source: &str,
    TokenUse { console: u, call }: TokenUse,
    options: &FixOptions,
    out: &mut ConsoleFix,
) {
    let method = u.method_name().to_owned();
    let result = match (prejudge(&u), call) {
        (Some(reason), _) => Err(reason),
        (None, None) => Err("unusual call shape"),
        (None, Some(call)) => {
            rewrite_from_tokens(&u, &call.args, call.inner, call.comment, source, options)
        }
    };
    match result {
        Ok(edits) => out.fixed.push(Fixed {
            offset: u.start,
            method,
            action: Action::Rewrite,
            edits,
        }),
        Err(reason) => out.judgements.push(Judgement {
            offset: u.start,
            method,
            reason,
        }),
    }
}

/// The methods of the console of Node and the browsers (WHATWG Console standard, plus
/// Node's and the browsers' own). A call of any other method is on something that is not
/// the standard console, whatever it is called.
const STANDARD_METHODS: &[&str] = &[
    "log", "info", "warn", "error", "debug", "trace", "dir", "dirxml", "table", "group",
    "groupCollapsed", "groupEnd", "count", "countReset", "time", "timeEnd", "timeLog",
    "timeStamp", "assert", "clear", "profile", "profileEnd",
];

/// Whether the file assigns the global `console` (`console = …`, `global.console = …`,
/// `globalThis.console = …`, `window.console = …`): found from the bytes, confirmed by
/// the tree (not in a string or comment, not `x.console`, not a declaration's `=`).
fn assigns_console(root: Node, source: &str) -> bool {
    let starts = console_assignment_candidates(source);
    if starts.is_empty() {
        return false;
    }
    let (nodes, up) = crate::syntax::exact_nodes_up(root, &starts, 7);
    nodes.into_values().any(|node| {
        let assigned = || -> Option<bool> {
            let target = match node.kind() {
                "identifier" => node,
                "property_identifier" => {
                    let member = up.parent(node)?;
                    let object = member.child_by_field_name("object")?;
                    let global = matches!(
                        &source[object.byte_range()],
                        "global" | "globalThis" | "window" | "self"
                    );
                    (member.kind() == "member_expression" && global).then_some(member)?
                }
                _ => return None,
            };
            let assignment = up.parent(target)?;
            Some(
                assignment.kind() == "assignment_expression"
                    && assignment.child_by_field_name("left") == Some(target),
            )
        };
        assigned().unwrap_or(false)
    })
}

/// Every `console` followed by a lone `=` in the bytes (in code, strings or comments
/// alike): a superset of the assignments [`assigns_console`] confirms with the tree.
pub(crate) fn console_assignment_candidates(source: &str) -> Vec<usize> {
    let bytes = source.as_bytes();
    memchr::memmem::find_iter(bytes, b"console")
        .filter(|&at| {
            let rest = &bytes[at + 7..];
            let skip = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let rest = &rest[skip..];
            rest.first() == Some(&b'=') && !matches!(rest.get(1), Some(b'=' | b'>'))
        })
        .collect()
}

/// What the policy needs to know of one argument of a console call, read from its tree
/// node or, by the token path, from its tokens: the same decisions follow from either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arg {
    pub(crate) kind: ArgKind,
    /// The argument's text.
    pub(crate) range: std::ops::Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgKind {
    /// A quoted string literal.
    String,
    /// A template literal (with or without substitutions), not tagged.
    Template,
    /// An object literal.
    Object,
    Identifier,
    /// `a.b`: with the property's range when it is a plain name (not `#private`).
    Member { property: Option<std::ops::Range<usize>> },
    /// A call (a tagged template too), with its callee's range.
    Call { callee: std::ops::Range<usize> },
    /// `...xs`.
    Spread,
    /// Anything else: no decision depends on which.
    Other,
}

impl Arg {
    fn of_node(node: Node) -> Arg {
        let kind = match node.kind() {
            "string" => ArgKind::String,
            "template_string" => ArgKind::Template,
            "object" => ArgKind::Object,
            "identifier" => ArgKind::Identifier,
            "member_expression" => ArgKind::Member {
                property: node
                    .child_by_field_name("property")
                    .filter(|p| p.kind() == "property_identifier")
                    .map(|p| p.byte_range()),
            },
            "call_expression" => match node.child_by_field_name("function") {
                Some(callee) => ArgKind::Call {
                    callee: callee.byte_range(),
                },
                None => ArgKind::Other,
            },
            "spread_element" => ArgKind::Spread,
            _ => ArgKind::Other,
        };
        Arg {
            kind,
            range: node.byte_range(),
        }
    }

    fn is_message(&self) -> bool {
        matches!(self.kind, ArgKind::String | ArgKind::Template)
    }
}

/// The logger method a console method maps to, or why there is none.
fn level_of<'o>(u: &ConsoleUse, options: &'o FixOptions) -> Result<&'o str, &'static str> {
    let Some(method) = u.method.as_deref() else {
        return Err("computed console method: which logger level is meant is not certain");
    };
    let Some((_, level)) = options.methods.iter().find(|(from, _)| from == method) else {
        if method == "trace" {
            // console.trace prints a stack whatever the level; logger.trace is below the
            // default level, so an error handler using it would go silent.
            return Err(
                "console.trace always prints a stack; logger.trace is below the default level and would be silent: map it in [console] methods (e.g. trace = \"error\") if that is what you want",
            );
        }
        return Err("no logger equivalent for this console method (see [console] methods)");
    };
    Ok(level)
}

/// `console.log(…)` → `logger.info(…)`, with the arguments in the logger's order.
fn rewrite(
    function: Option<Enclosing>,
    call: Node,
    source: &str,
    u: &ConsoleUse,
    options: &FixOptions,
) -> Result<Vec<Edit>, &'static str> {
    let level = level_of(u, options)?;
    let Some(arguments) = call.child_by_field_name("arguments") else {
        return Err("unusual call shape");
    };
    let mut cursor = arguments.walk();
    let children: Vec<Node> = arguments.named_children(&mut cursor).collect();
    let args: Vec<Arg> = children
        .iter()
        .filter(|n| n.kind() != "comment")
        .map(|n| Arg::of_node(*n))
        .collect();
    let comment = children.iter().any(|n| n.kind() == "comment");
    let inner = arguments.start_byte() + 1..arguments.end_byte() - 1;
    rewrite_call(function, u, level, &args, inner, comment, source, options)
}

/// A call's edits from the description of its arguments: `inner` is the text between its
/// parentheses, `comment` whether a comment stands among the arguments (a comment inside
/// one argument's expression stays with it).
#[allow(clippy::too_many_arguments)]
fn rewrite_call(
    function: Option<Enclosing>,
    u: &ConsoleUse,
    level: &str,
    args: &[Arg],
    inner: std::ops::Range<usize>,
    comment: bool,
    source: &str,
    options: &FixOptions,
) -> Result<Vec<Edit>, &'static str> {
    // Only the plain callee is replaced: `(console.log)(x)` and `console.log!(x)` keep
    // their wrapping, which stays valid around `logger.info`.
    let callee = Edit::replace(
        u.start..u.callee_end,
        format!("{}.{level}", options.logger),
        RULE_ID,
    );
    if let Some(reason) = not_a_log_message(function, args, source) {
        return Err(reason);
    }
    let mut edits = vec![callee];
    match reorder(args, source, options.style)? {
        None => {}
        Some(new_args) => {
            // Reordering rewrites the argument list: a comment in it (a `// @ts-ignore`,
            // an explanation) would be lost.
            if comment {
                return Err(
                    "a comment inside the call would be lost by reordering its arguments for the logger",
                );
            }
            edits.push(Edit::replace(inner, new_args, RULE_ID));
        }
    }
    Ok(edits)
}

/// [`rewrite_call`] for the token path, which knows no enclosing function (it declines
/// files where one could matter).
pub(crate) fn rewrite_from_tokens(
    u: &ConsoleUse,
    args: &[Arg],
    inner: std::ops::Range<usize>,
    comment: bool,
    source: &str,
    options: &FixOptions,
) -> Result<Vec<Edit>, &'static str> {
    let level = level_of(u, options)?;
    rewrite_call(None, u, level, args, inner, comment, source, options)
}

/// Why a console call is output rather than a log message, if it is: a printf-style
/// format (a logger does not substitute `%d` the way console does, and reordering for
/// pino or winston would separate the format from its values), coloured terminal output
/// (ANSI escapes, chalk and friends), a JSON document printed for a machine, or the
/// project's own logging function writing its line. Rewriting any of them changes what
/// the program prints, so a person decides.
fn not_a_log_message(
    function: Option<Enclosing>,
    args: &[Arg],
    source: &str,
) -> Option<&'static str> {
    let src = |a: &Arg| &source[a.range.clone()];
    if let [format, _, ..] = args
        && format.is_message()
        && has_format_specifier(src(format))
    {
        return Some(
            "a printf-style format (`%s`, `%d` …): the logger would not substitute its values as console does",
        );
    }
    if args.iter().any(|a| has_ansi_escape(src(a)) || is_colour_call(a, source)) {
        return Some(
            "coloured terminal output (ANSI escapes or a colour library): meant for a person at a terminal, not a log line",
        );
    }
    if let [only] = args
        && let ArgKind::Call { callee } = &only.kind
        && &source[callee.clone()] == "JSON.stringify"
    {
        return Some(
            "prints a JSON document (output for a program to read), not a log message",
        );
    }
    if let Some(Enclosing {
        name,
        function,
        in_logger_object,
    }) = function
        && (LOG_FUNCTION_NAMES.contains(&name) || in_logger_object)
        && forwards_a_parameter(function, args, source)
    {
        return Some(
            "inside the project's own logging function (`log`, `info`, `warn` …): this call is how it writes its line",
        );
    }
    None
}

/// Names of functions that are themselves logging implementations.
pub(crate) const LOG_FUNCTION_NAMES: &[&str] = &[
    "log", "info", "warn", "warning", "error", "debug", "fatal", "verbose", "notice", "print",
    "println",
];

/// Whether the call passes on one of `function`'s own parameters (`message`, `...args`,
/// `` `[info] ${message}` ``): what a logging function does with what it was given.
fn forwards_a_parameter(function: Node, args: &[Arg], source: &str) -> bool {
    let parameters: Vec<&str> = function
        .child_by_field_name("parameters")
        .map(|list| {
            let mut cursor = list.walk();
            list.named_children(&mut cursor)
                .filter_map(|p| {
                    let p = match p.kind() {
                        "required_parameter" | "optional_parameter" => {
                            p.child_by_field_name("pattern")?
                        }
                        _ => p,
                    };
                    let p = if p.kind() == "rest_pattern" {
                        p.named_child(0)?
                    } else {
                        p
                    };
                    (p.kind() == "identifier").then(|| &source[p.byte_range()])
                })
                .collect()
        })
        .or_else(|| {
            function
                .child_by_field_name("parameter")
                .map(|p| vec![&source[p.byte_range()]])
        })
        .unwrap_or_default();
    args.iter().any(|arg| {
        let code = &source[arg.range.clone()];
        let code = code.strip_prefix("...").unwrap_or(code);
        parameters.iter().any(|p| mentions(code, p))
    })
}

/// Whether `name` occurs in `code` as a whole word (`format(args)`, `` `${val}` ``,
/// `val.trim()`), not as part of a longer one (`args2`, `.args`).
fn mentions(code: &str, name: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let bytes = code.as_bytes();
    code.match_indices(name).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + name.len()).copied();
        !before.is_some_and(|b| word(b) || b == b'.') && !after.is_some_and(word)
    })
}

/// A `%s`-style conversion as console's formatter knows them (`%%` is a literal percent).
fn has_format_specifier(literal: &str) -> bool {
    let bytes = literal.as_bytes();
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'%', &bytes[i..]) {
        let next = bytes.get(i + at + 1).copied();
        if matches!(next, Some(b's' | b'd' | b'i' | b'f' | b'o' | b'O' | b'j' | b'c')) {
            return true;
        }
        i += at + if next == Some(b'%') { 2 } else { 1 };
    }
    false
}

/// An escape that starts an ANSI sequence, as written in source: `\x1b[`, `\u001b[`,
/// `\u{1b}[`, `\033[`, `\e[`.
fn has_ansi_escape(code: &str) -> bool {
    ["\\x1b[", "\\x1B[", "\\u001b[", "\\u001B[", "\\u{1b}[", "\\u{1B}[", "\\033["]
        .iter()
        .any(|escape| code.contains(escape))
}

/// A call on a terminal colour library: `chalk.red(…)`, `pc.bold(…)`, `kleur.green(…)`,
/// `colors.yellow(…)`, `styleText('red', …)`.
fn is_colour_call(arg: &Arg, source: &str) -> bool {
    let ArgKind::Call { callee } = &arg.kind else {
        return false;
    };
    let callee = &source[callee.clone()];
    if matches!(callee, "styleText" | "util.styleText") {
        return true;
    }
    let mut parts = callee.split('.');
    let (Some(root), Some(style)) = (parts.next(), parts.next()) else {
        return false;
    };
    matches!(
        root,
        "chalk" | "pc" | "picocolors" | "kleur" | "colors" | "colorette" | "ansis"
    ) && (COLOUR_STYLES.contains(&style) || style.starts_with("bg"))
}

/// What terminal colour libraries call their styles.
const COLOUR_STYLES: &[&str] = &[
    "red", "green", "yellow", "blue", "magenta", "cyan", "white", "gray", "grey", "black",
    "bold", "dim", "italic", "underline", "inverse", "strikethrough", "hex", "rgb",
    "redBright", "greenBright", "yellowBright", "blueBright", "magentaBright", "cyanBright",
];

/// The nearest named function around a console call.
#[derive(Debug, Clone, Copy)]
struct Enclosing<'t, 's> {
    name: &'s str,
    function: Node<'t>,
    /// A member of an object literal or class that has two or more members named like
    /// logging methods (`{ error(…), warn(…), success(…), raw(…) }`): the project's own
    /// logger object, whatever this member is called.
    in_logger_object: bool,
}

/// For each call in `calls` (by node id), the nearest function around it and that
/// function's name (a declaration, a method, or a function bound to a variable, property
/// or key). One walk of the tree whatever the number of calls or the nesting depth; each
/// object's members are counted once.
fn enclosing_functions<'t, 's>(
    root: Node<'t>,
    calls: &std::collections::HashSet<usize>,
    source: &'s str,
) -> std::collections::HashMap<usize, Enclosing<'t, 's>> {
    let mut found = std::collections::HashMap::new();
    let mut logger_objects: std::collections::HashMap<usize, bool> =
        std::collections::HashMap::new();
    // The current node's ancestors, and for each the nearest named function at or above it.
    let mut path: Vec<Node<'t>> = Vec::new();
    let mut frames: Vec<Option<Enclosing<'t, 's>>> = Vec::new();
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if calls.contains(&node.id())
            && let Some(Some(frame)) = frames.last()
        {
            found.insert(node.id(), *frame);
        }
        if cursor.goto_first_child() {
            let parent = path.last().copied();
            let frame = function_name(node, parent, source)
                .map(|name| {
                    // The object a member function belongs to: `{ key: () => … }`'s
                    // object is the pair's parent, a method's is its own parent.
                    let object = match (node.kind(), parent) {
                        ("method_definition", Some(p)) => Some(p),
                        (_, Some(p)) if p.kind() == "pair" => {
                            path.len().checked_sub(2).map(|i| path[i])
                        }
                        _ => None,
                    };
                    let in_logger_object = object.is_some_and(|object| {
                        *logger_objects
                            .entry(object.id())
                            .or_insert_with(|| is_logger_object(object, source))
                    });
                    Enclosing {
                        name,
                        function: node,
                        in_logger_object,
                    }
                })
                .or_else(|| frames.last().copied().flatten());
            path.push(node);
            frames.push(frame);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return found;
            }
            path.pop();
            frames.pop();
        }
    }
}

/// Whether an object literal or class body has two or more members named like logging
/// methods.
fn is_logger_object(object: Node, source: &str) -> bool {
    if !matches!(object.kind(), "object" | "class_body") {
        return false;
    }
    let mut cursor = object.walk();
    object
        .named_children(&mut cursor)
        .filter_map(|member| match member.kind() {
            "pair" => member.child_by_field_name("key"),
            "method_definition" => member.child_by_field_name("name"),
            _ => None,
        })
        .filter(|key| LOG_FUNCTION_NAMES.contains(&&source[key.byte_range()]))
        .take(2)
        .count()
        == 2
}

/// The name `function` goes by when it is a function: its own (`function info`, a method
/// `info() {}`), or the variable, property or key it is bound to (`const info = (…) => …`,
/// `info: function (…) {…}`, `log.info = (…) => …`); `None` for anything else.
fn function_name<'s>(function: Node, parent: Option<Node>, source: &'s str) -> Option<&'s str> {
    let name = match function.kind() {
        "function_declaration" | "generator_function_declaration" | "method_definition" => {
            function.child_by_field_name("name")
        }
        "arrow_function" | "function_expression" | "function" => {
            let parent = parent?;
            match parent.kind() {
                "variable_declarator" => parent.child_by_field_name("name"),
                "pair" => parent.child_by_field_name("key"),
                "assignment_expression" => parent
                    .child_by_field_name("left")
                    .and_then(|l| l.child_by_field_name("property").or(Some(l))),
                _ => None,
            }
        }
        _ => None,
    }?;
    Some(&source[name.byte_range()])
}

/// The argument list for a structured logger, or `None` to keep it as it is.
///
/// pino wants `(fields, message)` and winston `(message, fields)`. A message literal
/// followed by one value maps with certainty: the value becomes a field named after it
/// (`err` for errors, as both loggers' serializers expect). Other shapes are certain only
/// when they already fit; the rest need judgement.
fn reorder(args: &[Arg], source: &str, style: LoggerStyle) -> Result<Option<String>, &'static str> {
    if style == LoggerStyle::Console {
        return Ok(None);
    }
    if args.iter().any(|a| a.kind == ArgKind::Spread) {
        return Err("spread arguments: how they map to logger fields is not certain");
    }
    let src = |a: &Arg| &source[a.range.clone()];
    match args {
        [] | [_] => Ok(None),
        [message, value] if message.is_message() && !value.is_message() => {
            let fields = fields_of(value, source)?;
            Ok(Some(match style {
                LoggerStyle::Pino => format!("{fields}, {}", src(message)),
                LoggerStyle::Winston => format!("{}, {fields}", src(message)),
                LoggerStyle::Console => unreachable!("handled above"),
            }))
        }
        // Already in the logger's order.
        [value, message]
            if style == LoggerStyle::Pino && message.is_message() && !value.is_message() =>
        {
            if value.kind == ArgKind::Object {
                Ok(None)
            } else {
                Err("the first argument is not an object of fields")
            }
        }
        _ if args.iter().all(Arg::is_message) => {
            Err("several message strings: how to join them is not certain")
        }
        _ => Err("several values: which are fields and which is the message is not certain"),
    }
}

/// A value as logger fields: an object literal as it is, `err` → `{ err }`,
/// `error` → `{ err: error }`, `user.id` → `{ id: user.id }`.
fn fields_of(value: &Arg, source: &str) -> Result<String, &'static str> {
    let code = &source[value.range.clone()];
    match &value.kind {
        ArgKind::Object => Ok(code.to_owned()),
        ArgKind::Identifier => Ok(match code {
            "err" => "{ err }".to_owned(),
            "e" | "error" | "ex" | "exception" => format!("{{ err: {code} }}"),
            _ => format!("{{ {code} }}"),
        }),
        ArgKind::Member {
            property: Some(property),
        } => Ok(format!("{{ {}: {code} }}", &source[property.clone()])),
        _ => Err("a value without a name to use as its field"),
    }
}

/// Removes a call where that cannot change a value: a whole expression statement (with its
/// line when nothing else is on it), an arrow function's body (→ `{}`), a JSX child.
///
/// `up` holds the call's ancestors (looked up, never asked of tree-sitter, so thousands of
/// removals in one block stay linear).
fn remove<'t>(up: &Ancestry<'t>, call: Node<'t>, source: &str) -> Result<Vec<Edit>, &'static str> {
    let parent = up.parent(call).ok_or("unusual call shape")?;
    let removable = match parent.kind() {
        "expression_statement" => true,
        "arrow_function" => parent.child_by_field_name("body") == Some(call),
        "jsx_expression" => up
            .parent(parent)
            .is_some_and(|p| matches!(p.kind(), "jsx_element" | "jsx_fragment")),
        _ => false,
    };
    // (Checked only where a removal is possible: a call nested in another's arguments is
    // judged by its shape first, so deep nesting stays linear.)
    if removable
        && let Some(arguments) = call.child_by_field_name("arguments")
        && has_side_effects(arguments, source)
    {
        return Err(
            "an argument has side effects (a call, `await`, `++`, an assignment): removing the call would drop them",
        );
    }
    match parent.kind() {
        "expression_statement" => {
            // A body the removal would empty decides what goes with it (`emptied`).
            let statement = match super::emptied::removal(up, parent, source)? {
                super::emptied::Removal::Statement(statement) => statement,
                super::emptied::Removal::Else { from, clause } => {
                    return Ok(vec![Edit::delete(from..clause.end_byte(), RULE_ID)]);
                }
            };
            if makes_a_directive(up, statement) {
                return Err(
                    "removing it would make the string statement after it a directive (`'use strict'`)",
                );
            }
            if joins_neighbours(statement, source) {
                // Semicolon-free code: the line before and the line after would become
                // one expression (`f` ⏎ `(x)` is a call); an empty statement keeps them apart.
                return Ok(vec![Edit::replace(statement.byte_range(), ";", RULE_ID)]);
            }
            Ok(vec![Edit::delete(
                whole_lines(source, statement.byte_range()),
                RULE_ID,
            )])
        }
        "arrow_function" if parent.child_by_field_name("body") == Some(call) => {
            Ok(vec![Edit::replace(call.byte_range(), "{}", RULE_ID)])
        }
        "jsx_expression"
            if up
                .parent(parent)
                .is_some_and(|p| matches!(p.kind(), "jsx_element" | "jsx_fragment")) =>
        {
            Ok(vec![Edit::delete(
                whole_lines(source, parent.byte_range()),
                RULE_ID,
            )])
        }
        _ => Err("the call is part of an expression: removing it would change a value"),
    }
}

/// Whether evaluating `node` can change state: a call, `new`, `await`, `yield`, `++`/`--`,
/// an assignment or `delete` anywhere in it (function bodies written there are not run).
fn has_side_effects(node: Node, source: &str) -> bool {
    let mut cursor = node.walk();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        // A nested console call only prints, which is what is being removed; its own
        // arguments still count.
        if n.kind() == "call_expression"
            && n.child_by_field_name("function").is_some_and(|f| {
                matches!(f.kind(), "member_expression" | "subscript_expression")
                    && f.child_by_field_name("object")
                        .is_some_and(|o| text(o, source.as_bytes()) == b"console")
            })
        {
            stack.extend(n.child_by_field_name("arguments"));
            continue;
        }
        match n.kind() {
            "call_expression" | "new_expression" | "await_expression" | "yield_expression"
            | "update_expression" | "assignment_expression"
            | "augmented_assignment_expression" => return true,
            "unary_expression"
                if n.child_by_field_name("operator")
                    .is_some_and(|o| o.kind() == "delete") =>
            {
                return true;
            }
            "arrow_function" | "function_expression" | "function" | "generator_function"
            | "class" => continue,
            _ => {}
        }
        stack.extend(n.children(&mut cursor));
    }
    false
}

/// Whether `statement` is in a directive prologue and a string statement follows it:
/// removing it would turn that string into a directive (`'use strict'` would apply).
fn makes_a_directive<'t>(up: &Ancestry<'t>, statement: Node<'t>) -> bool {
    let is_string_statement = |n: Node| {
        n.kind() == "expression_statement"
            && n.named_child(0).is_some_and(|e| e.kind() == "string")
    };
    let Some(body) = up.parent(statement) else {
        return false;
    };
    let function_body = body.kind() == "statement_block"
        && up.parent(body).is_some_and(|f| {
            matches!(
                f.kind(),
                "function_declaration"
                    | "function_expression"
                    | "arrow_function"
                    | "method_definition"
                    | "generator_function"
                    | "generator_function_declaration"
            )
        });
    if body.kind() != "program" && !function_body {
        return false;
    }
    // The prologue is the body's leading string statements: walk it from the start with
    // a cursor (constant time per step; sibling lookups on nodes scan their parent).
    let mut cursor = body.walk();
    if !cursor.goto_first_child() {
        return false;
    }
    let mut reached = false;
    loop {
        let node = cursor.node();
        if reached {
            if node.is_named() && !matches!(node.kind(), "comment") {
                return is_string_statement(node);
            }
        } else if node == statement {
            reached = true;
        } else if node.is_named()
            && !matches!(node.kind(), "comment" | "hash_bang_line")
            && !is_string_statement(node)
        {
            return false;
        }
        if !cursor.goto_next_sibling() {
            return false;
        }
    }
}

/// Whether deleting `statement` would let the code before it run into the code after it:
/// the code before does not end with `;` or `{` (automatic semicolon insertion ended
/// it; even a `}` may close a function expression that `(x)` would call) and the code
/// after starts with `(`, `[`, `` ` ``, `+`, `-` or `/`. Read from the text around the
/// statement, so it costs the same for the thousandth statement of a block.
fn joins_neighbours(statement: Node, source: &str) -> bool {
    let before = source[..statement.start_byte()].trim_end();
    let after = source[statement.end_byte()..].trim_start();
    let ends_open = !before.is_empty() && !before.ends_with([';', '{']);
    ends_open && after.starts_with(['(', '[', '`', '+', '-', '/'])
}

/// Widens `range` to its whole lines (and their line break) when nothing but white space
/// shares those lines; otherwise returns it as it is, so comments and code beside a
/// removed call stay.
fn whole_lines(source: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let bytes = source.as_bytes();
    let line_start = bytes[..range.start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line_end = bytes[range.end..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| range.end + i + 1);
    let before = &bytes[line_start..range.start];
    let after = &bytes[range.end..line_end];
    if before.iter().all(|b| b.is_ascii_whitespace())
        && after.iter().all(|b| b.is_ascii_whitespace())
    {
        // Between two blank lines, take one of them too, so no double blank is left.
        let blank_before = line_start > 0 && {
            let previous = bytes[..line_start - 1]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            bytes[previous..line_start]
                .iter()
                .all(|b| b.is_ascii_whitespace())
        };
        let next_end = bytes[line_end..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| line_end + i + 1);
        match next_end {
            Some(end)
                if blank_before && bytes[line_end..end].iter().all(|b| b.is_ascii_whitespace()) =>
            {
                line_start..end
            }
            _ => line_start..line_end,
        }
    } else if after.iter().all(|b| b.is_ascii_whitespace()) {
        // Code before it on the line: take the spaces before it too, so no trailing
        // white space is left (`f(); console.log(x);` → `f();`).
        let spaces = before
            .iter()
            .rev()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        range.start - spaces..range.end
    } else if before.iter().all(|b| b.is_ascii_whitespace()) {
        // Code or a comment follows on the line: take the spaces up to it, so
        // `  console.log(x); // why` becomes `  // why`.
        let spaces = after
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        range.start..range.end + spaces
    } else {
        // Code on both sides: one space between them stays (`a(); console.log(x); b();`
        // → `a(); b();`, `{ console.log(x); // why` → `{ // why`).
        let spaces_before = before.iter().rev().take_while(|b| matches!(b, b' ' | b'\t')).count();
        let spaces_after = after.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        if spaces_before > 0 {
            range.start..range.end + spaces_after
        } else {
            range
        }
    }
}

#[cfg(test)]
mod output_tests {
    use super::{has_ansi_escape, has_format_specifier};

    #[test]
    fn format_specifiers_are_console_conversions() {
        for yes in ["'%s'", "'n=%d'", "'%i %f'", "`%o`", "'%O'", "'%j'", "'%c styled'", "'%%%s'"] {
            assert!(has_format_specifier(yes), "{yes}");
        }
        for no in ["'100% done'", "'50%'", "'%%d is literal'", "'%x'", "'plain'"] {
            assert!(!has_format_specifier(no), "{no}");
        }
    }

    #[test]
    fn ansi_escapes_as_written_in_source() {
        assert!(has_ansi_escape(r"'\x1b[31merror'"));
        assert!(has_ansi_escape(r"`\u001b[1m${x}`"));
        assert!(has_ansi_escape(r"'\033[0m'"));
        assert!(!has_ansi_escape("'[31m] not an escape'"));
    }
}
