//! Which methods the document gives a request path: what the 405 answers
//! name in `Allow`, so they cannot drift from the routes.

use utoipa::openapi::{OpenApi, PathItem};

pub struct Methods<'d> {
    doc: &'d OpenApi,
}

impl<'d> Methods<'d> {
    pub fn new(doc: &'d OpenApi) -> Self {
        Self { doc }
    }

    /// The methods of the first document path `path` matches, upper-case,
    /// or `None` for a path it does not have.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let (_, item) = self
            .doc
            .paths
            .paths
            .iter()
            .find(|(template, _)| matches(template, path))?;
        Some(methods_of(item))
    }

    /// The methods of a document path without parameters equal to `path`.
    pub fn literal(&self, path: &str) -> Option<Vec<String>> {
        let item = self.doc.paths.paths.get(path.trim_end_matches('/'))?;
        Some(methods_of(item))
    }
}

fn methods_of(item: &PathItem) -> Vec<String> {
    let value = serde_json::to_value(item).unwrap_or_default();
    value
        .as_object()
        .map(|o| {
            o.keys()
                .filter(|k| {
                    k.parse::<actix_web::http::Method>().is_ok() && k.as_str() != "parameters"
                })
                .map(|k| k.to_uppercase())
                .collect()
        })
        .unwrap_or_default()
}

/// `/api/agents/{id}` matches `/api/agents/123`: a `{name}` stands for one
/// non-empty segment.
fn matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.trim_end_matches('/').split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') && !ps.is_empty() => {}
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn templates_match_one_segment_per_parameter() {
        assert!(matches("/api/agents/{id}", "/api/agents/1"));
        assert!(matches("/api/agents", "/api/agents/"));
        assert!(!matches("/api/agents/{id}", "/api/agents"));
        assert!(!matches("/api/agents/{id}", "/api/agents/1/x"));
        assert!(!matches("/api/agents", "/api/agentsx"));
    }
}
