//! Offset pages at the edge: the `Paging` extractor reads `?page=&limit=`
//! into a `PageRequest` whose offset is known to fit (a huge `page` is a 422
//! naming `page`, never an overflow), and `PageResponse<T>` is the one
//! `{data, total, page, pageSize, totalPages}` every list answers with.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::{Deserialize, Serialize};
use storage::pagination::{MAX_LIMIT, Page, PageRequest};

use super::FieldErrors;
use crate::error::{ApiError, ApiResult};

const DEFAULT_LIMIT: i64 = 20;
/// A billion pages of 100 is past any list this API holds; the bound is
/// documented, so a client or a fuzzer knows it up front.
pub const MAX_PAGE: i64 = 1_000_000_000;

/// `?page=&limit=`, as documented; read as text so a bad value names its
/// parameter instead of failing the whole query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, 1 to 1,000,000,000 (default 1).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1_000_000_000)]
    page: Option<String>,
    /// Rows per page, 1 to 100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

impl PageQuery {
    /// The validated request, or a 422 naming `page` and/or `limit`.
    pub fn parse(self) -> ApiResult<PageRequest> {
        let mut f = FieldErrors::default();
        let page = f.check(
            "page",
            number(
                self.page,
                1,
                MAX_PAGE,
                "must be a whole number from 1 to 1000000000",
            ),
        );
        let limit = f.check(
            "limit",
            number(
                self.limit,
                DEFAULT_LIMIT,
                MAX_LIMIT,
                "must be a whole number from 1 to 100",
            ),
        );
        let (Some(page), Some(limit)) = (page, limit) else {
            return Err(f.into_error());
        };
        // The storage offset is `(page - 1) * limit`: refuse what cannot fit.
        if (page - 1).checked_mul(limit).is_none() {
            f.fail("page", "is too large");
            return Err(f.into_error());
        }
        PageRequest::new(page, limit).map_err(ApiError::from)
    }
}

fn number(
    raw: Option<String>,
    default: i64,
    max: i64,
    reason: &'static str,
) -> Result<i64, &'static str> {
    match raw {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(reason),
        },
    }
}

/// A handler argument: the checked page of `?page=&limit=`.
#[derive(Debug, Clone, Copy)]
pub struct Paging(pub PageRequest);

impl Paging {
    /// The cache key of this page of a list (`list:{page}:{limit}`).
    pub fn cache_key(&self) -> String {
        format!("list:{}:{}", self.0.page(), self.0.limit())
    }
}

impl std::ops::Deref for Paging {
    type Target = PageRequest;

    fn deref(&self) -> &PageRequest {
        &self.0
    }
}

impl FromRequest for Paging {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = web::Query::<PageQuery>::from_query(req.query_string())
            .map_err(|e| ApiError::validation(serde_json::json!({ "query": e.to_string() })))
            .and_then(|q| q.into_inner().parse())
            .map(Paging);
        ready(parsed)
    }
}

/// `{data, total, page, pageSize, totalPages}` (plus `nextCursor` on keyset
/// lists); `T` is the row as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageResponse<T> {
    pub data: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
    pub total_pages: i64,
    /// Keyset lists only: pass as `cursor` for the rows after this page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for PageResponse<T> {
    fn from(p: Page<T>) -> Self {
        Self {
            data: p.data,
            total: p.total,
            page: p.page,
            page_size: p.page_size,
            total_pages: p.total_pages,
            next_cursor: p.next_cursor,
        }
    }
}

impl<T> PageResponse<T> {
    /// A storage page with each row turned into its API shape.
    pub fn of<R>(page: Page<R>, f: impl FnMut(R) -> T) -> Self {
        page.map(f).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(page: Option<&str>, limit: Option<&str>) -> ApiResult<PageRequest> {
        PageQuery {
            page: page.map(str::to_owned),
            limit: limit.map(str::to_owned),
        }
        .parse()
    }

    #[test]
    fn defaults_bounds_and_overflow() {
        let ok = parse(None, None).unwrap();
        assert_eq!((ok.page(), ok.limit(), ok.offset()), (1, 20, 0));
        assert_eq!(parse(Some("3"), Some("100")).unwrap().offset(), 200);
        for (page, limit) in [
            (Some("0"), None),
            (Some("-1"), None),
            (Some("1e30"), None),
            (Some("99999999999999999999"), None),
            (Some("9223372036854775807"), None),
            (Some("1\0"), None),
            (None, Some("0")),
            (None, Some("101")),
            (None, Some("ten")),
        ] {
            let err = parse(page, limit).unwrap_err();
            assert_eq!(err.code(), "validation_failed", "{page:?} {limit:?}");
        }
        assert!(parse(Some("1000000000"), Some("100")).is_ok());
        assert!(parse(Some("1000000001"), Some("1")).is_err());
    }
}
