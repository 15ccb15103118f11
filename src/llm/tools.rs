//! Tool definitions and argument validation.
//!
//! A tool's parameters are a JSON Schema, either written by hand or derived from a
//! Rust type with schemars. Arguments of a finished tool call are validated before
//! the tool runs; as in pi-ai (AJV `coerceTypes: true`), scalar types are coerced
//! first (`"5"` → `5` for a number, `"true"` → `true`, `3` → `"3"` for a string), since
//! models often quote numbers. A failure is a value, [`ToolArgumentsError`], that an
//! agent turns into an error tool result so the model can correct itself.

use std::fmt;

use schemars::JsonSchema;
use serde_json::{Map, Value};

use super::types::{Message, Tool, ToolCall};

impl Tool {
    pub fn new(name: impl Into<String>, description: impl Into<String>, parameters: Value) -> Self {
        Tool {
            name: name.into(),
            description: description.into(),
            parameters,
        }
    }

    /// A tool whose parameters are the JSON Schema of `T`.
    pub fn from_type<T: JsonSchema>(
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        let mut schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
        if let Value::Object(m) = &mut schema {
            // Neither is useful to a model; `$schema` is rejected by some providers.
            m.remove("$schema");
            m.remove("title");
        }
        Tool::new(name, description, schema)
    }
}

/// Why a tool call's arguments were refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolArgumentsError {
    pub tool: String,
    /// One `path: message` line per problem.
    pub problems: Vec<String>,
    pub received: Value,
}

impl fmt::Display for ToolArgumentsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Validation failed for tool \"{}\":", self.tool)?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        write!(f, "\nReceived arguments:\n{:#}", self.received)
    }
}

impl std::error::Error for ToolArgumentsError {}

impl ToolArgumentsError {
    /// The error result to send back to the model for `call`.
    pub fn to_tool_result(&self, call: &ToolCall) -> Message {
        Message::tool_result(call, self.to_string(), true)
    }
}

/// Validates (after coercion) the arguments of `call` against the tool of that
/// name; returns the coerced arguments.
pub fn validate_tool_call(tools: &[Tool], call: &ToolCall) -> Result<Value, ToolArgumentsError> {
    match tools.iter().find(|t| t.name == call.name) {
        Some(t) => validate_arguments(t, &call.arguments),
        None => Err(ToolArgumentsError {
            tool: call.name.clone(),
            problems: vec![format!(
                "no tool named \"{}\" (available: {})",
                call.name,
                tools
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )],
            received: call.arguments.clone(),
        }),
    }
}

/// Coerces then validates `args` against `tool.parameters`.
pub fn validate_arguments(tool: &Tool, args: &Value) -> Result<Value, ToolArgumentsError> {
    let fail = |problems| ToolArgumentsError {
        tool: tool.name.clone(),
        problems,
        received: args.clone(),
    };
    let validator = jsonschema::validator_for(&tool.parameters)
        .map_err(|e| fail(vec![format!("the tool's schema is invalid: {e}")]))?;
    let mut coerced = args.clone();
    coerce(&mut coerced, &tool.parameters, &tool.parameters, 0);
    let problems: Vec<String> = validator
        .iter_errors(&coerced)
        .map(|e| {
            let path = e.instance_path().to_string();
            if path.is_empty() {
                format!("root: {e}")
            } else {
                format!("{path}: {e}")
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(coerced)
    } else {
        Err(fail(problems))
    }
}

/// Follows a local `$ref` (`#/$defs/X`, `#/definitions/X`).
fn deref<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|ptr| root.pointer(ptr))
            .unwrap_or(schema),
        None => schema,
    }
}

fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn matches_type(v: &Value, t: &str) -> bool {
    match t {
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        _ => false,
    }
}

fn coerce_scalar(v: &Value, t: &str) -> Option<Value> {
    match (t, v) {
        ("number", Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number)),
        ("integer", Value::String(s)) => s.trim().parse::<i64>().ok().map(Value::from),
        ("number" | "integer", Value::Bool(b)) => Some(Value::from(u8::from(*b))),
        ("number" | "integer", Value::Null) => Some(Value::from(0)),
        ("string", Value::Number(n)) => Some(Value::String(n.to_string())),
        ("string", Value::Bool(b)) => Some(Value::String(b.to_string())),
        ("string", Value::Null) => Some(Value::String(String::new())),
        ("boolean", Value::String(s)) if s == "true" || s == "false" => {
            Some(Value::Bool(s == "true"))
        }
        ("boolean", Value::Number(n)) if n.as_f64() == Some(0.0) || n.as_f64() == Some(1.0) => {
            Some(Value::Bool(n.as_f64() == Some(1.0)))
        }
        ("boolean", Value::Null) => Some(Value::Bool(false)),
        ("null", Value::String(s)) if s.is_empty() => Some(Value::Null),
        ("null", Value::Number(n)) if n.as_f64() == Some(0.0) => Some(Value::Null),
        ("null", Value::Bool(false)) => Some(Value::Null),
        _ => None,
    }
}

