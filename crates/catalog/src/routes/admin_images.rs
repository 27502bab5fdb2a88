//! Admin routes over images (catalog.md §6.3).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::ApiResult;
use platform::extract::{
    FromJson, FromQuery, JsonFields, NoQuery, QueryFields, StrictJson, StrictQuery,
};
use platform::http::{Created, Data};
use platform::pagination::{PageQuery, Paginated};
use serde_json::{Value, json};

use super::extract::UuidPath;
use super::fields::{self, MAX_INT, patch, patch_value};
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

pub async fn list(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(query): StrictQuery<ListQuery>,
) -> ApiResult<Paginated<AdminImage>> {
    let (items, total) = images::admin_list(&state, &query.filter, query.page.into()).await?;
    Ok(Paginated::new(items, query.page, total))
}

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

pub async fn update(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(PatchBody(changes)): StrictJson<PatchBody>,
) -> ApiResult<Data<AdminImage>> {
    Ok(Data(images::update(&state, id, &changes).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<Value>> {
    images::delete(&state, id).await?;
    Ok(Data(json!({ "id": id, "deleted": true })))
}
