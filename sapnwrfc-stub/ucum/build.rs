//! Gives the shared object SAP's identity on Linux: the SONAME `libsapucum.so` and its
//! functions in a version node of that name, which SDK programs import them from
//! (`strlenU16@libsapucum.so`). `src/lib.rs` puts each function into the node.

use std::env;
use std::fs;
use std::path::Path;

const LIBRARY: &str = "libsapucum.so";

fn main() {
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let script = Path::new(&out_dir).join("sapucum.map");
    let text = format!("{LIBRARY} {{\n  global:\n    *U16;\n  local:\n    *;\n}};\n");
    fs::write(&script, text).expect("writable OUT_DIR");
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        script.display()
    );
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{LIBRARY}");
}
