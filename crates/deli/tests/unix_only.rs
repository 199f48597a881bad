//! The library says it is Unix-only when built for another target.

use std::path::Path;
use std::process::Command;

const TARGET: &str = "x86_64-pc-windows-gnu";

/// Builds deli for Windows (when that target's standard library is
/// installed: `rustup target add x86_64-pc-windows-gnu`) and expects the
/// crate's own `compile_error!` among the errors.
#[test]
#[ignore = "runs `cargo check` for a Windows target; needs that target installed"]
fn a_non_unix_build_fails_with_a_clear_message() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("rustc runs");
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_owned();
    if !Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .exists()
    {
        eprintln!("skipped: the {TARGET} target is not installed");
        return;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("unix-only");
    let output = Command::new(cargo)
        .args([
            "check",
            "--quiet",
            "--message-format",
            "short",
            "--target",
            TARGET,
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "a Windows build succeeded");
    assert!(
        stderr.contains("deli supports Unix targets only"),
        "no clear message among the errors:\n{stderr}"
    );
}
