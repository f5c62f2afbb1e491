//! Where a provider's connection test goes: a per-provider default base URL
//! (overridable by `config.baseUrl`), a cheap authenticated GET, and the
//! header that carries the key. Unknown providers are taken as
//! OpenAI-compatible and need `config.baseUrl`.

use reqwest::Url;
use serde_json::Value;

/// How the API key travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `xi-api-key: <key>` (ElevenLabs).
    XiApiKey,
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `Authorization: Token <key>` (Deepgram).
    Token,
    /// `x-api-key: <key>` plus `anthropic-version` (Anthropic).
    Anthropic,
}

/// The request a connection test makes.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: Url,
    pub auth: AuthScheme,
}

struct Known {
    name: &'static str,
    base: &'static str,
    path: &'static str,
    auth: AuthScheme,
}

/// Providers we know by name. `elevenlabs` takes its base from the server
/// configuration instead (`ELEVENLABS_BASE_URL`).
const KNOWN: &[Known] = &[
    Known {
        name: "elevenlabs",
        base: "",
        path: "/v1/user",
        auth: AuthScheme::XiApiKey,
    },
    Known {
        name: "openai",
        base: "https://api.openai.com",
        path: "/v1/models",
        auth: AuthScheme::Bearer,
    },
    Known {
        name: "deepgram",
        base: "https://api.deepgram.com",
        path: "/v1/projects",
        auth: AuthScheme::Token,
    },
    Known {
        name: "anthropic",
        base: "https://api.anthropic.com",
        path: "/v1/models",
        auth: AuthScheme::Anthropic,
    },
    Known {
        name: "mistral",
        base: "https://api.mistral.ai",
        path: "/v1/models",
        auth: AuthScheme::Bearer,
    },
    Known {
        name: "groq",
        base: "https://api.groq.com/openai",
        path: "/v1/models",
        auth: AuthScheme::Bearer,
    },
];

/// Voice platforms of `integrations` other than ElevenLabs.
const PLATFORMS: &[Known] = &[
    Known {
        name: "vapi",
        base: "https://api.vapi.ai",
        path: "/assistant",
        auth: AuthScheme::Bearer,
    },
    Known {
        name: "retell",
        base: "https://api.retellai.com",
        path: "/list-agents",
        auth: AuthScheme::Bearer,
    },
];

pub fn is_known_provider(name: &str) -> bool {
    KNOWN.iter().any(|k| k.name == name)
}

/// `config.baseUrl` when present: an absolute http(s) URL without a query.
pub fn base_url_override(config: &Value) -> Result<Option<Url>, &'static str> {
    match config.get("baseUrl") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_base_url(s).map(Some),
        Some(_) => Err("must be a string"),
    }
}

pub fn parse_base_url(text: &str) -> Result<Url, &'static str> {
    let url = Url::parse(text.trim()).map_err(|_| "must be an absolute http(s) URL")?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("must be an absolute http(s) URL");
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err("must not carry a query, fragment or credentials");
    }
    Ok(url)
}

fn join(base: &Url, path: &str) -> Result<Url, &'static str> {
    let joined = format!("{}{}", base.as_str().trim_end_matches('/'), path);
    Url::parse(&joined).map_err(|_| "must be an absolute http(s) URL")
}

/// The test request of a TTS/STT/LLM provider. Errors name what is missing
/// from `config` (checked when the provider is saved, so a test never fails
/// for want of a URL).
pub fn provider_endpoint(
    name: &str,
    config: &Value,
    elevenlabs_base: &str,
) -> Result<Endpoint, &'static str> {
    let over = base_url_override(config)?;
    match KNOWN.iter().find(|k| k.name == name) {
        Some(known) => {
            let default = if known.name == "elevenlabs" {
                elevenlabs_base
            } else {
                known.base
            };
            let base = match over {
                Some(url) => url,
                None => parse_base_url(default)?,
            };
            Ok(Endpoint {
                url: join(&base, known.path)?,
                auth: known.auth,
            })
        }
        None => {
            let base = over.ok_or("is required for a provider we do not know by name")?;
            Ok(Endpoint {
                url: join(&base, "/v1/models")?,
                auth: AuthScheme::Bearer,
            })
        }
    }
}

/// The test request of a voice-platform integration. ElevenLabs always goes
/// to the operator's `ELEVENLABS_BASE_URL`; other platforms accept
/// `config.baseUrl`.
pub fn integration_endpoint(
    provider: &str,
    config: &Value,
    elevenlabs_base: &str,
) -> Result<Endpoint, &'static str> {
    if provider == "elevenlabs" {
        let base = parse_base_url(elevenlabs_base)?;
        return Ok(Endpoint {
            url: join(&base, "/v1/user")?,
            auth: AuthScheme::XiApiKey,
        });
    }
    let known = PLATFORMS
        .iter()
        .find(|k| k.name == provider)
        .ok_or("unknown provider")?;
    let base = match base_url_override(config)? {
        Some(url) => url,
        None => parse_base_url(known.base)?,
    };
    Ok(Endpoint {
        url: join(&base, known.path)?,
        auth: known.auth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The URL a provider is probed at, with this config.
    fn url(name: &str, config: serde_json::Value) -> String {
        provider_endpoint(name, &config, "http://x")
            .unwrap()
            .url
            .to_string()
    }

    #[test]
    fn known_providers_use_defaults_or_the_override() {
        let e = provider_endpoint("openai", &json!({}), "http://x").unwrap();
        assert_eq!(e.url.as_str(), "https://api.openai.com/v1/models");
        assert_eq!(e.auth, AuthScheme::Bearer);
        let deepgram = url("deepgram", json!({"baseUrl": "http://127.0.0.1:9/"}));
        assert_eq!(deepgram, "http://127.0.0.1:9/v1/projects");
        let e = provider_endpoint("elevenlabs", &json!({}), "http://127.0.0.1:7").unwrap();
        assert_eq!(e.url.as_str(), "http://127.0.0.1:7/v1/user");
        assert_eq!(e.auth, AuthScheme::XiApiKey);
    }

    #[test]
    fn unknown_providers_need_a_base_url_and_bad_urls_are_refused() {
        assert!(provider_endpoint("acme", &json!({}), "http://x").is_err());
        let acme = url("acme", json!({"baseUrl": "https://llm.acme.test/api"}));
        assert_eq!(acme, "https://llm.acme.test/api/v1/models");
        assert!(provider_endpoint("openai", &json!({"baseUrl": "ftp://x"}), "http://x").is_err());
        assert!(provider_endpoint("openai", &json!({"baseUrl": 5}), "http://x").is_err());
        assert!(
            provider_endpoint("openai", &json!({"baseUrl": "http://u:p@h"}), "http://x").is_err()
        );
    }
}
