//! Query parameters `?page=&limit=` parsed into a validated `PageRequest`
//! (422 when out of range).

use serde::Deserialize;
use storage::pagination::PageRequest;

use crate::error::ApiResult;

#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Page number, 1 or more (default 1).
    pub page: Option<i64>,
    /// Rows per page, 1 to 100 (default 20).
    pub limit: Option<i64>,
}

impl PageQuery {
    pub fn into_request(self) -> ApiResult<PageRequest> {
        Ok(PageRequest::new(
            self.page.unwrap_or(1),
            self.limit.unwrap_or(20),
        )?)
    }
}
