//! Login throttling: failed attempts are counted per account and per client
//! address in Redis (`ratelimit:login_account:*`, `ratelimit:login_ip:*`);
//! past either limit the next attempt answers 429 before any password is
//! checked. Successful logins do not count, and clear the account's count.
//! Redis being down lets logins through (the limiter fails open).

use std::time::Duration;

use storage::RedisPool;
use storage::rate_limit::{self, Limit, Outcome};

use crate::config::ServerConfig;
use crate::error::{ApiError, ApiResult};

const ACCOUNT_SCOPE: &str = "login_account";
const IP_SCOPE: &str = "login_ip";

pub struct LoginThrottle<'a> {
    redis: &'a RedisPool,
    /// A digest of the address, so Redis keys do not list customers' e-mails.
    account: String,
    ip: Option<String>,
    account_limit: Limit,
    ip_limit: Limit,
}

impl<'a> LoginThrottle<'a> {
    pub fn new(redis: &'a RedisPool, config: &ServerConfig, email: &str, ip: Option<&str>) -> Self {
        let window = Duration::from_secs(config.login_window_secs);
        let digest = storage::crypto::token_digest(&email.trim().to_lowercase());
        Self {
            redis,
            account: hex::encode(&digest[..16]),
            ip: ip.map(str::to_owned),
            account_limit: Limit::new(config.login_max_failures, window),
            ip_limit: Limit::new(config.login_max_failures_per_ip, window),
        }
    }

    /// 429 with Retry-After when the account or the address is locked out.
    pub async fn check(&self) -> ApiResult<()> {
        let account =
            rate_limit::peek(self.redis, ACCOUNT_SCOPE, &self.account, self.account_limit);
        let ip = async {
            match &self.ip {
                Some(ip) => rate_limit::peek(self.redis, IP_SCOPE, ip, self.ip_limit).await,
                None => Outcome::Allowed {
                    count: 0,
                    remaining: u64::MAX,
                },
            }
        };
        let (account, ip) = tokio::join!(account, ip);
        let retry = account
            .retry_after_secs()
            .into_iter()
            .chain(ip.retry_after_secs())
            .max();
        match retry {
            Some(secs) => {
                tracing::info!(
                    throttle.account = account.is_limited(),
                    throttle.ip = ip.is_limited(),
                    "login throttled"
                );
                Err(ApiError::too_many_requests(secs))
            }
            None => Ok(()),
        }
    }

    pub async fn record_failure(&self) {
        let account = rate_limit::hit(self.redis, ACCOUNT_SCOPE, &self.account, self.account_limit);
        let ip = async {
            if let Some(ip) = &self.ip {
                rate_limit::hit(self.redis, IP_SCOPE, ip, self.ip_limit).await;
            }
        };
        let _ = tokio::join!(account, ip);
    }

    pub async fn record_success(&self) {
        rate_limit::reset(self.redis, ACCOUNT_SCOPE, &self.account).await;
    }
}
