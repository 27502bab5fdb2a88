//! Public reads of the customer web app (catalog.md §6.1): plans and images, no credentials.

use axum::extract::State;
use platform::ApiResult;
use platform::extract::{FromQuery, NoQuery, QueryFields, StrictQuery};
use platform::http::Data;
use platform::openapi::{DataBody, ErrorBody, PageParams};
use platform::pagination::{PageQuery, Paginated};

use super::extract::{NoStore, UuidPath};
use super::fields;
use crate::domain::image::{PublicImage, PublicImageDetail};
use crate::domain::plan::PublicPlan;
use crate::domain::terms::{ImageCategory, PlanDuration};
use crate::flows::{images, plans};
use crate::state::AppState;
use crate::store::images::PublicFilter;
use crate::store::plans::SellableFilter;

pub struct PlanListQuery {
    page: PageQuery,
    filter: SellableFilter,
}

impl FromQuery for PlanListQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let tag = q.string("tag");
        if tag.as_deref().is_some_and(|t| !fields::is_tag(t)) {
            q.problem("tag", "tag harus cocok dengan ^[a-z0-9-]{1,32}$");
        }
        let duration = q
            .one_of("duration", &PlanDuration::NAMES)
            .and_then(|d| PlanDuration::parse(&d));
        Some(PlanListQuery {
            page,
            filter: SellableFilter { tag, duration },
        })
    }
}

/// Sellable plans (active, not deleted), priced at request time (catalog.md §6.1).
#[utoipa::path(get, path = "/api/v1/catalog/plans", tag = "catalog", operation_id = "listPlans",
    params(
        PageParams,
        ("tag" = Option<String>, Query, pattern = "^[a-z0-9-]{1,32}$", description = "Only plans carrying this tag"),
        ("duration" = inline(Option<PlanDuration>), Query, description = "Only plans with an active pricing for this duration"),
    ),
    responses(
        (status = 200, description = "A page of plans, by `sortOrder` then creation", body = Paginated<PublicPlan>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
    ))]
pub async fn list_plans(
    State(state): State<AppState>,
    StrictQuery(query): StrictQuery<PlanListQuery>,
) -> ApiResult<Paginated<PublicPlan>> {
    let (items, total) = plans::public_list(&state, &query.filter, query.page.into()).await?;
    Ok(Paginated::new(items, query.page, total))
}

/// Any non-deleted plan, inactive ones included (`isActive: false`), priced at request time
/// (catalog.md §6.1).
#[utoipa::path(get, path = "/api/v1/catalog/plans/{id}", tag = "catalog", operation_id = "getPlan",
    params(("id" = Uuid, Path, description = "Plan id")),
    responses(
        (status = 200, description = "The plan", body = DataBody<PublicPlan>,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`VALIDATION_ERROR` (id is not a UUID, or a query parameter was sent)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn plan_detail(
    State(state): State<AppState>,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<NoStore<Data<PublicPlan>>> {
    Ok(NoStore(Data(plans::public_detail(&state, id).await?)))
}

pub struct ImageListQuery {
    page: PageQuery,
    filter: PublicFilter,
}

impl FromQuery for ImageListQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let category = q
            .one_of("category", &ImageCategory::NAMES)
            .and_then(|c| ImageCategory::parse(&c));
        let plan_id = q.uuid("planId");
        Some(ImageListQuery {
            page,
            filter: PublicFilter { category, plan_id },
        })
    }
}

/// Active images by `sortOrder`; with `planId`, only those the plan allows (catalog.md §6.1).
#[utoipa::path(get, path = "/api/v1/catalog/images", tag = "catalog", operation_id = "listImages",
    params(
        PageParams,
        ("category" = inline(Option<ImageCategory>), Query, description = "Only images of this category"),
        ("planId" = Option<Uuid>, Query, description = "Only images compatible with this plan"),
    ),
    responses(
        (status = 200, description = "A page of images", body = Paginated<PublicImage>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND` (unknown `planId`)", body = ErrorBody),
    ))]
pub async fn list_images(
    State(state): State<AppState>,
    StrictQuery(query): StrictQuery<ImageListQuery>,
) -> ApiResult<Paginated<PublicImage>> {
    let (items, total) = images::public_list(&state, &query.filter, query.page.into()).await?;
    Ok(Paginated::new(items, query.page, total))
}

pub struct ImageDetailQuery {
    plan_id: Option<uuid::Uuid>,
}

impl FromQuery for ImageDetailQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        Some(ImageDetailQuery {
            plan_id: q.uuid("planId"),
        })
    }
}

/// Any non-deleted image with the sellable plans it fits and, given `planId`, whether it fits
/// that plan (catalog.md §6.1, §4.5).
#[utoipa::path(get, path = "/api/v1/catalog/images/{id}", tag = "catalog", operation_id = "getImage",
    params(
        ("id" = Uuid, Path, description = "Image id"),
        ("planId" = Option<Uuid>, Query, description = "Fills `compatibleWithPlan` (otherwise `null`)"),
    ),
    responses(
        (status = 200, description = "The image", body = DataBody<PublicImageDetail>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 404, description = "`IMAGE_NOT_FOUND`, `PLAN_NOT_FOUND` (unknown `planId`)", body = ErrorBody),
    ))]
pub async fn image_detail(
    State(state): State<AppState>,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(query): StrictQuery<ImageDetailQuery>,
) -> ApiResult<Data<PublicImageDetail>> {
    Ok(Data(
        images::public_detail(&state, id, query.plan_id).await?,
    ))
}
