//! Who is calling (platform.md §3): JWT access tokens with the algorithm pinned, the internal
//! API key compared in constant time, roles, and the admin-or-key rule of §3.4.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use crate::config::{JwtAlgorithm, JwtSettings, Secret};
use crate::crypto::secrets_equal;
use crate::error::AppError;
use crate::http::RequestContext;

/// Clock leeway for `exp`, `nbf` and a future `iat` (platform.md §3.1).
pub const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "user_role", rename_all = "snake_case")]
pub enum Role {
    Customer,
    Admin,
    SuperAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
            Role::SuperAdmin => "super_admin",
        }
    }

    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin | Role::SuperAdmin)
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "customer" => Some(Role::Customer),
            "admin" => Some(Role::Admin),
            "super_admin" => Some(Role::SuperAdmin),
            _ => None,
        }
    }
}

/// The access-token claims auth issues, exactly these (platform.md §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub email: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub token_type: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl Claims {
    /// Platform §3.1 "verified account": a `status` claim other than `ACTIVE` is refused; a token
    /// without the claim is accepted.
    pub fn require_verified(&self) -> Result<(), AppError> {
        match self.status.as_deref() {
            None | Some("ACTIVE") => Ok(()),
            Some(_) => Err(AppError::email_not_verified()),
        }
    }
}

/// Why a token was refused; the `details.reason` of the 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
}

impl TokenError {
    pub fn reason(self) -> &'static str {
        match self {
            TokenError::Invalid => "TOKEN_INVALID",
            TokenError::Expired => "TOKEN_EXPIRED",
        }
    }
}

/// Verifies access tokens with the one configured algorithm.
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("algorithms", &self.validation.algorithms)
            .finish()
    }
}

impl JwtVerifier {
    pub fn new(settings: &JwtSettings) -> anyhow::Result<Self> {
        let (algorithm, key) = match settings.algorithm {
            JwtAlgorithm::Rs256 => {
                let pem = settings
                    .public_key_pem
                    .as_deref()
                    .ok_or_else(|| anyhow::anyhow!("JWT_PUBLIC_KEY is required with RS256"))?;
                (Algorithm::RS256, DecodingKey::from_rsa_pem(pem.as_bytes())?)
            }
            JwtAlgorithm::Hs256 => {
                let secret = settings
                    .secret
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("JWT_SECRET is required with HS256"))?;
                (
                    Algorithm::HS256,
                    DecodingKey::from_secret(secret.expose().as_bytes()),
                )
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
        Ok(Self { key, validation })
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(
            |e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            },
        )?;
        let claims = data.claims;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let sub_ok = !claims.sub.is_empty() && claims.sub.chars().count() <= 128;
        if claims.token_type != "access"
            || !sub_ok
            || claims.email.is_empty()
            || claims.iat > now + LEEWAY_SECONDS as i64
        {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

/// Signs access tokens; only auth-service holds a signing key in production, tests use it to mint
/// tokens for every service.
#[derive(Clone)]
pub struct TokenSigner {
    header: Header,
    key: EncodingKey,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("alg", &self.header.alg)
            .finish()
    }
}

impl TokenSigner {
    pub fn rs256(private_key_pem: &str) -> anyhow::Result<Self> {
        Ok(Self {
            header: Header::new(Algorithm::RS256),
            key: EncodingKey::from_rsa_pem(private_key_pem.as_bytes())?,
        })
    }

    pub fn hs256(secret: &[u8]) -> Self {
        Self {
            header: Header::new(Algorithm::HS256),
            key: EncodingKey::from_secret(secret),
        }
    }

    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(&self.header, claims, &self.key)?)
    }
}

/// Everything a service needs to authenticate callers, shared through its state.
#[derive(Debug)]
pub struct Security {
    pub jwt: JwtVerifier,
    api_key: Secret,
}

impl Security {
    pub fn new(jwt: &JwtSettings, internal_api_key: Secret) -> anyhow::Result<Self> {
        Ok(Self {
            jwt: JwtVerifier::new(jwt)?,
            api_key: internal_api_key,
        })
    }

    pub fn api_key_matches(&self, presented: &str) -> bool {
        secrets_equal(presented.as_bytes(), self.api_key.expose().as_bytes())
    }
}

