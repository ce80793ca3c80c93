//! `#[derive(Check)]`: writes a type's check-only twin, the type eventwire's fast path
//! deserializes instead of the type itself.
//!
//! For a struct, the twin is a struct with the same name and `#[serde]` attributes (on the struct and on
//! every field) whose fields have the twins of the original field types
//! (`<T as crate::check::Check>::View`), so that serde's derive gives both the same rules for
//! keys: names, renames, defaults, unknown and duplicate fields. The twins of strings check
//! them in place without copying, so a valid message is checked without an allocation.
//!
//! For an enum of unit variants (which deserializes without allocating), the twin is the enum
//! itself.
//!
//! The macro is internal to the `eventwire` crate: the code it writes names `crate::check`.

use proc_macro::TokenStream;
use quote::quote;
use syn::{Attribute, Data, DeriveInput, Fields, parse_macro_input};

/// Implements `crate::check::Check` (and the twin's `crate::check::Gather`); see the crate
/// documentation.
#[proc_macro_derive(Check)]
pub fn derive_check(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let name = &input.ident;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(&input.generics, "Check is derived only for types without generics"));
    }
    match &input.data {
        Data::Enum(data) if data.variants.iter().all(|variant| matches!(variant.fields, Fields::Unit)) => Ok(quote! {
            impl crate::check::Check for #name {
                type View = #name;
            }
            impl crate::check::Gather for #name {}
        }),
        Data::Struct(data) => {
            let Fields::Named(fields) = &data.fields else {
                return Err(syn::Error::new_spanned(name, "Check is derived only for structs with named fields"));
            };
            let struct_attrs = serde_attributes(&input.attrs);
            if let Some(conversion) = struct_attrs.iter().find(|attr| converts(attr)) {
                return Err(syn::Error::new_spanned(
                    conversion,
                    "a type deserialized through another one (`from`, `try_from`) needs a hand-written Check",
                ));
            }
            // The twin has the type's own name (in a block of its own), because serde's error
            // messages name the struct: "invalid type: sequence, expected struct StatusData".
            let twin = name;
            let (names, types): (Vec<_>, Vec<_>) =
                fields.named.iter().map(|field| (field.ident.as_ref(), &field.ty)).unzip();
            let field_attrs = fields.named.iter().map(|field| serde_attributes(&field.attrs));
            Ok(quote! {
                const _: () = {
                    #[doc(hidden)]
                    #[allow(missing_docs)]
                    #[derive(::serde::Deserialize)]
                    #(#struct_attrs)*
                    pub struct #twin {
                        #( #(#field_attrs)* pub #names: <#types as crate::check::Check>::View, )*
                    }

                    // `self::` names the type itself: the twin is not a module item.
                    impl crate::check::Check for self::#name {
                        type View = #twin;
                    }

                    impl crate::check::Gather for #twin {
                        fn gather(&self, facts: &mut crate::check::Facts) {
                            #( crate::check::Gather::gather(&self.#names, facts); )*
                        }
                    }
                };
            })
        }
        _ => Err(syn::Error::new_spanned(name, "Check is derived only for structs and enums of unit variants")),
    }
}

/// The `#[serde(...)]` attributes among `attrs`: the twin must read keys exactly as the type.
fn serde_attributes(attrs: &[Attribute]) -> Vec<&Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("serde")).collect()
}

/// Whether a `#[serde(...)]` attribute makes the type deserialize through another type.
fn converts(attr: &Attribute) -> bool {
    let mut found = false;
    // Only the names matter here; the values of other keys are skipped.
    let _ = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("from") || meta.path.is_ident("try_from") {
            found = true;
        }
        if meta.input.peek(syn::Token![=]) {
            meta.value()?.parse::<proc_macro2::TokenStream>()?;
        } else if meta.input.peek(syn::token::Paren) {
            meta.input.parse::<proc_macro2::TokenStream>()?;
        }
        Ok(())
    });
    found
}
