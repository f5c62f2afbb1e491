//! Who is calling: the bearer token of a request resolved to a user (session
//! tokens `esx_...`) or to an organization's API key (`esk_...`), with the
//! role every route checks. The organization always comes from here, never
//! from the request.

pub mod principal;
pub mod resolve;

pub use principal::{AuthUser, Role};
