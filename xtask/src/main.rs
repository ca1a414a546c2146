//! `cargo xtask`: setup, test, demo, bench.
fn main() {
    println!("xtask: to be written");
}
