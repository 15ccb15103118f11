//! `dash models`: the model registry (built-in catalogue plus user files) as a table
//! or JSON.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use miette::{MietteDiagnostic, Report};

use super::{Exit, GlobalArgs};
use crate::llm::{Model, ProviderInfo, Registry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelsFormat {
    Text,
    Json,
}

/// List the models dash knows.
#[derive(Debug, Clone, Args)]
#[command(after_help = concat!(
    "Examples:\n  dash models\n  dash models --provider anthropic\n  dash models -q    PROVIDER/ID only\n\n",
    "Exit codes:\n  0  done\n  2  unknown provider, or a models.toml that cannot be read"
))]
pub struct ModelsArgs {
    /// Only this provider.
    #[arg(long, value_name = "PROVIDER")]
    pub provider: Option<String>,
    /// `text` (a table) or `json` (providers and models, camelCase fields).
    #[arg(long, value_enum, default_value_t = ModelsFormat::Text)]
    pub format: ModelsFormat,
}

pub fn run(global: &GlobalArgs, args: ModelsArgs) -> miette::Result<Exit> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let registry = Registry::load(&Registry::default_user_files(&cwd)).map_err(|e| {
        Report::new(
            MietteDiagnostic::new(e.to_string())
                .with_code("dash::models::file")
                .with_help("fix the models.toml file named above"),
        )
    })?;
    let providers: Vec<&ProviderInfo> = registry
        .providers()
        .filter(|p| args.provider.as_ref().is_none_or(|want| &p.name == want))
        .collect();
    if providers.is_empty() {
        let known: Vec<_> = registry.providers().map(|p| p.name.clone()).collect();
        return Err(Report::new(
            MietteDiagnostic::new(format!(
                "unknown provider {:?}",
                args.provider.unwrap_or_default()
            ))
            .with_code("dash::models::provider")
            .with_help(format!("known providers: {}", known.join(", "))),
        ));
    }
    let models: Vec<Model> = registry
        .models()
        .into_iter()
        .filter(|m| providers.iter().any(|p| p.name == m.provider))
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        ModelsFormat::Json => {
            #[derive(serde::Serialize)]
            struct Listing<'a> {
                providers: &'a [&'a ProviderInfo],
                models: &'a [Model],
            }
            let json = serde_json::to_string_pretty(&Listing {
                providers: &providers,
                models: &models,
            })
            .expect("the registry serialises");
            let _ = writeln!(out, "{json}");
        }
        ModelsFormat::Text if global.quiet => {
            for m in &models {
                let _ = writeln!(out, "{}", m.spec());
            }
        }
        ModelsFormat::Text => {
            let _ = writeln!(
                out,
                "{:<52} {:<21} {:>9} {:>8} {:>8} {:>8}  FEATURES",
                "MODEL", "API", "CONTEXT", "MAX OUT", "$IN/M", "$OUT/M"
            );
            for m in &models {
                let mut features = Vec::new();
                if m.reasoning {
                    features.push("reasoning");
                }
                if m.accepts_images() {
                    features.push("images");
                }
                let _ = writeln!(
                    out,
                    "{:<52} {:<21} {:>9} {:>8} {:>8} {:>8}  {}",
                    m.spec(),
                    m.api.as_str(),
                    m.context_window,
                    m.max_tokens,
                    price(m.cost.input),
                    price(m.cost.output),
                    features.join(",")
                );
            }
            let open: Vec<_> = providers
                .iter()
                .filter(|p| p.any_model)
                .map(|p| format!("{} ({})", p.name, p.base_url))
                .collect();
            if !open.is_empty() {
                let _ = writeln!(out, "\nAny model id is accepted for: {}", open.join(", "));
            }
        }
    }
    Ok(Exit::Clean)
}

fn price(p: f64) -> String {
    if p == 0.0 {
        "-".into()
    } else {
        format!("{p:.3}")
    }
}