/// The bearer token of a request: `Ok(None)` when there is no `Authorization` header.
pub fn bearer_token(parts: &Parts) -> Result<Option<&str>, TokenError> {
    let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| TokenError::Invalid)?;
    let (scheme, token) = value.split_once(' ').ok_or(TokenError::Invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(TokenError::Invalid);
    }
    Ok(Some(token))
}

fn token_rejection(err: TokenError) -> AppError {
    AppError::unauthorized_with_message(err.reason(), "Token akses tidak valid atau kedaluwarsa")
}

fn token_missing() -> AppError {
    AppError::unauthorized_with_message("TOKEN_MISSING", "Token akses wajib disertakan")
}

/// Checks `X-API-Key`: `Ok(None)` when absent, `Ok(Some(()))` when valid.
fn api_key(parts: &Parts, security: &Security) -> Result<Option<()>, AppError> {
    let Some(value) = parts.headers.get("x-api-key") else {
        return Ok(None);
    };
    let ok = value
        .to_str()
        .map(|v| security.api_key_matches(v))
        .unwrap_or(false);
    if ok {
        Ok(Some(()))
    } else {
        Err(AppError::unauthorized("API_KEY_INVALID"))
    }
}

fn service_identity(parts: &Parts) -> String {
    match parts
        .headers
        .get("x-service-name")
        .and_then(|v| v.to_str().ok())
    {
        Some(name) if is_safe_name(name) => format!("service:{name}"),
        _ => "internal".to_string(),
    }
}

fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

fn record_actor(parts: &Parts, identity: &str) {
    if let Some(ctx) = parts.extensions.get::<RequestContext>() {
        ctx.set_actor(identity);
    }
}

fn verify_bearer(parts: &Parts, security: &Security) -> Result<Option<Claims>, AppError> {
    match bearer_token(parts).map_err(token_rejection)? {
        None => Ok(None),
        Some(token) => security
            .jwt
            .verify(token)
            .map(Some)
            .map_err(token_rejection),
    }
}

/// A user route's caller: a valid access token (any role, any account status).
#[derive(Debug, Clone)]
pub struct AuthUser(pub Claims);

impl<S> FromRequestParts<S> for AuthUser
where
    S: Send + Sync,
    Arc<Security>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let security = Arc::<Security>::from_ref(state);
        let claims = verify_bearer(parts, &security)?.ok_or_else(token_missing)?;
        record_actor(parts, &format!("user:{}", claims.sub));
        Ok(AuthUser(claims))
    }
}

/// A service route's caller: the API key and nothing else (platform.md §3.4).
#[derive(Debug, Clone)]
pub struct ServiceCaller {
    /// `service:{X-Service-Name}` or `internal`.
    pub identity: String,
}

impl<S> FromRequestParts<S> for ServiceCaller
where
    S: Send + Sync,
    Arc<Security>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let security = Arc::<Security>::from_ref(state);
        api_key(parts, &security)?.ok_or_else(|| AppError::unauthorized("API_KEY_MISSING"))?;
        let identity = service_identity(parts);
        record_actor(parts, &identity);
        Ok(ServiceCaller { identity })
    }
}

/// An admin route's caller (platform.md §3.4): every presented credential valid, any token an
/// admin's, at least one credential. The key alone acts with `admin` powers, never `super_admin`.
#[derive(Debug, Clone)]
pub struct AdminCaller {
    /// Audit identity: `admin:{sub}`, `service:{name}` or `internal`.
    pub identity: String,
    /// The admin's user id when a token was presented.
    pub sub: Option<String>,
    /// The powers the caller acts with.
    pub role: Role,
}

impl<S> FromRequestParts<S> for AdminCaller
where
    S: Send + Sync,
    Arc<Security>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let credentials = Credentials::from_request_parts(parts, state).await?;
        let caller = match (credentials.api_key, credentials.claims) {
            (_, Some(claims)) if !claims.role.is_admin() => {
                return Err(access_denied("ADMIN_ROLE_REQUIRED"));
            }
            // An admin whose account is not active (a `status` claim other than ACTIVE) keeps no
            // back-office powers (catalog.md §2).
            (_, Some(claims)) if claims.require_verified().is_err() => {
                return Err(access_denied("ACCOUNT_NOT_ACTIVE"));
            }
            (_, Some(claims)) => AdminCaller {
                identity: format!("admin:{}", claims.sub),
                sub: Some(claims.sub),
                role: claims.role,
            },
            (true, None) => AdminCaller {
                identity: credentials.identity,
                sub: None,
                role: Role::Admin,
            },
            (false, None) => return Err(AppError::unauthorized("API_KEY_MISSING")),
        };
        record_actor(parts, &caller.identity);
        Ok(caller)
    }
}

