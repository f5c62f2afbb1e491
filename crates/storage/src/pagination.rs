//! Offset pages for lists: a validated `(page, limit)` and the page envelope
//! every list answers with.

use serde::Serialize;

pub const MAX_LIMIT: i64 = 100;

/// A validated page request: `page >= 1`, `1 <= limit <= 100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: i64,
    limit: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    #[error("page must be 1 or more")]
    Page,
    #[error("limit must be between 1 and 100")]
    Limit,
}

impl PageRequest {
    pub fn new(page: i64, limit: i64) -> Result<Self, PageError> {
        if page < 1 {
            return Err(PageError::Page);
        }
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(PageError::Limit);
        }
        Ok(Self { page, limit })
    }

    pub fn page(&self) -> i64 {
        self.page
    }

    pub fn limit(&self) -> i64 {
        self.limit
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.limit
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, limit: 20 }
    }
}

/// `{data, total, page, pageSize, totalPages}` (plus `nextCursor` for keyset
/// pages).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub data: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
    pub total_pages: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn new(data: Vec<T>, total: i64, request: PageRequest) -> Self {
        Self {
            data,
            total,
            page: request.page,
            page_size: request.limit,
            total_pages: (total + request.limit - 1) / request.limit,
            next_cursor: None,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            page_size: self.page_size,
            total_pages: self.total_pages,
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_enforced() {
        assert_eq!(PageRequest::new(0, 10), Err(PageError::Page));
        assert_eq!(PageRequest::new(1, 0), Err(PageError::Limit));
        assert_eq!(PageRequest::new(1, 101), Err(PageError::Limit));
        let ok = PageRequest::new(3, 20).unwrap();
        assert_eq!(ok.offset(), 40);
        let page = Page::new(vec![1, 2], 41, ok);
        assert_eq!(page.total_pages, 3);
    }
}
