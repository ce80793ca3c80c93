//! Runs typify on the draft-07 rendering of the bundle schema and writes the Rust types to
//! `$OUT_DIR/types.rs`. Any typify error or panic fails the build with the schema's name.
//!
//! It also runs typify once more per [`UNEXPRESSIBLE`] shape, with only that shape left in,
//! and writes what typify made of each to `$OUT_DIR/each_shape.rs`, for the oracle's tests to
//! check that every shape still has to be removed (typify runs here, on the host, so that the
//! tests need no second build of it).

use std::path::Path;

include!("src/unexpressible.rs");

fn main() {
    let bundle = eventwire::schema::bundle_schema();
    let draft07 = eventwire_codegen::draft07::render(&bundle).expect("the bundle renders as draft-07");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("eventwire.draft-07.json"), serde_json::to_string_pretty(&draft07).unwrap())
        .expect("writing the draft-07 rendering");

    let root: schemars08::schema::RootSchema =
        serde_json::from_value(for_typify(draft07.clone())).expect("typify's schemars reads it");
    let mut space = typify::TypeSpace::new(typify::TypeSpaceSettings::default().with_struct_builder(false));
    space.add_root_schema(root).expect("typify maps every type of the bundle");
    let file: syn::File = syn::parse2(space.to_stream()).expect("typify writes valid Rust");
    std::fs::write(Path::new(&out).join("types.rs"), prettyplease::unparse(&file)).expect("writing types.rs");

    let mut each = String::from("&[\n");
    for (pointer, _, _) in UNEXPRESSIBLE {
        let mut document = for_typify(draft07.clone());
        let shape = draft07.pointer(pointer).map(|shape| typify_words(shape.clone()));
        let Some((slot, shape)) = document.pointer_mut(pointer).zip(shape) else {
            each.push_str(&format!("    ({pointer:?}, Err(\"the pointer is not in the rendering\")),\n"));
            continue;
        };
        *slot = shape;
        let verdict = match typify(document) {
            Ok(()) => "Ok(())".to_owned(),
            Err(error) => format!("Err({error:?})"),
        };
        each.push_str(&format!("    ({pointer:?}, {verdict}),\n"));
    }
    each.push(']');
    std::fs::write(Path::new(&out).join("each_shape.rs"), each).expect("writing each_shape.rs");

    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/unexpressible.rs");
    println!("cargo::rerun-if-changed=../eventwire/src");
    println!("cargo::rerun-if-changed=../eventwire-codegen/src");
}

/// Runs typify on a draft-07 document; `Err` for an error or a panic (caught: typify 0.8
/// panics on some shapes).
fn typify(document: serde_json::Value) -> Result<(), String> {
    let root: schemars08::schema::RootSchema = serde_json::from_value(document).map_err(|e| e.to_string())?;
    std::panic::catch_unwind(move || {
        let mut space = typify::TypeSpace::new(typify::TypeSpaceSettings::default().with_struct_builder(false));
        space.add_root_schema(root).map(|_| space.to_stream().to_string()).map_err(|e| e.to_string())
    })
    .map_err(|_| "typify panicked".to_owned())?
    .map(|_| ())
}
