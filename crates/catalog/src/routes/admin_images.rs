//! Admin routes over images (catalog.md §6.3).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::ApiResult;
use platform::extract::{
    FromJson, FromQuery, JsonFields, NoQuery, QueryFields, StrictJson, StrictQuery,
};
use platform::http::{Created, Data};
use platform::openapi::{DataBody, ErrorBody, PageParams};
use platform::pagination::{PageQuery, Paginated};

use super::extract::UuidPath;
use super::fields::{self, MAX_INT, patch, patch_value};
use super::replies::Deleted;
use crate::domain::image::{AdminImage, AdminImageDetail};
use crate::domain::plan::PROVIDER;
use crate::domain::terms::ImageCategory;
use crate::flows::images;
use crate::state::AppState;
use crate::store::contains_pattern;
use crate::store::images::{AdminFilter, ImageChanges, ImageFields};
use platform::auth::AdminCaller;

const SLUG_RULE: &str = "harus cocok dengan ^[a-z0-9.-]{1,100}$";
const PROVIDER_RULE: &str = "hanya boleh digitalocean";

fn is_provider(s: &str) -> bool {
    s == PROVIDER
}

pub struct ListQuery {
    page: PageQuery,
    filter: AdminFilter,
}

impl FromQuery for ListQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let is_active = fields::query_bool(q, "isActive");
        let category = q
            .one_of("category", &ImageCategory::NAMES)
            .and_then(|c| ImageCategory::parse(&c));
        let search = fields::query_search(q, "search");
        Some(ListQuery {
            page,
            filter: AdminFilter {
                is_active,
                category,
                pattern: contains_pattern(search.as_deref()),
            },
        })
    }
}

