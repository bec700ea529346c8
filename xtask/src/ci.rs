//! `cargo xtask ci`: everything CI checks, in order, stopping at the first failure.

use std::process::Command;
use std::time::Instant;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("`ci` takes no arguments (got {a})"));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    type Step<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let steps: [Step<'_>; 4] = [
        ("fmt", vec!["fmt", "--all", "--check"], vec![]),
        (
            "clippy",
            vec!["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
            vec![],
        ),
        ("test", vec!["test", "--workspace"], vec![]),
        (
            "doc",
            vec!["doc", "--workspace", "--no-deps"],
            vec![("RUSTDOCFLAGS", "-D warnings")],
        ),
    ];
    let all = Instant::now();
    for (name, argv, env) in steps {
        eprintln!("==> xtask ci: {name}: cargo {}", argv.join(" "));
        let start = Instant::now();
        let status = Command::new(&cargo)
            .args(&argv)
            .envs(env)
            .current_dir(crate::root())
            .status()
            .map_err(|e| format!("could not start cargo: {e}"))?;
        eprintln!("==> xtask ci: {name} took {:.1}s", start.elapsed().as_secs_f64());
        if !status.success() {
            return Err(format!("step `{name}` failed ({status})"));
        }
    }
    eprintln!(
        "==> xtask ci: all steps passed in {:.1}s",
        all.elapsed().as_secs_f64()
    );
    Ok(())
}
