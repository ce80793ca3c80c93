//! `#[derive(Check)]`: writes a type's check-only twin, the type eventwire's fast path
//! deserializes instead of the type itself.
//!
//! For a struct, the twin is a struct with the same name and `#[serde]` attributes (on the struct and on
//! every field) whose fields have the twins of the original field types
//! (`<T as crate::twin::HasTwin>::Twin`), so that serde's derive gives both the same rules for
//! keys: names, renames, defaults, unknown and duplicate fields. The twins of strings check
//! them in place without copying, so a valid message is checked without an allocation.
//!
//! A field marked `#[twin(note = N)]` keeps where its value lies in the message text (when the
//! layout reads it) in [`Facts::notes`](crate::twin::Facts) slot `N`: the values the
//! conversation rules read, found while checking, not by a second pass.
//!
//! For an enum of unit variants (which deserializes without allocating), the twin is the enum
//! itself.
//!
//! The macro is internal to the `eventwire` crate: the code it writes names `crate::check`.

use proc_macro::TokenStream;
use quote::quote;
use syn::{Attribute, Data, DeriveInput, Fields, parse_macro_input};

/// Implements `crate::twin::HasTwin` (and the twin's `crate::twin::HasFacts`); see the crate
/// documentation.
#[proc_macro_derive(Twin, attributes(twin))]
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
        return Err(syn::Error::new_spanned(&input.generics, "Twin is derived only for types without generics"));
    }
    match &input.data {
        Data::Enum(data) if data.variants.iter().all(|variant| matches!(variant.fields, Fields::Unit)) => Ok(quote! {
            impl crate::twin::HasTwin for #name {
                type Twin = #name;
            }
            impl crate::twin::HasFacts for #name {}
            impl crate::twin::layout::Layout for #name {
                fn read(reader: &mut crate::twin::layout::TokenReader<'_>) -> ::core::option::Option<Self> {
                    crate::twin::layout::unit_variant(reader)
                }
            }
        }),
        Data::Struct(data) => {
            let Fields::Named(fields) = &data.fields else {
                return Err(syn::Error::new_spanned(name, "Twin is derived only for structs with named fields"));
            };
            let struct_attrs = serde_attributes(&input.attrs);
            if let Some(conversion) = struct_attrs.iter().find(|attr| converts(attr)) {
                return Err(syn::Error::new_spanned(
                    conversion,
                    "a type deserialized through another one (`from`, `try_from`) needs a hand-written twin",
                ));
            }
            // The twin has the type's own name (in a block of its own), because serde's error
            // messages name the struct: "invalid type: sequence, expected struct StatusData".
            let twin = name;
            // A field type that names the struct itself (its tag, `Tag<HealthScore>`) must name
            // the type and not the twin, which shadows it inside the block.
            let types: Vec<_> = fields.named.iter().map(|field| outside(&field.ty, name)).collect();
            let twin_types: Vec<_> = fields
                .named
                .iter()
                .zip(&types)
                .map(|(field, ty)| {
                    let twin = quote! { <#ty as crate::twin::HasTwin>::Twin };
                    Ok(match note(&field.attrs)? {
                        Some(slot) => quote! { crate::twin::Noted<#twin, { #slot }> },
                        None => twin,
                    })
                })
                .collect::<syn::Result<_>>()?;
            let names: Vec<_> = fields.named.iter().map(|field| field.ident.as_ref()).collect();
            let field_attrs = fields.named.iter().map(|field| serde_attributes(&field.attrs));
            let layout = layout(name, &input.attrs, fields, &types, &twin_types);
            Ok(quote! {
                const _: () = {
                    #[doc(hidden)]
                    #[allow(missing_docs)]
                    #[derive(::serde::Deserialize)]
                    #(#struct_attrs)*
                    pub struct #twin {
                        #( #(#field_attrs)* pub #names: #twin_types, )*
                    }

                    // `self::` names the type itself: the twin is not a module item.
                    impl crate::twin::HasTwin for self::#name {
                        type Twin = #twin;
                    }

                    impl crate::twin::HasFacts for #twin {
                        fn add_facts(&self, facts: &mut crate::twin::Facts) {
                            #( crate::twin::HasFacts::add_facts(&self.#names, facts); )*
                        }
                    }

                    #layout
                };
            })
        }
        _ => Err(syn::Error::new_spanned(name, "Twin is derived only for structs and enums of unit variants")),
    }
}

