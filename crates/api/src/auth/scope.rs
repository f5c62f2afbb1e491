//! API key scopes: read or write access per resource family, chosen when a
//! key is created and enforced on every request the key makes. A family is
//! a group of routes (`/api/agents...` is `agents`); `write` includes
//! `read`. Sessions carry no scopes: a user acts with their role alone. A
//! key needs both its scope and its role (capped by its creator's role).

use std::fmt;

use crate::error::ApiError;

use super::AuthUser;

/// A resource family and the access asked of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    family: Family,
    write: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Agents,
    Calls,
    Knowledge,
    Providers,
    Webhooks,
    Team,
    Realtime,
}

crate::wire_rule!(
    /// One API-key scope, from `TABLE`.
    ScopeName,
    crate::input::schema::one_of(all_names())
);

/// Every scope a key may hold, in display order (the CHECK constraint of
/// `api_keys.scopes` lists the same names). A key's scopes are a bit set
/// over this table.
const TABLE: [(Family, bool, &str); 12] = [
    (Family::Agents, false, "agents:read"),
    (Family::Agents, true, "agents:write"),
    (Family::Calls, false, "calls:read"),
    (Family::Knowledge, false, "knowledge:read"),
    (Family::Knowledge, true, "knowledge:write"),
    (Family::Providers, false, "providers:read"),
    (Family::Providers, true, "providers:write"),
    (Family::Webhooks, false, "webhooks:read"),
    (Family::Webhooks, true, "webhooks:write"),
    (Family::Team, false, "team:read"),
    (Family::Team, true, "team:write"),
    (Family::Realtime, false, "realtime:read"),
];

/// The names of every scope.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|(_, _, name)| *name)
}

/// A key's scopes as bits of `TABLE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScopeSet(u16);

impl ScopeSet {
    /// The set of stored names; unknown names (from a newer binary) grant
    /// nothing.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Self {
        let bits = names
            .iter()
            .filter_map(|n| TABLE.iter().position(|(_, _, name)| *name == n.as_ref()))
            .fold(0u16, |bits, i| bits | (1 << i));
        Self(bits)
    }

    fn has(self, family: Family, write: bool) -> bool {
        TABLE
            .iter()
            .position(|(f, w, _)| *f == family && *w == write)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }

    /// Whether the set grants `needed`; write includes read.
    pub fn grants(self, needed: Scope) -> bool {
        self.has(needed.family, true) || (!needed.write && self.has(needed.family, false))
    }
}

impl Family {
    fn name(self) -> &'static str {
        match self {
            Self::Agents => "agents",
            Self::Calls => "calls",
            Self::Knowledge => "knowledge",
            Self::Providers => "providers",
            Self::Webhooks => "webhooks",
            Self::Team => "team",
            Self::Realtime => "realtime",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let access = if self.write { "write" } else { "read" };
        write!(f, "{}:{access}", self.family.name())
    }
}

/// What a request asks of an API key's scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    /// Open to any key: the key's own profile, auth and operator routes,
    /// which check their own credentials.
    Nothing,
    Scope(Scope),
    /// A path under `/api` that no family covers: a new route stays closed
    /// to keys until it is given a family.
    Closed,
}

/// The scope the request needs.
pub fn required(method: &actix_web::http::Method, path: &str) -> Needed {
    let Some(rest) = path.strip_prefix("/api/") else {
        return Needed::Closed;
    };
    let first = rest.split('/').next().unwrap_or_default();
    let family = match first {
        "auth" | "admin" | "user" => return Needed::Nothing,
        "webhooks" if rest.starts_with("webhooks/elevenlabs/") => return Needed::Nothing,
        "agents" => Family::Agents,
        "call-logs" | "analytics" => Family::Calls,
        "knowledge-base" | "documents" => Family::Knowledge,
        "integrations" | "providers" => Family::Providers,
        "webhooks" => Family::Webhooks,
        "users" | "invitations" | "audit-logs" | "api-keys" => Family::Team,
        _ => return Needed::Closed,
    };
    // Searching is a read sent as POST (its query does not fit a URL).
    let read = method.is_safe() || rest == "knowledge-base/search";
    Needed::Scope(Scope {
        family,
        write: !read,
    })
}

