//! VPS images (catalog.md §4.5, §5) and their compatibility with plans.

use platform::time_format::wire;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::terms::ImageCategory;

/// A non-deleted `vps_images` row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Image {
    pub id: Uuid,
    pub provider: String,
    pub provider_slug: String,
    pub display_name: String,
    pub description: Option<String>,
    pub category: ImageCategory,
    pub distribution: Option<String>,
    pub version: Option<String>,
    pub is_active: bool,
    pub sort_order: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Image `image` is compatible with a plan whose allow-list is `allow_list` when the list is
/// empty or names it. Whether either is active is the consumer's separate question.
pub fn is_compatible(allow_list: &[Uuid], image: Uuid) -> bool {
    allow_list.is_empty() || allow_list.contains(&image)
}

/// The Image shape of the public routes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicImage {
    pub id: Uuid,
    pub provider: String,
    pub provider_slug: String,
    pub display_name: String,
    pub description: Option<String>,
    pub category: ImageCategory,
    pub distribution: Option<String>,
    pub version: Option<String>,
    pub is_active: bool,
    pub sort_order: i32,
}

impl From<&Image> for PublicImage {
    fn from(i: &Image) -> Self {
        Self {
            id: i.id,
            provider: i.provider.clone(),
            provider_slug: i.provider_slug.clone(),
            display_name: i.display_name.clone(),
            description: i.description.clone(),
            category: i.category,
            distribution: i.distribution.clone(),
            version: i.version.clone(),
            is_active: i.is_active,
            sort_order: i.sort_order,
        }
    }
}

/// `GET /catalog/images/{id}`: the image, the sellable plans it fits, and — when the caller named
/// a plan — whether it fits that one (`null` otherwise).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicImageDetail {
    #[serde(flatten)]
    pub image: PublicImage,
    pub compatible_plan_ids: Vec<Uuid>,
    pub compatible_with_plan: Option<bool>,
}

/// The Image shape of the admin routes: the public one plus timestamps.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminImage {
    #[serde(flatten)]
    pub image: PublicImage,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "wire")]
    pub updated_at: OffsetDateTime,
}

impl From<&Image> for AdminImage {
    fn from(i: &Image) -> Self {
        Self {
            image: PublicImage::from(i),
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// Admin detail: the image plus the plans that list it explicitly.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminImageDetail {
    #[serde(flatten)]
    pub image: AdminImage,
    pub plan_ids: Vec<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_allow_list_allows_everything() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        assert!(is_compatible(&[], a));
        assert!(is_compatible(&[a], a));
        assert!(!is_compatible(&[a], b));
    }
}
