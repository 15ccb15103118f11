//! The npm packages as a JavaScript team installs them: `npm/build.sh` assembles the
//! launcher package and this platform's binary package, `npm pack` packs both, and
//! `npm install` puts the two tarballs into a scratch project, offline (a registry
//! address nothing listens on, `--offline`, an empty cache): the other platforms'
//! packages are optional and must be skipped, not fetched. Then `npx dash` must run the
//! binary with its arguments, output and exit codes passed through.
//!
//! Node and npm are required (CI has them); without them this test fails saying so.
//! The binary packed is `DASH_NPM_BINARY` when set (CI points it at the stripped
//! release build, which packs in a second), else the test build of dash.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// npm's names for this platform, as the launcher computes them.
fn npm_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    };
    let cpu = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os}-{cpu}")
}

/// Runs a command with npm kept off the network and out of the user's cache.
fn run(cmd: &mut Command, cache: &Path) -> Output {
    cmd.env("npm_config_cache", cache)
        .env("npm_config_offline", "true")
        .env("npm_config_registry", "http://127.0.0.1:9/")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false")
        .env("NO_COLOR", "1");
    match cmd.output() {
        Ok(output) => output,
        Err(err) => panic!(
            "cannot run {:?} ({err}): this test needs node and npm on PATH",
            cmd.get_program()
        ),
    }
}

fn succeeded(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn packed_tarballs_install_offline_and_npx_dash_runs_the_binary() {
    let scratch = tempfile::tempdir().unwrap();
    // The test build is unstripped (about 200 MB): pack a stripped copy, as a release
    // build would be, so packing and installing stay fast. Without `strip` the copy is
    // packed as it is (slower, same behaviour).
    let binary = std::env::var_os("DASH_NPM_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let copy = scratch.path().join("dash");
            std::fs::copy(env!("CARGO_BIN_EXE_dash"), &copy).unwrap();
            let _ = Command::new("strip").arg(&copy).status();
            copy
        });
    let cache = scratch.path().join("npm-cache");
    let out = scratch.path().join("packages");
    let version = env!("CARGO_PKG_VERSION");
    let platform = format!("dash-ready-{}", npm_platform());

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("npm/build.sh");
    let built = run(
        Command::new("bash").arg(&script).arg(&binary).arg(&out),
        &cache,
    );
    let dirs = succeeded(&built, "npm/build.sh");
    assert_eq!(
        dirs.lines().collect::<Vec<_>>(),
        [
            out.join("dash-ready").to_str().unwrap(),
            out.join(&platform).to_str().unwrap()
        ]
    );

    let packed = run(
        Command::new("npm").current_dir(&out).args([
            "pack",
            "./dash-ready",
            &format!("./{platform}"),
        ]),
        &cache,
    );
    let names = succeeded(&packed, "npm pack");
    let main_tgz = format!("dash-ready-{version}.tgz");
    let platform_tgz = format!("{platform}-{version}.tgz");
    assert_eq!(
        names.lines().collect::<Vec<_>>(),
        [main_tgz.as_str(), platform_tgz.as_str()]
    );

    // A project with one production console call and one in a test.
    let project = scratch.path().join("project");
    write(
        &project.join("package.json"),
        "{ \"name\": \"scratch\", \"version\": \"1.0.0\", \"private\": true }\n",
    );
    write(
        &project.join("src/app.ts"),
        "export const x = 1;\nconsole.log('app');\n",
    );
    write(
        &project.join("src/app.test.ts"),
        "test('x', () => {\n  console.log('debug');\n});\n",
    );
    let installed = run(
        Command::new("npm")
            .current_dir(&project)
            .arg("install")
            .arg(out.join(&main_tgz))
            .arg(out.join(&platform_tgz)),
        &cache,
    );
    succeeded(&installed, "npm install of the two tarballs");
    let modules: Vec<String> = std::fs::read_dir(project.join("node_modules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    let mut modules = modules;
    modules.sort();
    assert_eq!(modules, ["dash-ready".to_owned(), platform.clone()]);

    let npx = |args: &[&str]| {
        run(
            Command::new("npx")
                .current_dir(&project)
                .arg("dash")
                .args(args),
            &cache,
        )
    };
    let shown = npx(&["--version"]);
    assert_eq!(
        succeeded(&shown, "npx dash --version"),
        format!("dash {version}\n")
    );

    let scan = npx(&["scan"]);
    let report = succeeded(&scan, "npx dash scan");
    assert!(
        report.starts_with("2 console calls in 1 worktree (2 source files)"),
        "{report}"
    );
    assert!(report.contains("production       1"), "{report}");

    // Exit codes come through the launcher: a failed gate is 1, a usage error 2.
    let gate = npx(&["scan", "--max-production", "0"]);
    assert_eq!(gate.status.code(), Some(1), "{gate:?}");
    let wrong = npx(&["scan", "--no-such-flag"]);
    assert_eq!(wrong.status.code(), Some(2), "{wrong:?}");
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("--no-such-flag"));
}
