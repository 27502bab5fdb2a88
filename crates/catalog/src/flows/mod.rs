//! Each request's unit of work: loads what the rules need from the store, applies the rules of
//! `domain`, writes in one transaction where several rows change, and maps database conflicts to
//! the catalog's error codes. Handlers call these; these never see HTTP.

pub mod coupons;
pub mod images;
pub mod plans;

use std::collections::HashMap;

use uuid::Uuid;

/// Rows grouped by the id `key` picks, each group keeping the rows' order.
fn group_by<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut out: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        out.entry(key(&row)).or_default().push(row);
    }
    out
}

/// A page as the store wants it.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub limit: i64,
    pub offset: i64,
}

impl From<platform::pagination::PageQuery> for Window {
    fn from(p: platform::pagination::PageQuery) -> Self {
        Self {
            limit: p.limit(),
            offset: p.offset(),
        }
    }
}
