//! The OpenAPI 3.1 document each service serves at `/api/openapi.json`, with Swagger UI at
//! `/api/docs`.
//!
//! Services register every route through `utoipa_axum`'s `routes!`, which reads the path and
//! method from the handler's `#[utoipa::path]` attribute: the router and the document are built
//! from the same declaration, so they cannot drift apart. This module holds what all five share:
//! the security schemes, the envelopes, the health routes and the serving of the document.

use axum::Router;
use axum::http::{HeaderValue, header};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// Security scheme name of the customer/admin JWT (`Authorization: Bearer …`).
pub const BEARER: &str = "bearerAuth";
/// Security scheme name of the service-to-service key (`X-API-Key`).
pub const API_KEY: &str = "apiKey";
pub const DOCUMENT_PATH: &str = "/api/openapi.json";
pub const UI_PATH: &str = "/api/docs";

/// The error envelope of platform.md §5: `{"error": {"code", "message", "details"?}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "VALIDATION_ERROR", "message": "Input tidak valid", "details": {"fields": [{"field": "email", "message": "wajib diisi"}]}}}))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code; each operation lists the codes it can answer with.
    pub code: String,
    /// Indonesian, for people.
    pub message: String,
    /// `{"fields": [...]}` on validation errors, otherwise code-specific.
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
}

/// `{"data": …}`: every single-resource answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataBody<T> {
    pub data: T,
}

/// `page` and `limit` of every list (platform.md §5); out-of-range values are
/// `VALIDATION_ERROR`s, never clamped.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    /// From 1; default 1.
    #[param(minimum = 1)]
    page: Option<u32>,
    /// 1–100; default 10.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// The optional `{"reason": …}` body of back-office actions (cancel, expire, retry); the body
/// itself may be empty.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReasonBody)]
#[allow(dead_code)]
pub struct ReasonRequest {
    #[schema(max_length = 500)]
    reason: Option<String>,
}

/// A service's routes with their document served beside them: what a service hands to
/// `service::application`.
pub fn with_docs(service: &str, description: &str, routes: OpenApiRouter) -> Router {
    let (router, api) = routes.split_for_parts();
    router.merge(serve(document(service, description, api)))
}

/// The document's frame: title, version, description, both security schemes and the shared
/// schemas, plus the platform routes every service has (`/health`, `/health/ready`).
pub fn document(service: &str, description: &str, routes: OpenApi) -> OpenApi {
    let frame = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title(format!("WeBrana Cloud — {service} service"))
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(description))
                .build(),
        )
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme(
                    BEARER,
                    SecurityScheme::Http(
                        HttpBuilder::new()
                            .scheme(HttpAuthScheme::Bearer)
                            .bearer_format("JWT")
                            .description(Some(
                                "Access token from auth's /api/v1/auth/login (RS256, 15 min).",
                            ))
                            .build(),
                    ),
                )
                .security_scheme(
                    API_KEY,
                    SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                        "X-API-Key",
                        "Internal routes: the calling service's key (INTERNAL_API_KEYS).",
                    ))),
                )
                .schema(ErrorBody::name(), ErrorBody::schema())
                .schema(ErrorDetail::name(), ErrorDetail::schema())
                .build(),
        ))
        .build();
    let (_, health_doc) = crate::health::documented_routes().split_for_parts();
    let mut doc = frame;
    doc.merge(health_doc);
    doc.merge(routes);
    doc
}

/// `GET /api/openapi.json` and Swagger UI under `/api/docs`.
pub fn serve(doc: OpenApi) -> Router {
    let ui: Router = SwaggerUi::new(UI_PATH).url(DOCUMENT_PATH, doc).into();
    // Swagger UI runs scripts and styles from its own origin; the API's `default-src 'none'`
    // would blank the page.
    ui.layer(axum::middleware::map_response(
        |mut response: axum::response::Response| async move {
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
                ),
            );
            response
        },
    ))
}

/// Every `(METHOD, path)` pair the document declares, e.g. `("GET", "/api/v1/orders/{id}")`.
pub fn operations(doc: &OpenApi) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in methods {
            if op.is_some() {
                out.push((method.to_owned(), path.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_names_both_security_schemes_and_the_health_routes() {
        let doc = document("order", "Orders", OpenApi::default());
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["openapi"], "3.1.0");
        let schemes = &json["components"]["securitySchemes"];
        assert_eq!(schemes[BEARER]["scheme"], "bearer");
        assert_eq!(schemes[API_KEY]["name"], "X-API-Key");
        assert!(json["paths"]["/health"]["get"].is_object());
        assert!(json["paths"]["/health/ready"]["get"].is_object());
        assert!(json["components"]["schemas"]["ErrorBody"].is_object());
        let ops = operations(&doc);
        assert!(ops.contains(&("GET".into(), "/health".into())));
    }
}
