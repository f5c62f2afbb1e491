//! Who is calling: the bearer token of a request resolved to a user (session
//! tokens `esx_...`) or to an organization's API key (`esk_...`), with the
//! role every route checks. The organization always comes from here, never
//! from the request. Also the credential types, session issuing and the
//! login throttle that the auth routes build on.

mod extract;
pub mod input;
pub mod key_binding;
pub mod live;
pub mod principal;
pub mod resolve;
pub mod scope;
pub mod scope_guard;
pub mod secret;
pub mod session;
pub mod throttle;

pub use principal::{AuthUser, Role};
