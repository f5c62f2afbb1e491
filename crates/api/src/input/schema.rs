//! The parsers' rules as OpenAPI schemas, so a client (or schemathesis)
//! reading the document sends what the edge accepts. Each rule is one type,
//! declared with `wire_rule!` next to the parser it describes; request
//! fields point at it with `#[schema(value_type = ...)]`.

use std::borrow::Cow;

use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// What `str::trim` removes (Unicode White_Space), spelled out: the `\s`
/// of ECMA and of Python regexes are not the same set.
const WS: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// What `char::is_control` refuses (Unicode Cc).
const CC: &str = r"\x00-\x1f\x7f-\x9f";

/// Declares a schema type for one rule: `wire_rule!(/// doc
/// Name, schema_expression)`.
#[macro_export]
macro_rules! wire_rule {
    ($(#[$doc:meta])* $name:ident, $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $schema
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

/// `TextRule::line(max)`: after trimming, 1 to `max` characters and no
/// control character. The bound is on the trimmed text, so it is in the
/// pattern (white space around it is free), not a `maxLength`.
pub fn line(max: usize) -> RefOr<Schema> {
    let inner = max.saturating_sub(2);
    let pattern = format!("^[{WS}]*[^{WS}{CC}](?:[^{CC}]{{0,{inner}}}[^{WS}{CC}])?[{WS}]*$");
    pattern_only(pattern)
}

/// `TextRule::line(max).blank_ok()`: as `line`, or only white space.
pub fn line_or_blank(max: usize) -> RefOr<Schema> {
    let inner = max.saturating_sub(2);
    let pattern = format!("^[{WS}]*(?:[^{WS}{CC}](?:[^{CC}]{{0,{inner}}}[^{WS}{CC}])?)?[{WS}]*$");
    pattern_only(pattern)
}

/// `TextRule::multiline(max).blank_ok()`: at most `max` characters after
/// trimming, line feeds and tabs (and CRLF, read as one LF) inside, no other
/// control character; may be empty.
pub fn multiline(max: usize) -> RefOr<Schema> {
    let pattern = format!(r"^[{WS}]*(?:[^{CC}]|[\t\n]|\r\n){{0,{max}}}[{WS}]*$");
    pattern_only(pattern)
}

/// `TextRule::multiline(max)`: as `multiline`, but not blank. Meant for
/// long texts: a regex bound of that size is more than generators (and
/// some validators) take, so the bound is a `maxLength` on the text as
/// sent, which is a little stricter than the parser's (on the trimmed
/// text, CRLF counted as one).
pub fn multiline_required(max: usize) -> RefOr<Schema> {
    let edge = format!("[^{WS}{CC}]");
    let pattern = format!(r"^[{WS}]*{edge}(?:(?:[^{CC}]|[\t\n]|\r\n)*{edge})?[{WS}]*$");
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .max_length(Some(max))
        .into()
}

/// `core` with the white space `str::trim` removes allowed around it.
pub fn trimmed(core: &str) -> RefOr<Schema> {
    pattern_only(format!("^[{WS}]*{core}[{WS}]*$"))
}

fn pattern_only(pattern: String) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .into()
}

/// A string with these bounds.
pub fn text(pattern: Option<String>, min: Option<usize>, max: usize) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(pattern)
        .min_length(min)
        .max_length(Some(max))
        .into()
}

/// A string that is one of `values`.
pub fn one_of<V: Into<serde_json::Value>>(values: impl IntoIterator<Item = V>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .into()
}

/// A string that must hold something other than white space (a login
/// address or a link's token, looked up as given).
pub fn present() -> RefOr<Schema> {
    pattern_only(format!("[^{WS}]"))
}

wire_rule!(
    /// A display name (`DisplayName`): one line, 1 to 200 characters.
    NameText,
    line(200)
);

wire_rule!(
    /// A new password (`NewPassword`): 8 to 128 characters, taken as given.
    PasswordText,
    text(None, Some(8), 128)
);

wire_rule!(
    /// An e-mail address (`Email`): at most 254 characters.
    EmailText,
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .max_length(Some(254))
        .into()
);

wire_rule!(
    /// Present and not blank (see `present`).
    PresentText,
    present()
);

wire_rule!(
    /// Not empty, taken as given (a password to check).
    NonEmptyText,
    ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).into()
);

/// Postgres refuses `\u0000` in jsonb, so `json::check` refuses a NUL in any
/// key or string of a stored JSON value.
const NO_NUL: &str = r"^[^\x00]*$";

fn no_nul_text() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(NO_NUL))
}

fn any_json() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(JsonValue::name()))
}

fn json_object() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(no_nul_text()))
        .additional_properties(Some(any_json()))
}

fn json_array() -> ArrayBuilder {
    ArrayBuilder::new().items(any_json())
}

/// Any JSON value `json::check` takes inside a stored object or array: no
/// NUL in a key or a string, at any depth. A component, as it refers to
/// itself.
pub struct JsonValue;

impl PartialSchema for JsonValue {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(no_nul_text())
            .item(json_array())
            .item(json_object())
            .into()
    }
}

impl ToSchema for JsonValue {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("JsonValue")
    }
}

/// Declares a stored JSON shape (`JsonShape`), which brings `JsonValue`
/// into the document.
macro_rules! json_rule {
    ($(#[$doc:meta])* $name:ident, $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }
        impl ToSchema for $name {
            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                schemas.push((JsonValue::name().into(), JsonValue::schema()));
            }
        }
    };
}

json_rule!(
    /// A stored JSON object (`JsonShape::Object`).
    JsonObject,
    json_object()
);

json_rule!(
    /// A stored JSON array (`JsonShape::Array`).
    JsonArray,
    json_array()
);
