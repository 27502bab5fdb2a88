//! Admin routes over plans (catalog.md §6.2): list, detail, create with nested rows, PATCH of
//! scalar fields, soft delete.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::ApiResult;
use platform::extract::{
    FromJson, FromQuery, JsonFields, NoQuery, QueryFields, StrictJson, StrictQuery,
};
use platform::http::{Created, Data};
use platform::openapi::{DataBody, ErrorBody, PageParams};
use platform::pagination::{PageQuery, Paginated};
use uuid::Uuid;

use super::admin_plan_children::{PricingDoc, PromoDoc, read_pricing, read_promo};
use super::extract::UuidPath;
use super::fields::{self, MAX_INT};
use super::replies::Deleted;
use crate::domain::plan::{AdminPlan, PROVIDER};
use crate::flows::plans::{self, NewPlan};
use crate::state::AppState;
use crate::store::contains_pattern;
use crate::store::plans::{AdminFilter, PlanChanges, PlanFields};
use platform::auth::AdminCaller;

const NAME_RULE: &str = "harus cocok dengan ^[a-z0-9][a-z0-9-]{1,63}$";
const SLUG_RULE: &str = "harus cocok dengan ^[a-z0-9-]{1,100}$";
const TAG_RULE: &str = "harus cocok dengan ^[a-z0-9-]{1,32}$";
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
        let search = fields::query_search(q, "search");
        Some(ListQuery {
            page,
            filter: AdminFilter {
                is_active,
                pattern: contains_pattern(search.as_deref()),
            },
        })
    }
}