/// The twin's `crate::twin::layout::Layout`. Members are read in declaration order while the keys
/// come in that order, each key matched as a literal (the common case costs no dispatch); the
/// rest, if any, in any order, each key matched against the fields' keys. A key twice or a
/// missing required one gives up (serde rejects the first and names the second), and so does
/// an unknown key, unless a `#[serde(flatten)]` field takes the members no other field takes.
/// A struct whose keys serde reads in ways this does not follow (renaming rules, aliases, …)
/// gets a layout that always gives up.
fn layout(
    twin: &syn::Ident,
    struct_attrs: &[Attribute],
    fields: &syn::FieldsNamed,
    types: &[proc_macro2::TokenStream],
    twin_types: &[proc_macro2::TokenStream],
) -> proc_macro2::TokenStream {
    let members: Option<Vec<Member>> = struct_layout_is_plain(struct_attrs)
        .then(|| {
            fields
                .named
                .iter()
                .zip(types.iter().zip(twin_types))
                .map(|(field, (ty, twin))| member(field, ty, twin))
                .collect::<Option<_>>()
        })
        .flatten();
    let (keyed, leftovers): (Vec<_>, Vec<_>) = members.iter().flatten().partition(|member| !member.flatten);
    let (Some(_), [] | [_]) = (&members, leftovers.as_slice()) else {
        return quote! { impl crate::twin::layout::Layout for #twin {} };
    };
    let names: Vec<_> = keyed.iter().map(|member| member.name).collect();
    let twin_types = keyed.iter().map(|member| member.twin);
    let keys = keyed.iter().map(|member| &member.key);
    let literals = keyed.iter().map(|member| format!("\"{}\"", member.key));
    let values = keyed.iter().map(|member| {
        let name = member.name;
        if member.optional {
            quote! { #name.unwrap_or_default() }
        } else {
            quote! { #name? }
        }
    });
    let (leftover_names, leftover_types): (Vec<_>, Vec<_>) =
        leftovers.iter().map(|member| (member.name, member.ty)).unzip();
    // Only a flattened field needs the keys seen (an array of them is set up for each read).
    let (seen, other_key) = match leftover_types.first() {
        Some(ty) => (
            quote! { let mut seen = crate::twin::SeenKeys::default(); },
            quote! {
                <<#ty as crate::twin::HasTwin>::Twin as crate::twin::layout::Leftovers>::read_leftover(&mut seen, reader, key)?
            },
        ),
        None => (quote! {}, quote! { return ::core::option::Option::None }),
    };
    quote! {
        impl crate::twin::layout::Layout for #twin {
            fn read(reader: &mut crate::twin::layout::TokenReader<'_>) -> ::core::option::Option<Self> {
                reader.open(b'{')?;
                let mut first = true;
                #(
                    let mut #names: ::core::option::Option<#twin_types> =
                        if reader.key(&mut first, #literals) {
                            ::core::option::Option::Some(crate::twin::layout::Layout::read(reader)?)
                        } else {
                            ::core::option::Option::None
                        };
                )*
                #seen
                if reader.peek() != ::core::option::Option::Some(b'}') {
                    reader.more_members(first, |reader, key| {
                        match key {
                            #(
                                #keys => {
                                    if #names.is_some() {
                                        return ::core::option::Option::None;
                                    }
                                    #names = ::core::option::Option::Some(crate::twin::layout::Layout::read(reader)?);
                                }
                            )*
                            _ => #other_key,
                        }
                        ::core::option::Option::Some(())
                    })?;
                }
                reader.close(b'}')?;
                ::core::option::Option::Some(#twin {
                    #( #names: #values, )*
                    #( #leftover_names: <<#leftover_types as crate::twin::HasTwin>::Twin as crate::twin::layout::Leftovers>::leftovers(), )*
                })
            }
        }
    }
}

