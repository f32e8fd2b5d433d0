// `sqlx::migrate!` embeds the migrations at compile time: rebuild when one
// is added or edited, not only when a Rust file changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
