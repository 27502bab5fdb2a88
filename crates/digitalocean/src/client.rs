//! The HTTP client (order.md §7.9): one call per method, each with the configured timeout.

use std::fmt;
use std::time::{Duration, Instant};

use platform::config::Secret;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, USER_AGENT};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::config::DigitalOceanSettings;
use crate::error::{ApiError, Error, ErrorKind};
use crate::model::{
    Account, AccountEnvelope, Action, ActionEnvelope, ActionType, CreateDropletRequest,
    CreatedDroplet, CreatedEnvelope, Droplet, DropletEnvelope, DropletList, DropletsEnvelope,
};
use crate::ratelimit::{self, RateLimit};

/// `per_page` of the tag lookup: a tag is unique per order, so one small page is plenty.
const TAG_LOOKUP_PER_PAGE: &str = "20";

/// A successful answer: the typed body, the status and the rate-limit headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    pub value: T,
    pub status: u16,
    pub rate_limit: RateLimit,
}

impl<T> Reply<T> {
    pub fn into_value(self) -> T {
        self.value
    }
}

/// Why a client could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("DigitalOcean base URL {0:?} is not an absolute http(s) URL")]
    BaseUrl(String),
    #[error("the DigitalOcean token is empty or contains characters not allowed in a header")]
    Token,
    #[error("could not build the HTTP client: {0}")]
    Http(String),
}

/// DigitalOcean API v2 over reqwest. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct DigitalOceanClient {
    http: reqwest::Client,
    /// Without `/v2` and without a trailing slash.
    base_url: String,
    /// `Bearer <token>`, marked sensitive so reqwest never prints it.
    authorization: HeaderValue,
    timeout: Duration,
}