/// The scope an open WebSocket needs.
pub const REALTIME: Scope = Scope {
    family: Family::Realtime,
    write: false,
};

/// 403 `insufficient_scope` unless the caller may act on `needed`.
pub fn require(user: &AuthUser, needed: Scope) -> Result<(), ApiError> {
    match &user.scopes {
        Some(scopes) if !scopes.grants(needed) => Err(ApiError::forbidden(
            "insufficient_scope",
            format!("this API key lacks the {needed} scope"),
        )
        .with_details(serde_json::json!({ "required": needed.to_string() }))),
        _ => Ok(()),
    }
}

/// Whether the caller may hold the live event stream.
pub fn realtime_allowed(user: &AuthUser) -> bool {
    require(user, REALTIME).is_ok()
}

/// A scope list as given at key creation: known names, no duplicates, at
/// least one. Absent means every scope (the key's role still bounds it).
pub fn parse_list(raw: Option<Vec<String>>) -> Result<Vec<String>, &'static str> {
    let Some(raw) = raw else {
        return Ok(all_names().map(str::to_owned).collect());
    };
    let mut scopes: Vec<String> = Vec::with_capacity(raw.len());
    for scope in raw {
        let scope = scope.trim().to_owned();
        if !all_names().any(|known| known == scope) {
            return Err("names an unknown scope (the scopes are listed in docs/API.md)");
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err("must name at least one scope");
    }
    // Stored in the canonical order, so equal sets compare equal.
    scopes.sort_by_key(|s| all_names().position(|a| a == s));
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::Method;

    #[test]
    fn families_follow_the_route_groups() {
        let need = |m: Method, p: &str| match required(&m, p) {
            Needed::Scope(s) => Some(s.to_string()),
            Needed::Nothing => None,
            Needed::Closed => panic!("{p} is closed"),
        };
        for (method, path, scope) in [
            (Method::GET, "/api/agents", Some("agents:read")),
            (Method::PATCH, "/api/agents/x", Some("agents:write")),
            (
                Method::POST,
                "/api/knowledge-base/search",
                Some("knowledge:read"),
            ),
            (
                Method::POST,
                "/api/documents/upload",
                Some("knowledge:write"),
            ),
            (Method::GET, "/api/analytics/overview", Some("calls:read")),
            (Method::DELETE, "/api/invitations/x", Some("team:write")),
            (Method::POST, "/api/webhooks/elevenlabs/post-call", None),
            (Method::GET, "/api/user/profile", None),
        ] {
            assert_eq!(need(method, path).as_deref(), scope, "{path}");
        }
        assert_eq!(required(&Method::GET, "/api/something-new"), Needed::Closed);
    }

    #[test]
    fn write_includes_read_and_lists_are_checked() {
        let scopes = ScopeSet::from_names(&["agents:write", "from-a-newer-binary"]);
        let scope = |p: &str| match required(&Method::GET, p) {
            Needed::Scope(s) => s,
            other => panic!("{p}: {other:?}"),
        };
        let read = scope("/api/agents");
        let calls = scope("/api/call-logs");
        assert!(scopes.grants(read));
        assert!(!scopes.grants(calls));
        assert!(!ScopeSet::from_names(&["agents:read"]).grants(Scope {
            write: true,
            ..read
        }));
        assert_eq!(parse_list(None).unwrap().len(), TABLE.len());
        assert!(parse_list(Some(vec![])).is_err());
        assert!(parse_list(Some(vec!["agents:admin".into()])).is_err());
        assert_eq!(
            parse_list(Some(vec![
                "team:read".into(),
                "agents:read".into(),
                "agents:read".into()
            ]))
            .unwrap(),
            vec!["agents:read", "team:read"]
        );
    }
}