fn access_denied(reason: &'static str) -> AppError {
    AppError::new(
        axum::http::StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "Akses ditolak",
    )
    .with_details(serde_json::json!({ "reason": reason }))
}

/// Whatever credentials a request presents, each one verified: a wrong key or a bad token is a
/// 401, never silently ignored; presenting none is allowed (routes decide what they require).
#[derive(Debug, Clone)]
pub struct Credentials {
    /// A valid `X-API-Key` was presented.
    pub api_key: bool,
    /// The verified bearer token's claims.
    pub claims: Option<Claims>,
    /// The audit identity of platform.md §3.4: `user:{sub}`/`admin:{sub}` for a token, else
    /// `service:{name}` or `internal` for the key, `anonymous` for nothing.
    pub identity: String,
}

impl<S> FromRequestParts<S> for Credentials
where
    S: Send + Sync,
    Arc<Security>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let security = Arc::<Security>::from_ref(state);
        let api_key = api_key(parts, &security)?.is_some();
        let claims = verify_bearer(parts, &security)?;
        let identity = match (&claims, api_key) {
            (Some(c), _) if c.role.is_admin() => format!("admin:{}", c.sub),
            (Some(c), _) => format!("user:{}", c.sub),
            (None, true) => service_identity(parts),
            (None, false) => "anonymous".to_string(),
        };
        if claims.is_some() || api_key {
            record_actor(parts, &identity);
        }
        Ok(Credentials {
            api_key,
            claims,
            identity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::JwtAlgorithm;

    fn hs_settings() -> JwtSettings {
        JwtSettings {
            algorithm: JwtAlgorithm::Hs256,
            public_key_pem: None,
            secret: Some(Secret::new("x".repeat(32))),
            issuer: "webrana-cloud".into(),
        }
    }

    fn claims(now: i64) -> Claims {
        Claims {
            sub: "e1000000-0000-4000-8000-000000000003".into(),
            email: "customer@webrana.cloud".into(),
            role: Role::Customer,
            status: Some("ACTIVE".into()),
            token_type: "access".into(),
            iss: "webrana-cloud".into(),
            iat: now,
            exp: now + 900,
            nbf: None,
            jti: None,
        }
    }

    fn now() -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }

    #[test]
    fn accepts_a_good_token_and_rejects_wrong_type_issuer_and_future_iat() {
        let verifier = JwtVerifier::new(&hs_settings()).expect("verifier");
        let signer = TokenSigner::hs256("x".repeat(32).as_bytes());
        let good = claims(now());
        assert_eq!(
            verifier.verify(&signer.sign(&good).expect("sign")),
            Ok(good.clone())
        );

        let mut refresh = good.clone();
        refresh.token_type = "refresh".into();
        assert_eq!(
            verifier.verify(&signer.sign(&refresh).expect("sign")),
            Err(TokenError::Invalid)
        );

        let mut foreign = good.clone();
        foreign.iss = "someone-else".into();
        assert_eq!(
            verifier.verify(&signer.sign(&foreign).expect("sign")),
            Err(TokenError::Invalid)
        );

        let future = claims(now() + 120);
        assert_eq!(
            verifier.verify(&signer.sign(&future).expect("sign")),
            Err(TokenError::Invalid)
        );

        let mut expired = claims(now() - 2000);
        expired.exp = now() - 100;
        assert_eq!(
            verifier.verify(&signer.sign(&expired).expect("sign")),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn verified_account_rule() {
        let mut c = claims(now());
        assert!(c.require_verified().is_ok());
        c.status = None;
        assert!(c.require_verified().is_ok());
        c.status = Some("PENDING_VERIFICATION".into());
        assert_eq!(
            c.require_verified().expect_err("pending").code,
            "EMAIL_NOT_VERIFIED"
        );
    }
}