// Hand-written so the authorization header is never printed, whatever reqwest does.
impl fmt::Debug for DigitalOceanClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigitalOceanClient")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl DigitalOceanClient {
    /// `base_url` is the API root without `/v2` (`https://api.digitalocean.com` or a simulator);
    /// `timeout` bounds each call from connect to the last byte.
    pub fn new(base_url: &str, token: Secret, timeout: Duration) -> Result<Self, BuildError> {
        let base_url = base_url.trim_end_matches('/').to_string();
        match Url::parse(&base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => return Err(BuildError::BaseUrl(base_url)),
        }
        if token.expose().trim().is_empty() {
            return Err(BuildError::Token);
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| BuildError::Token)?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // DigitalOcean never redirects; following one could carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| BuildError::Http(e.to_string()))?;
        Ok(Self {
            http,
            base_url,
            authorization,
            timeout,
        })
    }

    pub fn from_settings(settings: &DigitalOceanSettings) -> Result<Self, BuildError> {
        Self::new(&settings.base_url, settings.token.clone(), settings.timeout)
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `POST /v2/droplets` → `202`. Not idempotent: after a timeout, connection failure or garbled
    /// answer ([`Error::outcome_unknown`]) look the droplet up by its tag before creating again.
    pub async fn create_droplet(
        &self,
        request: &CreateDropletRequest,
    ) -> Result<Reply<CreatedDroplet>, Error> {
        const OP: &str = "POST /v2/droplets";
        let url = self.url(OP, "/v2/droplets")?;
        let reply = self
            .call::<CreatedEnvelope>(OP, Method::POST, url, Some(request))
            .await?;
        Ok(map(reply, |e| CreatedDroplet {
            droplet: e.droplet,
            actions: e.links.actions,
        }))
    }

    /// `GET /v2/droplets/{id}`; an unknown id is [`ErrorKind::NotFound`].
    pub async fn get_droplet(&self, id: i64) -> Result<Reply<Droplet>, Error> {
        const OP: &str = "GET /v2/droplets/{id}";
        let url = self.url(OP, &format!("/v2/droplets/{id}"))?;
        let reply = self
            .call::<DropletEnvelope>(OP, Method::GET, url, None::<&()>)
            .await?;
        Ok(map(reply, |e| e.droplet))
    }

    /// `GET /v2/droplets?tag_name=<tag>&per_page=20`: the first page of droplets with the tag.
    pub async fn find_droplets_by_tag(&self, tag: &str) -> Result<Reply<DropletList>, Error> {
        const OP: &str = "GET /v2/droplets?tag_name=";
        let mut url = self.url(OP, "/v2/droplets")?;
        url.query_pairs_mut()
            .append_pair("tag_name", tag)
            .append_pair("per_page", TAG_LOOKUP_PER_PAGE);
        let reply = self
            .call::<DropletsEnvelope>(OP, Method::GET, url, None::<&()>)
            .await?;
        Ok(map(reply, |e| DropletList {
            droplets: e.droplets,
            total: e.meta.total,
            next_page: e.links.pages.next,
        }))
    }

    /// `GET /v2/account`: checks the token; the account's droplet limit and status.
    pub async fn account(&self) -> Result<Reply<Account>, Error> {
        const OP: &str = "GET /v2/account";
        let url = self.url(OP, "/v2/account")?;
        let reply = self
            .call::<AccountEnvelope>(OP, Method::GET, url, None::<&()>)
            .await?;
        Ok(map(reply, |e| e.account))
    }

    /// `DELETE /v2/droplets/{id}` → `204` (manual clean-up of abandoned droplets).
    pub async fn delete_droplet(&self, id: i64) -> Result<Reply<()>, Error> {
        const OP: &str = "DELETE /v2/droplets/{id}";
        let url = self.url(OP, &format!("/v2/droplets/{id}"))?;
        let (status, rate_limit, _) = self.send(OP, Method::DELETE, url, None::<&()>).await?;
        Ok(Reply {
            value: (),
            status,
            rate_limit,
        })
    }

    /// `POST /v2/droplets/{id}/actions` → `201` (reserved for the v1.2 instance service). A
    /// conflict with the droplet's state or a running action is [`ErrorKind::Unprocessable`].
    pub async fn droplet_action(
        &self,
        id: i64,
        action: ActionType,
    ) -> Result<Reply<Action>, Error> {
        const OP: &str = "POST /v2/droplets/{id}/actions";
        #[derive(Serialize)]
        struct Body {
            #[serde(rename = "type")]
            kind: ActionType,
        }
        let url = self.url(OP, &format!("/v2/droplets/{id}/actions"))?;
        let reply = self
            .call::<ActionEnvelope>(OP, Method::POST, url, Some(&Body { kind: action }))
            .await?;
        Ok(map(reply, |e| e.action))
    }

    /// `GET /v2/actions/{id}`.
    pub async fn get_action(&self, action_id: i64) -> Result<Reply<Action>, Error> {
        const OP: &str = "GET /v2/actions/{id}";
        let url = self.url(OP, &format!("/v2/actions/{action_id}"))?;
        let reply = self
            .call::<ActionEnvelope>(OP, Method::GET, url, None::<&()>)
            .await?;
        Ok(map(reply, |e| e.action))
    }

    fn url(&self, operation: &'static str, path: &str) -> Result<Url, Error> {
        // The base URL was checked in `new`; a failure here would be a bug in a path above.
        Url::parse(&format!("{}{path}", self.base_url)).map_err(|e| Error {
            operation,
            kind: ErrorKind::Connection(format!("invalid URL: {e}")),
            rate_limit: RateLimit::default(),
        })
    }

    /// Sends and decodes a JSON answer.
    async fn call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<Reply<T>, Error> {
        let (status, rate_limit, bytes) = self.send(operation, method, url, body).await?;
        match serde_json::from_slice::<T>(&bytes) {
            Ok(value) => Ok(Reply {
                value,
                status,
                rate_limit,
            }),
            Err(e) => {
                tracing::warn!(operation, status, error = %e, "DigitalOcean answer is not the expected JSON");
                Err(Error {
                    operation,
                    kind: ErrorKind::MalformedBody {
                        status,
                        detail: e.to_string(),
                    },
                    rate_limit,
                })
            }
        }
    }

    /// Sends one request; a `2xx` yields the status, headers and raw body, anything else the
    /// classified error.
    async fn send(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<(u16, RateLimit, Vec<u8>), Error> {
        let started = Instant::now();
        let mut request = self
            .http
            .request(method, url)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, "webrana-cloud");
        if let Some(body) = body {
            request = request.json(body);
        }
        let no_answer = |kind| Error {
            operation,
            kind,
            rate_limit: RateLimit::default(),
        };
        let response = request
            .send()
            .await
            .map_err(|e| no_answer(transport_error(&e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let rate_limit = RateLimit::from_headers(&headers);
        let bytes = response.bytes().await.map_err(|e| Error {
            operation,
            kind: transport_error(&e),
            rate_limit,
        })?;
        tracing::debug!(
            operation,
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            ratelimit_remaining = rate_limit.remaining,
            "DigitalOcean call"
        );
        if (200..300).contains(&status) {
            return Ok((status, rate_limit, bytes.to_vec()));
        }
        let api = ApiError::from_body(status, &bytes);
        let now = OffsetDateTime::now_utc();
        let wait = ratelimit::wait_after_429(
            ratelimit::retry_after(&headers, now),
            &rate_limit,
            now.unix_timestamp(),
        );
        let error = Error {
            operation,
            kind: ErrorKind::from_status(status, api, wait),
            rate_limit,
        };
        if error.is_auth_rejected() {
            tracing::error!(
                operation,
                status,
                provider_id = error.api_error().map(|e| e.id.as_str()),
                "DigitalOcean rejected the API token; check DIGITALOCEAN_API_TOKEN"
            );
        }
        Err(error)
    }
}

fn map<A, B>(reply: Reply<A>, f: impl FnOnce(A) -> B) -> Reply<B> {
    Reply {
        value: f(reply.value),
        status: reply.status,
        rate_limit: reply.rate_limit,
    }
}

/// No answer: a timeout, or a connection problem described by its causes. reqwest's messages
/// carry the URL (never the token, which travels in a header).
fn transport_error(e: &reqwest::Error) -> ErrorKind {
    if e.is_timeout() {
        return ErrorKind::Timeout;
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    ErrorKind::Connection(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_base_urls_and_tokens() {
        let t = || Secret::new("token");
        let timeout = Duration::from_secs(1);
        assert!(matches!(
            DigitalOceanClient::new("api.digitalocean.com", t(), timeout),
            Err(BuildError::BaseUrl(_))
        ));
        assert!(matches!(
            DigitalOceanClient::new("ftp://example.com", t(), timeout),
            Err(BuildError::BaseUrl(_))
        ));
        assert!(matches!(
            DigitalOceanClient::new("http://x", Secret::new("a\nb"), timeout),
            Err(BuildError::Token)
        ));
        assert!(matches!(
            DigitalOceanClient::new("http://x", Secret::new(" "), timeout),
            Err(BuildError::Token)
        ));
    }

    #[test]
    fn debug_output_never_contains_the_token() {
        let client = DigitalOceanClient::new(
            "https://api.digitalocean.com/",
            Secret::new("dop_v1_topsecret"),
            Duration::from_secs(30),
        )
        .expect("valid client");
        let shown = format!("{client:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
        assert_eq!(client.base_url(), "https://api.digitalocean.com");
    }
}