/// Every non-deleted image, inactive ones included (catalog.md §6.3).
#[utoipa::path(get, path = "/api/v1/internal/catalog/images", tag = "images", operation_id = "adminListImages",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        PageParams,
        ("isActive" = Option<bool>, Query, description = "Only active (or inactive) images"),
        ("category" = inline(Option<ImageCategory>), Query, description = "Only images of this category"),
        ("search" = Option<String>, Query, max_length = 255, description = "Part of the slug or display name, case-insensitive"),
    ),
    responses(
        (status = 200, description = "A page of images", body = Paginated<AdminImage>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(query): StrictQuery<ListQuery>,
) -> ApiResult<Paginated<AdminImage>> {
    let (items, total) = images::admin_list(&state, &query.filter, query.page.into()).await?;
    Ok(Paginated::new(items, query.page, total))
}

/// An image with the plans that list it explicitly (catalog.md §6.3).
#[utoipa::path(get, path = "/api/v1/internal/catalog/images/{id}", tag = "images", operation_id = "adminGetImage",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Image id")),
    responses(
        (status = 200, description = "The image", body = DataBody<AdminImageDetail>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`IMAGE_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<AdminImageDetail>> {
    Ok(Data(images::admin_detail(&state, id).await?))
}

fn read_category(f: &mut JsonFields) -> Option<ImageCategory> {
    fields::opt_enum(f, "category", &ImageCategory::NAMES, ImageCategory::parse)
}

// Documentation only: the `FromJson` parser below is the authority; keep the two in step.
/// A new image.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = ImageCreateBody)]
#[allow(dead_code)]
pub struct CreateDoc {
    /// Only `digitalocean` (the default).
    #[schema(pattern = "^digitalocean$")]
    provider: Option<String>,
    /// Unique per provider among non-deleted images.
    #[schema(pattern = "^[a-z0-9.-]{1,100}$")]
    provider_slug: String,
    #[schema(min_length = 1, max_length = 255)]
    display_name: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
    /// Default `OS`.
    #[schema(value_type = Option<ImageCategory>)]
    category: Option<String>,
    #[schema(max_length = 50)]
    distribution: Option<String>,
    #[schema(max_length = 50)]
    version: Option<String>,
    /// Default `true`.
    is_active: Option<bool>,
    /// Default 0.
    #[schema(minimum = -2147483647)]
    sort_order: Option<i32>,
}

pub struct CreateBody(ImageFields);

impl FromJson for CreateBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let provider = fields::opt_matching(f, "provider", is_provider, PROVIDER_RULE);
        let slug = fields::req_matching(f, "providerSlug", fields::is_image_slug, SLUG_RULE);
        let display_name = fields::req_text(f, "displayName", 255);
        let description = fields::opt_text(f, "description", 2000);
        let category = read_category(f);
        let distribution = fields::opt_text(f, "distribution", 50);
        let version = fields::opt_text(f, "version", 50);
        let is_active = f.opt_bool("isActive");
        let sort_order = fields::opt_i32(f, "sortOrder", -MAX_INT, MAX_INT);
        Some(CreateBody(ImageFields {
            provider: provider.unwrap_or_else(|| PROVIDER.into()),
            provider_slug: slug?,
            display_name: display_name?,
            description,
            category: category.unwrap_or(ImageCategory::Os),
            distribution,
            version,
            is_active: is_active.unwrap_or(true),
            sort_order: sort_order.unwrap_or(0),
        }))
    }
}

/// Registers an image (catalog.md §6.3).
#[utoipa::path(post, path = "/api/v1/internal/catalog/images", tag = "images", operation_id = "adminCreateImage",
    security(("apiKey" = []), ("bearerAuth" = [])),
    request_body = CreateDoc,
    responses(
        (status = 201, description = "Created; `Location` names the image", body = DataBody<AdminImage>,
            headers(("Location" = String, description = "/api/v1/internal/catalog/images/{id}"))),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 409, description = "`DUPLICATE_ENTRY` (`providerSlug`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(CreateBody(fields)): StrictJson<CreateBody>,
) -> ApiResult<Response> {
    let image = images::create(&state, &fields).await?;
    Ok(Created {
        location: format!("/api/v1/internal/catalog/images/{}", image.image.id),
        body: image,
    }
    .into_response())
}

// Documentation only: the `FromJson` parser below is the authority; keep the two in step.
/// Any image field, each optional. `null` leaves a field unchanged, except `description`,
/// `distribution` and `version`, which it (or a blank) clears.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = ImagePatchBody)]
#[allow(dead_code)]
pub struct PatchDoc {
    #[schema(pattern = "^digitalocean$")]
    provider: Option<String>,
    #[schema(pattern = "^[a-z0-9.-]{1,100}$")]
    provider_slug: Option<String>,
    #[schema(min_length = 1, max_length = 255)]
    display_name: Option<String>,
    #[schema(max_length = 2000)]
    description: Option<String>,
    #[schema(value_type = Option<ImageCategory>)]
    category: Option<String>,
    #[schema(max_length = 50)]
    distribution: Option<String>,
    #[schema(max_length = 50)]
    version: Option<String>,
    is_active: Option<bool>,
    #[schema(minimum = -2147483647)]
    sort_order: Option<i32>,
}

pub struct PatchBody(ImageChanges);

impl FromJson for PatchBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let provider = patch(f, "provider", |f| {
            fields::opt_matching(f, "provider", is_provider, PROVIDER_RULE)
        });
        let slug = patch(f, "providerSlug", |f| {
            fields::opt_matching(f, "providerSlug", fields::is_image_slug, SLUG_RULE)
        });
        let display_name = patch(f, "displayName", |f| {
            fields::opt_nonblank_text(f, "displayName", 255)
        });
        let description = fields::patch_opt_text(f, "description", 2000);
        let category = patch(f, "category", read_category);
        let distribution = fields::patch_opt_text(f, "distribution", 50);
        let version = fields::patch_opt_text(f, "version", 50);
        let is_active = patch(f, "isActive", |f| f.opt_bool("isActive"));
        let sort_order = patch(f, "sortOrder", |f| {
            fields::opt_i32(f, "sortOrder", -MAX_INT, MAX_INT)
        });
        Some(PatchBody(ImageChanges {
            provider: patch_value(provider),
            provider_slug: patch_value(slug),
            display_name: patch_value(display_name),
            description,
            category: patch_value(category),
            distribution,
            version,
            is_active: patch_value(is_active),
            sort_order: patch_value(sort_order),
        }))
    }
}

/// Changes an image; an empty body changes nothing (catalog.md §6.3).
#[utoipa::path(patch, path = "/api/v1/internal/catalog/images/{id}", tag = "images", operation_id = "adminUpdateImage",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Image id")),
    request_body = PatchDoc,
    responses(
        (status = 200, description = "The image after the change", body = DataBody<AdminImage>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`IMAGE_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`DUPLICATE_ENTRY` (`providerSlug`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(PatchBody(changes)): StrictJson<PatchBody>,
) -> ApiResult<Data<AdminImage>> {
    Ok(Data(images::update(&state, id, &changes).await?))
}

/// Soft-deletes an image and takes it off every allow-list (catalog.md §4.1).
#[utoipa::path(delete, path = "/api/v1/internal/catalog/images/{id}", tag = "images", operation_id = "adminDeleteImage",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Image id")),
    responses(
        (status = 200, description = "Deleted", body = DataBody<Deleted>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`IMAGE_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<Deleted>> {
    images::delete(&state, id).await?;
    Ok(Data(Deleted::new(id)))
}
