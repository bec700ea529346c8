//! `cargo run --release --example demo`: a short tour of what rt can do so far.
//! Each module that lands adds its section here.

fn main() {
    println!("rt demo: Node.js's standard library in Rust");
    println!("(modules are being built; sections appear here as they land)");
}
