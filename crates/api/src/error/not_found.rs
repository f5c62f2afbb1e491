//! `.or_not_found("agent")`: a query's `NotFound` becomes the 404 naming the
//! resource (the same answer for "does not exist" and "belongs to another
//! organization"); every other error converts as usual.

use super::{ApiError, ApiResult};

pub trait OrNotFound<T> {
    fn or_not_found(self, what: &str) -> ApiResult<T>;
}

impl<T> OrNotFound<T> for Result<T, diesel::result::Error> {
    fn or_not_found(self, what: &str) -> ApiResult<T> {
        self.map_err(|e| match e {
            diesel::result::Error::NotFound => ApiError::not_found(what),
            other => other.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_names_the_resource_and_others_pass_through() {
        let missing: Result<(), _> = Err(diesel::result::Error::NotFound);
        let e = missing.or_not_found("agent").unwrap_err();
        assert_eq!(e.code(), "not_found");
        assert!(e.to_string().contains("agent not found"), "{e}");
        let other: Result<(), _> = Err(diesel::result::Error::BrokenTransactionManager);
        assert_eq!(
            other.or_not_found("agent").unwrap_err().code(),
            "internal_error"
        );
    }
}
