//! Runs typify on the draft-07 rendering of the bundle schema and writes the Rust types to
//! `$OUT_DIR/types.rs`. Any typify error or panic fails the build with the schema's name.

use std::path::Path;

include!("src/unexpressible.rs");

fn main() {
    let bundle = eventwire::schema::bundle_schema();
    let draft07 = eventwire_codegen::draft07::render(&bundle).expect("the bundle renders as draft-07");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("eventwire.draft-07.json"), serde_json::to_string_pretty(&draft07).unwrap())
        .expect("writing the draft-07 rendering");

    let root: schemars08::schema::RootSchema =
        serde_json::from_value(for_typify(draft07)).expect("typify's schemars reads it");
    let mut space = typify::TypeSpace::new(typify::TypeSpaceSettings::default().with_struct_builder(false));
    space.add_root_schema(root).expect("typify maps every type of the bundle");
    let file: syn::File = syn::parse2(space.to_stream()).expect("typify writes valid Rust");
    std::fs::write(Path::new(&out).join("types.rs"), prettyplease::unparse(&file)).expect("writing types.rs");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/unexpressible.rs");
    println!("cargo::rerun-if-changed=../eventwire/src");
    println!("cargo::rerun-if-changed=../eventwire-codegen/src");
}
