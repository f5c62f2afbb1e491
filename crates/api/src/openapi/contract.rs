//! What every operation shares, stated once in the document: the shared
//! extractors answer 401 on every authenticated route and 400/413/415/422 on
//! every JSON body, a malformed page or filter is a 422, every response is
//! described, the routes that take no bearer token say `security: []` and
//! every other route says it takes one.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response, ResponseBuilder};

use crate::error::ApiErrorBody;

/// Paths that take no bearer token: probes, sign-up and sign-in, links from
/// mails, and the inbound webhook (HMAC-signed instead). A test checks each
/// against the running server.
pub const PUBLIC: &[&str] = &[
    "/health",
    "/health/live",
    "/health/ready",
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/forgot-password",
    "/api/auth/reset-password",
    "/api/auth/accept-invite",
    "/api/webhooks/elevenlabs/post-call",
    "/api/webhooks/elevenlabs/{organization_id}/post-call",
];

/// The sentence of a status no handler described itself.
fn reason(status: &str) -> &'static str {
    match status {
        "101" => "switching protocols",
        "200" => "OK",
        "201" => "created",
        "202" => "accepted: queued for a worker",
        "204" => "done; no content",
        "400" => "malformed request (`malformed_json`, `bad_request`, ...)",
        "401" => "missing, unknown, expired or revoked credentials (`unauthorized`)",
        "403" => {
            "the caller's role or key scopes do not allow this (`forbidden`, `insufficient_scope`)"
        }
        "404" => "no such resource in the caller's organization (`not_found`)",
        "409" => "conflicts with the current state (`already_exists`, ...)",
        "413" => "body over the limit (`payload_too_large`)",
        "415" => "wrong content type (`unsupported_media_type`)",
        "422" => "invalid fields, named in `details.fields` (`validation_failed`)",
        "429" => "rate limited; `Retry-After` says when (`rate_limited`)",
        "503" => "a dependency is unavailable (`service_unavailable`)",
        _ => "see the error code",
    }
}

fn error_response(status: &str) -> Response {
    ResponseBuilder::new()
        .description(reason(status))
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(Ref::from_schema_name("ApiErrorBody")))),
        )
        .build()
}

pub struct Contract;

impl utoipa::Modify for Contract {
    fn modify(&self, doc: &mut OpenApi) {
        let mut ids = std::collections::HashMap::<String, usize>::new();
        for item in doc.paths.paths.values_mut() {
            for op in operations(item) {
                *ids.entry(op.operation_id.clone().unwrap_or_default())
                    .or_default() += 1;
            }
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            let public = PUBLIC.contains(&path.as_str());
            for op in operations(item) {
                complete(op, public);
                unique_id(op, &ids);
            }
        }
        let components = doc.components.get_or_insert_with(Default::default);
        components.schemas.insert(
            "ApiErrorBody".into(),
            <ApiErrorBody as utoipa::PartialSchema>::schema(),
        );
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Handlers of different resources share names (`list`, `create`): a
/// shared one is prefixed with the operation's tag (`call_logs_list`), so
/// every operationId is unique as the specification requires.
fn unique_id(op: &mut Operation, counts: &std::collections::HashMap<String, usize>) {
    let Some(id) = op.operation_id.clone() else {
        return;
    };
    if counts.get(&id).copied().unwrap_or(0) > 1 {
        let tag = op
            .tags
            .as_ref()
            .and_then(|t| t.first())
            .cloned()
            .unwrap_or_default();
        op.operation_id = Some(format!("{}_{id}", tag.replace('-', "_")));
    }
}

fn complete(op: &mut Operation, public: bool) {
    let mut add = |status: &str| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(error_response(status)));
    };
    let takes_body = matches!(&op.request_body, Some(RefOr::T(b))
        if b.content.contains_key("application/json") || b.content.contains_key("multipart/form-data"));
    let queried = op.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)))
    });
    if !public {
        add("401");
    }
    if takes_body {
        for status in ["400", "413", "415", "422"] {
            add(status);
        }
    }
    if queried {
        add("422");
    }
    for (status, response) in op.responses.responses.iter_mut() {
        if let RefOr::T(response) = response
            && response.description.is_empty()
        {
            response.description = reason(status).to_owned();
        }
    }
    // Every operation states its security itself, so a reader of one
    // operation (or a generator that ignores the document's default) sees it.
    op.security = Some(if public {
        Vec::new()
    } else {
        vec![SecurityRequirement::new("bearer", Vec::<String>::new())]
    });
}
