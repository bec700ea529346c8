//! `cargo xtask bench [suite...]`: Rust benchmarks and their Node twins, side by side.
//!
//! A suite is a `crates/<crate>/benches/<suite>.rs` (a `harness = false` bench
//! target) with its Node twin at `crates/<crate>/benches/node/<suite>.js`. Both
//! print `BENCH {json}` lines (see `rt_tests::bench` and `tests/node/bench.js`).
//! Each round runs the Rust program and then the Node one; the medians over the
//! rounds are reported. `ratio` is always "how many times better rt is": rt/node
//! for higher-is-better figures, node/rt for lower-is-better ones.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Suite {
    krate: String,
    name: String,
    node_twin: Option<PathBuf>,
}

#[derive(Default)]
struct Figure {
    unit: String,
    better: String,
    /// who ("rt", "node", "tokio", ...) -> one value per round.
    values: BTreeMap<String, Vec<f64>>,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut rounds: usize = std::env::var("RT_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut wanted = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rounds" => {
                rounds = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--rounds takes a whole number above 0")?;
            }
            "--list" => {
                for s in discover()? {
                    println!(
                        "{}  ({}{})",
                        s.name,
                        s.krate,
                        if s.node_twin.is_some() { ", node twin" } else { "" }
                    );
                }
                return Ok(());
            }
            "--table" => return print_table(),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => wanted.push(s.to_string()),
        }
    }
    let suites: Vec<Suite> = discover()?
        .into_iter()
        .filter(|s| wanted.is_empty() || wanted.contains(&s.name))
        .collect();
    if suites.is_empty() {
        return Err(format!(
            "no bench suite matches {wanted:?}; `cargo xtask bench --list` lists them"
        ));
    }
    let node = Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success());
    match &node {
        Some(o) => eprintln!("node {}", String::from_utf8_lossy(&o.stdout).trim()),
        None => eprintln!("NOTICE: `node` not found: Node columns will be empty"),
    }
    for suite in &suites {
        let exe = build(suite)?;
        let mut figures: Vec<(String, Figure)> = Vec::new();
        for round in 1..=rounds {
            eprintln!("-- {} round {round}/{rounds}", suite.name);
            collect(&mut figures, Command::new(&exe).arg("--bench"), "rt")?;
            if let (Some(twin), Some(_)) = (&suite.node_twin, &node) {
                collect(&mut figures, Command::new("node").arg(twin), "node")?;
            }
        }
        report(suite, &figures)?;
    }
    Ok(())
}

fn discover() -> Result<Vec<Suite>, String> {
    let mut out = Vec::new();
    let crates = crate::root().join("crates");
    let mut dirs: Vec<_> = std::fs::read_dir(&crates)
        .map_err(|e| format!("{}: {e}", crates.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.sort();
    for dir in dirs {
        let benches = dir.join("benches");
        let Ok(entries) = std::fs::read_dir(&benches) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            if f.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let name = f
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let twin = benches.join("node").join(format!("{name}.js"));
            out.push(Suite {
                krate: dir
                    .file_name()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_string(),
                node_twin: twin.exists().then_some(twin),
                name,
            });
        }
    }
    Ok(out)
}

fn build(suite: &Suite) -> Result<PathBuf, String> {
    eprintln!("-- building {} ({}) in release mode", suite.name, suite.krate);
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["bench", "-p", &suite.krate, "--bench", &suite.name, "--no-run"])
        .args(["--message-format", "json-render-diagnostics"])
        .current_dir(crate::root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("building bench {} failed", suite.name));
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let is_bench = v["target"]["kind"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "bench"));
        if v["reason"] == "compiler-artifact" && is_bench && v["target"]["name"] == suite.name.as_str() {
            if let Some(exe) = v["executable"].as_str() {
                return Ok(PathBuf::from(exe));
            }
        }
    }
    Err(format!("cargo built no executable for bench {}", suite.name))
}

fn collect(figures: &mut Vec<(String, Figure)>, cmd: &mut Command, default_who: &str) -> Result<(), String> {
    let out = cmd
        .current_dir(crate::root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed ({})", out.status));
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(rest) = line.strip_prefix("BENCH ") else {
            if !line.trim().is_empty() {
                eprintln!("   {line}");
            }
            continue;
        };
        add_line(figures, rest, default_who)?;
    }
    Ok(())
}

/// Adds one `BENCH` line's JSON (`rest`) to `figures`; `default_who` names the
/// side when the line does not.
fn add_line(figures: &mut Vec<(String, Figure)>, rest: &str, default_who: &str) -> Result<(), String> {
    let v: Value = serde_json::from_str(rest).map_err(|e| format!("bad BENCH line {rest:?}: {e}"))?;
    let figure = v["figure"]
        .as_str()
        .ok_or("BENCH line without figure")?
        .to_string();
    let who = v["who"].as_str().unwrap_or(default_who).to_string();
    let value = v["value"].as_f64().ok_or("BENCH line without value")?;
    let better = v["better"].as_str().unwrap_or("higher");
    if better != "higher" && better != "lower" {
        return Err(format!(
            "BENCH line for {figure:?}: better must be \"higher\" or \"lower\""
        ));
    }
    let idx = match figures.iter().position(|(f, _)| *f == figure) {
        Some(i) => i,
        None => {
            figures.push((figure.clone(), Figure::default()));
            figures.len() - 1
        }
    };
    let fig = &mut figures[idx].1;
    if who == "rt" || fig.unit.is_empty() {
        fig.unit = v["unit"].as_str().unwrap_or("").to_string();
        fig.better = better.to_string();
    }
    fig.values.entry(who).or_default().push(value);
    Ok(())
}

fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let m = s.len() / 2;
    Some(if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    })
}

/// How many times better `rt` is than `other` (> 1 means rt is better).
fn ratio(better: &str, rt: f64, other: f64) -> Option<f64> {
    if rt <= 0.0 || other <= 0.0 {
        return None;
    }
    Some(if better == "lower" { other / rt } else { rt / other })
}

fn fmt(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn report(suite: &Suite, figures: &[(String, Figure)]) -> Result<(), String> {
    let width = figures.iter().map(|(f, _)| f.len()).max().unwrap_or(0);
    let mut rows = Vec::new();
    println!("\n{} (medians)", suite.name);
    for (name, fig) in figures {
        let rt = fig.values.get("rt").and_then(|v| median(v));
        let node = fig.values.get("node").and_then(|v| median(v));
        let r = rt.zip(node).and_then(|(a, b)| ratio(&fig.better, a, b));
        let cell = |v: Option<f64>| {
            v.map(|v| format!("{} {}", fmt(v), fig.unit))
                .unwrap_or_else(|| "-".into())
        };
        let mut line = format!(
            "{name:<width$}  rt={}  node={}  rt/node={}",
            cell(rt),
            cell(node),
            r.map(|r| format!("{r:.2}")).unwrap_or_else(|| "-".into())
        );
        let mut others = serde_json::Map::new();
        for (who, vals) in &fig.values {
            if who == "rt" || who == "node" {
                continue;
            }
            let m = median(vals);
            let ro = rt.zip(m).and_then(|(a, b)| ratio(&fig.better, a, b));
            line.push_str(&format!(
                "  {who}={}  rt/{who}={}",
                cell(m),
                ro.map(|r| format!("{r:.2}")).unwrap_or_else(|| "-".into())
            ));
            others.insert(who.clone(), json!({ "value": m, "ratio": ro }));
        }
        println!("{line}");
        let mut row = json!({
            "figure": name, "unit": fig.unit, "rt": rt, "node": node,
            "better": fig.better, "ratio": r,
        });
        if !others.is_empty() {
            row["others"] = Value::Object(others);
        }
        rows.push(row);
    }
    let dir = crate::root().join("target").join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join(format!("{}.json", suite.name));
    let text = serde_json::to_string_pretty(&Value::Array(rows)).map_err(|e| e.to_string())?;
    std::fs::write(&file, text + "\n").map_err(|e| format!("{}: {e}", file.display()))?;
    eprintln!("wrote {}", rel(&file));
    Ok(())
}

fn rel(p: &Path) -> String {
    p.strip_prefix(crate::root()).unwrap_or(p).display().to_string()
}

/// Prints every `target/bench/*.json` as one Markdown table (for the README).
fn print_table() -> Result<(), String> {
    let dir = crate::root().join("target").join("bench");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e} (run `cargo xtask bench` first)", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    files.sort();
    println!("| suite | figure | rt | node | rt/node | other references |");
    println!("|---|---|---|---|---|---|");
    for f in files {
        let suite = f
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let rows: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
        for r in rows.as_array().into_iter().flatten() {
            let unit = r["unit"].as_str().unwrap_or("");
            let cell = |v: &Value| {
                v.as_f64()
                    .map(|v| format!("{} {unit}", fmt(v)))
                    .unwrap_or_else(|| "-".into())
            };
            let others = r["others"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(who, v)| {
                            format!(
                                "{who} {} (rt/{who} {})",
                                cell(&v["value"]),
                                v["ratio"]
                                    .as_f64()
                                    .map(|r| format!("{r:.2}"))
                                    .unwrap_or_else(|| "-".into())
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            println!(
                "| {suite} | {} | {} | {} | {} | {others} |",
                r["figure"].as_str().unwrap_or(""),
                cell(&r["rt"]),
                cell(&r["node"]),
                r["ratio"]
                    .as_f64()
                    .map(|r| format!("**{r:.2}**"))
                    .unwrap_or_else(|| "-".into())
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn ratio_is_how_many_times_better_rt_is() {
        // ns/op: rt 5, node 10 -> rt is twice as good.
        assert_eq!(ratio("lower", 5.0, 10.0), Some(2.0));
        // GB/s: rt 3, node 6 -> rt is half as good.
        assert_eq!(ratio("higher", 3.0, 6.0), Some(0.5));
        assert_eq!(ratio("higher", 0.0, 6.0), None);
    }

    #[test]
    fn lines_from_both_sides_meet_in_one_figure() {
        let mut figs = Vec::new();
        add_line(
            &mut figs,
            r#"{"figure":"emit","unit":"ns/op","better":"lower","value":4}"#,
            "rt",
        )
        .unwrap();
        add_line(
            &mut figs,
            r#"{"who":"node","figure":"emit","unit":"ns/op","better":"lower","value":8}"#,
            "x",
        )
        .unwrap();
        add_line(
            &mut figs,
            r#"{"figure":"emit","unit":"ns/op","better":"lower","value":6}"#,
            "node",
        )
        .unwrap();
        assert_eq!(figs.len(), 1);
        let f = &figs[0].1;
        assert_eq!(f.unit, "ns/op");
        assert_eq!(f.values["rt"], vec![4.0]);
        assert_eq!(f.values["node"], vec![8.0, 6.0]);
        assert!(add_line(&mut figs, r#"{"figure":"x","value":1,"better":"up"}"#, "rt").is_err());
        assert!(add_line(&mut figs, r#"{"figure":"x"}"#, "rt").is_err());
        assert!(add_line(&mut figs, "not json", "rt").is_err());
    }
}
