//! Plain text: decoded, nothing else to do.

use crate::ExtractError;

pub(crate) fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    Ok(super::text::decode(bytes)?.into_owned())
}
