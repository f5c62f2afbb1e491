//! An API key is bound to a live creator: it works only while the user who
//! made it is an active member of the key's organization, and acts with at
//! most that user's current role. Removing the creator (or suspending them)
//! stops the key; demoting them demotes it.

use storage::models::api_keys::ApiKey;
use storage::models::users::User;

use super::principal::Role;

/// The role a key acts with now, `None` when it must not work at all.
pub fn effective_role(key: &ApiKey, creator: Option<&User>) -> Option<Role> {
    let creator = creator?;
    if creator.status != "active" || creator.organization_id != key.organization_id {
        return None;
    }
    let creator_role = Role::parse(&creator.role)?;
    Some(Role::parse(&key.role)?.at_most(creator_role))
}