/// Every non-deleted plan with all its pricings, promos and allow-list (catalog.md §6.2).
#[utoipa::path(get, path = "/api/v1/internal/catalog/plans", tag = "plans", operation_id = "adminListPlans",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        PageParams,
        ("isActive" = Option<bool>, Query, description = "Only active (or inactive) plans"),
        ("search" = Option<String>, Query, max_length = 255, description = "Part of `name` or `displayName`, case-insensitive"),
    ),
    responses(
        (status = 200, description = "A page of plans", body = Paginated<AdminPlan>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(query): StrictQuery<ListQuery>,
) -> ApiResult<Paginated<AdminPlan>> {
    let (items, total) = plans::admin_list(&state, &query.filter, query.page.into()).await?;
    Ok(Paginated::new(items, query.page, total))
}

/// A plan with all its pricings (with `cost`), promos (with `state`) and allow-list
/// (catalog.md §6.2).
#[utoipa::path(get, path = "/api/v1/internal/catalog/plans/{id}", tag = "plans", operation_id = "adminGetPlan",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Plan id")),
    responses(
        (status = 200, description = "The plan", body = DataBody<AdminPlan>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<AdminPlan>> {
    Ok(Data(plans::admin_detail(&state, id).await?))
}

// Documentation only: the `FromJson` parser below is the authority; keep the two in step.
/// A new plan, optionally with its pricings, promos and image allow-list.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PlanCreateBody)]
#[allow(dead_code)]
pub struct CreateDoc {
    /// Unique among non-deleted plans.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{1,63}$")]
    name: String,
    /// Trimmed.
    #[schema(min_length = 1, max_length = 255)]
    display_name: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
    #[schema(minimum = 1, maximum = 64)]
    cpu: i32,
    #[schema(minimum = 256)]
    memory_mb: i32,
    #[schema(minimum = 10)]
    disk_gb: i32,
    /// Terabytes, at most two decimals.
    #[schema(minimum = 0, maximum = 999999.99)]
    bandwidth_tb: f64,
    /// Only `digitalocean` (the default).
    #[schema(pattern = "^digitalocean$")]
    provider: Option<String>,
    #[schema(pattern = "^[a-z0-9-]{1,100}$")]
    provider_size_slug: String,
    /// Default `true`.
    is_active: Option<bool>,
    /// Default 0.
    #[schema(minimum = -2147483647)]
    sort_order: Option<i32>,
    /// Each `^[a-z0-9-]{1,32}$`; duplicates are dropped.
    #[schema(max_items = 10)]
    tags: Option<Vec<String>>,
    /// Durations unique.
    #[schema(max_items = 4)]
    pricings: Option<Vec<PricingDoc>>,
    #[schema(max_items = 20)]
    promos: Option<Vec<PromoDoc>>,
    /// Existing images: the plan's allow-list (`[]` or absent = every image).
    #[schema(max_items = 100)]
    image_ids: Option<Vec<Uuid>>,
}

pub struct CreateBody(NewPlan);

impl FromJson for CreateBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let name = fields::req_matching(f, "name", fields::is_plan_name, NAME_RULE);
        let display_name = fields::req_text(f, "displayName", 255);
        let description = fields::opt_text(f, "description", 2000);
        let cpu = fields::req_i32(f, "cpu", 1, 64);
        let memory_mb = fields::req_i32(f, "memoryMb", 256, MAX_INT);
        let disk_gb = fields::req_i32(f, "diskGb", 10, MAX_INT);
        let bandwidth = fields::req_bandwidth(f, "bandwidthTb");
        let provider = fields::opt_matching(f, "provider", is_provider, PROVIDER_RULE);
        let size_slug =
            fields::req_matching(f, "providerSizeSlug", fields::is_size_slug, SLUG_RULE);
        let is_active = f.opt_bool("isActive");
        let sort_order = fields::opt_i32(f, "sortOrder", -MAX_INT, MAX_INT);
        let tags = fields::opt_string_list(f, "tags", 10, fields::is_tag, TAG_RULE, true);
        let pricings = fields::opt_objects(f, "pricings", 4, read_pricing);
        if let Some(pricings) = &pricings {
            for (i, p) in pricings.iter().enumerate() {
                if pricings[..i].iter().any(|q| q.duration == p.duration) {
                    let path = format!("pricings[{i}].duration");
                    f.problem(
                        &path,
                        format!("{path} {} sudah ada di pricings", p.duration.as_str()),
                    );
                }
            }
        }
        let promos = fields::opt_objects(f, "promos", 20, read_promo);
        let image_ids = fields::opt_uuid_list(f, "imageIds", 100);
        Some(CreateBody(NewPlan {
            fields: PlanFields {
                name: name?,
                display_name: display_name?,
                description,
                cpu: cpu?,
                memory_mb: memory_mb?,
                disk_gb: disk_gb?,
                bandwidth_centi: bandwidth?.0,
                provider: provider.unwrap_or_else(|| PROVIDER.into()),
                provider_size_slug: size_slug?,
                is_active: is_active.unwrap_or(true),
                sort_order: sort_order.unwrap_or(0),
                tags: tags.unwrap_or_default(),
            },
            pricings: pricings.unwrap_or_default(),
            promos: promos.unwrap_or_default(),
            image_ids: image_ids.unwrap_or_default(),
        }))
    }
}

/// Creates a plan with its pricings, promos and allow-list, all at once or not at all
/// (catalog.md §6.2).
#[utoipa::path(post, path = "/api/v1/internal/catalog/plans", tag = "plans", operation_id = "adminCreatePlan",
    security(("apiKey" = []), ("bearerAuth" = [])),
    request_body = CreateDoc,
    responses(
        (status = 201, description = "Created; `Location` names the plan", body = DataBody<AdminPlan>,
            headers(("Location" = String, description = "/api/v1/internal/catalog/plans/{id}"))),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`IMAGE_NOT_FOUND` (`details.imageIds` lists the unknown ones)", body = ErrorBody),
        (status = 409, description = "`DUPLICATE_ENTRY` (`name`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(CreateBody(new)): StrictJson<CreateBody>,
) -> ApiResult<Response> {
    let plan = plans::create(&state, new).await?;
    Ok(Created {
        location: format!("/api/v1/internal/catalog/plans/{}", plan.id),
        body: plan,
    }
    .into_response())
}

// Documentation only: the `FromJson` parser below is the authority; keep the two in step.
/// The scalar fields of a plan, each optional; `null` leaves a field unchanged, except
/// `description`, which it clears. Nested rows have their own routes.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PlanPatchBody)]
#[allow(dead_code)]
pub struct PatchDoc {
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{1,63}$")]
    name: Option<String>,
    #[schema(min_length = 1, max_length = 255)]
    display_name: Option<String>,
    /// `null` or blank clears it.
    #[schema(max_length = 2000)]
    description: Option<String>,
    #[schema(minimum = 1, maximum = 64)]
    cpu: Option<i32>,
    #[schema(minimum = 256)]
    memory_mb: Option<i32>,
    #[schema(minimum = 10)]
    disk_gb: Option<i32>,
    #[schema(minimum = 0, maximum = 999999.99)]
    bandwidth_tb: Option<f64>,
    #[schema(pattern = "^digitalocean$")]
    provider: Option<String>,
    #[schema(pattern = "^[a-z0-9-]{1,100}$")]
    provider_size_slug: Option<String>,
    is_active: Option<bool>,
    #[schema(minimum = -2147483647)]
    sort_order: Option<i32>,
    /// Replaces the list; each `^[a-z0-9-]{1,32}$`.
    #[schema(max_items = 10)]
    tags: Option<Vec<String>>,
}

pub struct PatchBody(PlanChanges);

impl FromJson for PatchBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        use fields::{patch, patch_value};
        let name = patch(f, "name", |f| {
            fields::opt_matching(f, "name", fields::is_plan_name, NAME_RULE)
        });
        let display_name = patch(f, "displayName", |f| {
            fields::opt_nonblank_text(f, "displayName", 255)
        });
        let description = fields::patch_opt_text(f, "description", 2000);
        let cpu = patch(f, "cpu", |f| fields::opt_i32(f, "cpu", 1, 64));
        let memory_mb = patch(f, "memoryMb", |f| {
            fields::opt_i32(f, "memoryMb", 256, MAX_INT)
        });
        let disk_gb = patch(f, "diskGb", |f| fields::opt_i32(f, "diskGb", 10, MAX_INT));
        let bandwidth = patch(f, "bandwidthTb", |f| {
            fields::opt_bandwidth(f, "bandwidthTb")
        });
        let provider = patch(f, "provider", |f| {
            fields::opt_matching(f, "provider", is_provider, PROVIDER_RULE)
        });
        let size_slug = patch(f, "providerSizeSlug", |f| {
            fields::opt_matching(f, "providerSizeSlug", fields::is_size_slug, SLUG_RULE)
        });
        let is_active = patch(f, "isActive", |f| f.opt_bool("isActive"));
        let sort_order = patch(f, "sortOrder", |f| {
            fields::opt_i32(f, "sortOrder", -MAX_INT, MAX_INT)
        });
        let tags = patch(f, "tags", |f| {
            fields::opt_string_list(f, "tags", 10, fields::is_tag, TAG_RULE, true)
        });
        for nested in ["pricings", "promos", "imageIds"] {
            if f.present(nested) {
                f.opt_value(nested);
                f.problem(
                    nested,
                    format!("{nested} tidak dapat diubah lewat PATCH; gunakan rute {nested} paket"),
                );
            }
        }
        Some(PatchBody(PlanChanges {
            name: patch_value(name),
            display_name: patch_value(display_name),
            description,
            cpu: patch_value(cpu),
            memory_mb: patch_value(memory_mb),
            disk_gb: patch_value(disk_gb),
            bandwidth_centi: patch_value(bandwidth).map(|b| b.0),
            provider: patch_value(provider),
            provider_size_slug: patch_value(size_slug),
            is_active: patch_value(is_active),
            sort_order: patch_value(sort_order),
            tags: patch_value(tags),
        }))
    }
}

/// Changes a plan's scalar fields; an empty body changes nothing (catalog.md §6.2).
#[utoipa::path(patch, path = "/api/v1/internal/catalog/plans/{id}", tag = "plans", operation_id = "adminUpdatePlan",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Plan id")),
    request_body = PatchDoc,
    responses(
        (status = 200, description = "The plan after the change", body = DataBody<AdminPlan>),
        (status = 400, description = "`VALIDATION_ERROR` (also for `pricings`, `promos`, `imageIds`), `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`DUPLICATE_ENTRY` (`name`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(PatchBody(changes)): StrictJson<PatchBody>,
) -> ApiResult<Data<AdminPlan>> {
    Ok(Data(plans::update(&state, id, &changes).await?))
}

/// Soft-deletes a plan: it vanishes from every route; past orders keep their snapshot
/// (catalog.md §4.1).
#[utoipa::path(delete, path = "/api/v1/internal/catalog/plans/{id}", tag = "plans", operation_id = "adminDeletePlan",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Plan id")),
    responses(
        (status = 200, description = "Deleted", body = DataBody<Deleted>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<Deleted>> {
    plans::delete(&state, id).await?;
    Ok(Data(Deleted::new(id)))
}
