//! Gives the shared object SAP's identity on Linux: the SONAME `libsapnwrfc.so` and every
//! exported function in a version node of that name, as SAP's own library has them.
//!
//! Programs built against SAP's SDK (node-rfc's prebuilt addon among them) import
//! `RfcInvoke@libsapnwrfc.so`; without the node the dynamic loader refuses the library. The
//! exported names are read from the sources, so the list cannot drift from the code: the
//! version script defines the node, and an assembler `.symver` line per function puts the
//! function into it: a second version script alone does not, as the one rustc writes for
//! every cdylib already lists the functions without a version.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

const LIBRARY: &str = "libsapnwrfc.so";
const SOURCES: [&str; 2] = ["src/exports.rs", "src/unsupported.rs"];

fn main() {
    for source in SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let names: Vec<String> = SOURCES
        .iter()
        .flat_map(|source| exported_names(&fs::read_to_string(source).expect("readable source")))
        .collect();

    // One file per module: the assembler needs each `.symver` in the object that defines
    // the function, and a module's functions share its codegen unit.
    for source in SOURCES {
        let stem = Path::new(source).file_stem().expect("a file name");
        let text = fs::read_to_string(source).expect("readable source");
        let mut symver = String::new();
        for name in exported_names(&text) {
            writeln!(symver, ".symver {name}, {name}@@{LIBRARY}").expect("writing to a String");
        }
        let file = format!("symver_{}.s", stem.to_string_lossy());
        fs::write(Path::new(&out_dir).join(file), symver).expect("writable OUT_DIR");
    }

    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let script = Path::new(&out_dir).join("sapnwrfc.map");
    let globals: String = names.iter().map(|name| format!("    {name};\n")).collect();
    let text = format!("{LIBRARY} {{\n  global:\n{globals}  local:\n    *;\n}};\n");
    fs::write(&script, text).expect("writable OUT_DIR");
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        script.display()
    );
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{LIBRARY}");
}

/// Names of the `extern "system"` functions a source file exports.
fn exported_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut exported = false;
    for line in source.lines().map(str::trim) {
        if line == "#[unsafe(no_mangle)]" {
            exported = true;
            continue;
        }
        if exported && let Some(rest) = line.split("extern \"system\" fn ").nth(1) {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
            names.push(name);
        }
        if !line.starts_with("#[") && !line.starts_with("///") {
            exported = false;
        }
    }
    names
}
