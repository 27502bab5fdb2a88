//! The answers of admin routes that have no domain type of their own: deletions and the
//! plan–image allow-list rows. Typed (rather than `json!`) so the document can name them.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// `{"id", "deleted": true}` of every DELETE of a resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub id: Uuid,
    /// Always `true`.
    pub deleted: bool,
}

impl Deleted {
    pub fn new(id: Uuid) -> Self {
        Self { id, deleted: true }
    }
}

/// A row of a plan's image allow-list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlanImage {
    pub plan_id: Uuid,
    pub image_id: Uuid,
}

/// A removed row of a plan's image allow-list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlanImageDeleted {
    pub plan_id: Uuid,
    pub image_id: Uuid,
    /// Always `true`.
    pub deleted: bool,
}