/// A field as the layout reads it.
struct Member<'a> {
    name: &'a syn::Ident,
    ty: &'a proc_macro2::TokenStream,
    /// Its twin's type.
    twin: &'a proc_macro2::TokenStream,
    /// The key on the wire.
    key: String,
    /// Whether serde lets the key be absent (an `Option`, or `#[serde(default)]`).
    optional: bool,
    /// Whether the field is `#[serde(flatten)]`: it takes the members no other field takes.
    flatten: bool,
}

/// Whether the struct's own `#[serde]` attributes leave its keys as the fields name them.
fn struct_layout_is_plain(attrs: &[Attribute]) -> bool {
    serde_attributes(attrs).iter().all(|attr| {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("deny_unknown_fields") { Ok(()) } else { Err(meta.error("not read by the layout")) }
        })
        .is_ok()
    })
}

/// The field as the layout reads it, or `None` when serde reads it in a way the layout doesn't.
fn member<'a>(
    field: &'a syn::Field,
    ty: &'a proc_macro2::TokenStream,
    twin: &'a proc_macro2::TokenStream,
) -> Option<Member<'a>> {
    let name = field.ident.as_ref()?;
    let (mut key, mut default, mut flatten) = (name.to_string().trim_start_matches("r#").to_owned(), false, false);
    for attr in serde_attributes(&field.attrs) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                key = meta.value()?.parse::<syn::LitStr>()?.value();
            } else if meta.path.is_ident("default") && !meta.input.peek(syn::Token![=]) {
                default = true;
            } else if meta.path.is_ident("flatten") {
                flatten = true;
            } else if meta.path.is_ident("skip_serializing_if") {
                meta.value()?.parse::<syn::LitStr>()?;
            } else {
                return Err(meta.error("not read by the layout"));
            }
            Ok(())
        })
        .ok()?;
    }
    Some(Member { name, ty, twin, key, optional: default || is_option(&field.ty), flatten })
}

/// `ty` with every bare mention of `name` written `self::name`: inside the block that holds
/// the twin, the bare name is the twin's.
fn outside(ty: &syn::Type, name: &syn::Ident) -> proc_macro2::TokenStream {
    fn rewrite(tokens: proc_macro2::TokenStream, name: &syn::Ident) -> proc_macro2::TokenStream {
        use proc_macro2::{Group, TokenTree};
        let mut out = Vec::new();
        let mut after_colons = false;
        for token in tokens {
            match token {
                TokenTree::Ident(ident) if ident == *name && !after_colons => {
                    out.extend(quote! { self:: });
                    out.push(TokenTree::Ident(ident));
                    after_colons = false;
                }
                TokenTree::Group(group) => {
                    let mut rewritten = Group::new(group.delimiter(), rewrite(group.stream(), name));
                    rewritten.set_span(group.span());
                    out.push(TokenTree::Group(rewritten));
                    after_colons = false;
                }
                TokenTree::Punct(punct) => {
                    after_colons = punct.as_char() == ':';
                    out.push(TokenTree::Punct(punct));
                }
                other => {
                    after_colons = false;
                    out.push(other);
                }
            }
        }
        out.into_iter().collect()
    }
    rewrite(quote! { #ty }, name)
}

/// Whether `ty` is written `Option<…>`: serde reads a missing key of such a field as `None`.
fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|segment| segment.ident == "Option"))
}

/// The slot of `#[twin(note = SLOT)]` among `attrs`, if there is one.
fn note(attrs: &[Attribute]) -> syn::Result<Option<syn::Expr>> {
    let mut slot = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("twin")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("note") {
                slot = Some(meta.value()?.parse::<syn::Expr>()?);
                Ok(())
            } else {
                Err(meta.error("expected `note = SLOT`"))
            }
        })?;
    }
    Ok(slot)
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