/// AJV-style type coercion, in place, following `properties`, `items` and `$ref`.
fn coerce(v: &mut Value, schema: &Value, root: &Value, depth: usize) {
    if depth > 64 {
        return;
    }
    let schema = deref(schema, root);
    // `Option<Struct>` derives to `anyOf: [{$ref}, {type: null}]`: coerce within the
    // first branch whose type fits the value (or can be made to fit).
    if let Some(Value::Array(branches)) = schema.get("anyOf").or_else(|| schema.get("oneOf")) {
        let fits = |b: &&Value| {
            let t = types_of(deref(b, root));
            t.is_empty() || t.iter().any(|t| matches_type(v, t))
        };
        let convertible = |b: &&Value| {
            types_of(deref(b, root))
                .iter()
                .any(|t| coerce_scalar(v, t).is_some())
        };
        if let Some(b) = branches
            .iter()
            .find(fits)
            .or_else(|| branches.iter().find(convertible))
        {
            coerce(v, b, root, depth + 1);
        }
        return;
    }
    let types = types_of(schema);
    if !types.is_empty()
        && !types.iter().any(|t| matches_type(v, t))
        && let Some(c) = types.iter().find_map(|t| coerce_scalar(v, t))
    {
        *v = c;
    }
    match v {
        Value::Object(obj) => {
            if let Some(Value::Object(props)) = schema.get("properties") {
                coerce_members(obj, props, root, depth);
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items").filter(|s| s.is_object()) {
                for it in items {
                    coerce(it, item_schema, root, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn coerce_members(
    obj: &mut Map<String, Value>,
    props: &Map<String, Value>,
    root: &Value,
    depth: usize,
) {
    for (k, s) in props {
        if let Some(v) = obj.get_mut(k) {
            coerce(v, s, root, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(schemars::JsonSchema, serde::Deserialize)]
    #[allow(dead_code)]
    struct ReadFile {
        /// Path relative to the repo root.
        path: String,
        /// First and last line.
        lines: Option<Vec<u32>>,
        inner: Option<Inner>,
    }

    #[derive(schemars::JsonSchema, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        dry: bool,
    }

    fn call(args: Value) -> ToolCall {
        ToolCall {
            id: "c".into(),
            name: "read_file".into(),
            arguments: args,
            thought_signature: None,
        }
    }

    #[test]
    fn derived_schema_validates_with_coercion() {
        let tool = Tool::from_type::<ReadFile>("read_file", "Read a file");
        assert!(tool.parameters.get("$schema").is_none());
        assert_eq!(tool.parameters["type"], "object");
        let tools = [tool];
        let ok = validate_tool_call(
            &tools,
            &call(json!({"path": 7, "lines": ["1", 20], "inner": {"dry": "true"}})),
        )
        .unwrap();
        assert_eq!(
            ok,
            json!({"path": "7", "lines": [1, 20], "inner": {"dry": true}})
        );
    }

    #[test]
    fn failures_list_paths_and_become_error_results() {
        let tools = [Tool::from_type::<ReadFile>("read_file", "Read a file")];
        let err = validate_tool_call(&tools, &call(json!({"lines": ["x"]}))).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"path\" is a required property"), "{text}");
        assert!(text.contains("/lines/0"), "{text}");
        let Message::ToolResult(r) = err.to_tool_result(&call(json!({}))) else {
            panic!()
        };
        assert!(r.is_error);
        let err = validate_tool_call(
            &tools,
            &ToolCall {
                name: "nope".into(),
                ..call(json!({}))
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("available: read_file"));
    }

    #[test]
    fn coercion_rules() {
        assert_eq!(coerce_scalar(&json!("2.5"), "number"), Some(json!(2.5)));
        assert_eq!(coerce_scalar(&json!("2.5"), "integer"), None);
        assert_eq!(coerce_scalar(&json!(1), "boolean"), Some(json!(true)));
        assert_eq!(coerce_scalar(&json!("yes"), "boolean"), None);
        assert_eq!(coerce_scalar(&json!(""), "null"), Some(Value::Null));
    }
}
