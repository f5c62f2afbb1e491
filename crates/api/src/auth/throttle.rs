//! Login throttling: attempts are counted per account and per client address
//! in Redis (`ratelimit:login_account:*`, `ratelimit:login_ip:*`). An
//! attempt first reserves a slot in both counters (one atomic INCR each);
//! past either limit it answers 429 before any password is checked, so
//! parallel guesses cannot all slip in between a check and a count. A
//! successful login gives its reservations back (and clears the account's
//! count); a failed one keeps them. Redis being down lets logins through
//! (the limiter fails open).

use std::time::Duration;

use kv::RedisPool;
use kv::rate_limit::{self, Limit, Outcome};

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

/// Slots held by one attempt, until it is known whether the attempt failed.
#[must_use = "an attempt ends as a success or a failure"]
pub struct Reservation<'t, 'a> {
    throttle: &'t LoginThrottle<'a>,
}

impl<'a> LoginThrottle<'a> {
    pub fn new(redis: &'a RedisPool, config: &ServerConfig, email: &str, ip: Option<&str>) -> Self {
        let window = Duration::from_secs(config.login_window_secs);
        let digest = crypto::token_digest(&email.trim().to_lowercase());
        Self {
            redis,
            account: hex::encode(&digest[..16]),
            ip: ip.map(str::to_owned),
            account_limit: Limit::new(config.login_max_failures, window),
            ip_limit: Limit::new(config.login_max_failures_per_ip, window),
        }
    }

    /// Counts the attempt before it is made; 429 with Retry-After when the
    /// account or the address is already at its limit (then the attempt is
    /// not counted against the other one).
    pub async fn reserve(&self) -> ApiResult<Reservation<'_, 'a>> {
        let account = rate_limit::hit(self.redis, ACCOUNT_SCOPE, &self.account, self.account_limit);
        let ip = async {
            match &self.ip {
                Some(ip) => Some(rate_limit::hit(self.redis, IP_SCOPE, ip, self.ip_limit).await),
                None => None,
            }
        };
        let (account, ip) = tokio::join!(account, ip);
        let ip_outcome = ip.unwrap_or(Outcome::Unavailable);
        let retry = account
            .retry_after_secs()
            .into_iter()
            .chain(ip_outcome.retry_after_secs())
            .max();
        let Some(secs) = retry else {
            return Ok(Reservation { throttle: self });
        };
        tracing::info!(
            throttle.account = account.is_limited(),
            throttle.ip = ip_outcome.is_limited(),
            "login throttled"
        );
        // The refused attempt never ran: give back what the other limit counted.
        if !account.is_limited() {
            rate_limit::release(self.redis, ACCOUNT_SCOPE, &self.account).await;
        }
        if let (Some(ip), false) = (&self.ip, ip_outcome.is_limited()) {
            rate_limit::release(self.redis, IP_SCOPE, ip).await;
        }
        Err(ApiError::too_many_requests(secs))
    }
}

impl Reservation<'_, '_> {
    /// A wrong password or unknown account: the slots stay taken.
    pub fn failed(self) {}

    /// The attempt could not be judged (a dependency failed): both slots are
    /// given back.
    pub async fn abandoned(self) {
        let t = self.throttle;
        let account = rate_limit::release(t.redis, ACCOUNT_SCOPE, &t.account);
        let _ = tokio::join!(account, self.release_ip());
    }

    /// A good password: the address's slot is given back and the account's
    /// failures are forgotten.
    pub async fn succeeded(self) {
        let t = self.throttle;
        let account = rate_limit::reset(t.redis, ACCOUNT_SCOPE, &t.account);
        let _ = tokio::join!(account, self.release_ip());
    }

    /// The client address's slot back (a failure alone keeps it).
    async fn release_ip(&self) {
        if let Some(ip) = &self.throttle.ip {
            rate_limit::release(self.throttle.redis, IP_SCOPE, ip).await;
        }
    }
}
