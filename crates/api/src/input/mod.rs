//! The API edge: wire input becomes checked values here, once for every
//! route. Text is trimmed, bounded and free of control characters, JSON
//! fields free of NUL, pages overflow-safe; every failure is a 4xx with a
//! stable code (see `crate::error_code`), never a 500 further in.

pub mod fields;
pub mod json;
pub mod page;
pub mod patch;
pub mod schema;
pub mod text;

pub use fields::FieldErrors;
pub use json::JsonShape;
pub use page::{PageQuery, PageResponse, Paging};
pub use text::{TextError, TextRule};
