//! Images and their compatibility with plans.

use platform::error::is_unique_violation;
use platform::{ApiResult, AppError};
use uuid::Uuid;

use super::Window;
use crate::domain::errors;
use crate::domain::image::{
    AdminImage, AdminImageDetail, PublicImage, PublicImageDetail, is_compatible,
};
use crate::state::AppState;
use crate::store::images::{
    self as image_store, AdminFilter, ImageChanges, ImageFields, PublicFilter,
};
use crate::store::{plan_images, plans as plan_store};

fn slug_taken() -> AppError {
    errors::duplicate(
        "providerSlug",
        "Image dengan provider dan slug ini sudah terdaftar",
    )
}

async fn require_plan(state: &AppState, plan_id: Uuid) -> ApiResult<()> {
    match plan_store::by_id(&state.pool, plan_id).await? {
        Some(_) => Ok(()),
        None => Err(errors::plan_not_found()),
    }
}

/// Active images; with a plan, only those it allows (an unknown plan is `404`).
pub async fn public_list(
    state: &AppState,
    filter: &PublicFilter,
    window: Window,
) -> ApiResult<(Vec<PublicImage>, i64)> {
    if let Some(plan_id) = filter.plan_id {
        require_plan(state, plan_id).await?;
    }
    let (images, total) =
        image_store::list_active(&state.pool, filter, window.limit, window.offset).await?;
    Ok((images.iter().map(PublicImage::from).collect(), total))
}

/// Any non-deleted image, with the sellable plans it fits and, when asked, whether it fits
/// `plan_id`.
pub async fn public_detail(
    state: &AppState,
    id: Uuid,
    plan_id: Option<Uuid>,
) -> ApiResult<PublicImageDetail> {
    let image = image_store::by_id(&state.pool, id)
        .await?
        .ok_or_else(errors::image_not_found)?;
    let compatible_with_plan = match plan_id {
        Some(plan_id) => {
            require_plan(state, plan_id).await?;
            let allow_list = plan_images::allow_list(&state.pool, plan_id).await?;
            Some(is_compatible(&allow_list, id))
        }
        None => None,
    };
    let compatible_plan_ids = plan_store::sellable_compatible_with(&state.pool, id).await?;
    Ok(PublicImageDetail {
        image: PublicImage::from(&image),
        compatible_plan_ids,
        compatible_with_plan,
    })
}

pub async fn admin_list(
    state: &AppState,
    filter: &AdminFilter,
    window: Window,
) -> ApiResult<(Vec<AdminImage>, i64)> {
    let (images, total) =
        image_store::list_admin(&state.pool, filter, window.limit, window.offset).await?;
    Ok((images.iter().map(AdminImage::from).collect(), total))
}

pub async fn admin_detail(state: &AppState, id: Uuid) -> ApiResult<AdminImageDetail> {
    let image = image_store::by_id(&state.pool, id)
        .await?
        .ok_or_else(errors::image_not_found)?;
    let plan_ids = plan_images::plans_listing(&state.pool, id).await?;
    Ok(AdminImageDetail {
        image: AdminImage::from(&image),
        plan_ids,
    })
}

pub async fn create(state: &AppState, fields: &ImageFields) -> ApiResult<AdminImage> {
    let mut tx = state.pool.begin().await?;
    let image = image_store::insert(&mut tx, Uuid::new_v4(), fields)
        .await
        .map_err(
            |e| match is_unique_violation(&e, Some(image_store::SLUG_UNIQUE)) {
                true => slug_taken(),
                false => e.into(),
            },
        )?;
    tx.commit().await?;
    Ok(AdminImage::from(&image))
}

pub async fn update(state: &AppState, id: Uuid, changes: &ImageChanges) -> ApiResult<AdminImage> {
    // An empty PATCH is a read: it must not look like an edit.
    let image = if *changes == ImageChanges::default() {
        image_store::by_id(&state.pool, id).await?
    } else {
        image_store::update(&state.pool, id, changes)
            .await
            .map_err(
                |e| match is_unique_violation(&e, Some(image_store::SLUG_UNIQUE)) {
                    true => slug_taken(),
                    false => e.into(),
                },
            )?
    }
    .ok_or_else(errors::image_not_found)?;
    Ok(AdminImage::from(&image))
}

/// Soft delete; the image also leaves every plan's allow-list (a list that becomes empty then
/// allows every image, catalog.md §4.1).
pub async fn delete(state: &AppState, id: Uuid) -> ApiResult<()> {
    let mut tx = state.pool.begin().await?;
    if !image_store::soft_delete(&mut tx, id).await? {
        return Err(errors::image_not_found());
    }
    plan_images::delete_for_image(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}
