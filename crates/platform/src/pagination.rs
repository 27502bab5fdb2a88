//! `page` / `limit` / `meta` (platform.md §5).

use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::extract::QueryFields;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageQuery {
    pub page: u32,
    pub limit: u32,
}

impl Default for PageQuery {
    fn default() -> Self {
        Self { page: 1, limit: 10 }
    }
}

impl PageQuery {
    /// Reads `page` (≥ 1, default 1) and `limit` (1–100, default 10); out-of-range values are
    /// validation errors, never clamped.
    pub fn read(q: &mut QueryFields) -> Self {
        let mut out = Self::default();
        if let Some(page) = q.u32("page") {
            if page >= 1 {
                out.page = page;
            } else {
                q.problem("page", "page minimal 1");
            }
        }
        if let Some(limit) = q.u32("limit") {
            if (1..=100).contains(&limit) {
                out.limit = limit;
            } else {
                q.problem("limit", "limit harus antara 1 dan 100");
            }
        }
        out
    }

    pub fn offset(&self) -> i64 {
        (i64::from(self.page) - 1) * i64::from(self.limit)
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.limit)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    pub page: u32,
    pub limit: u32,
    pub total: i64,
    pub total_pages: i64,
}

impl PageMeta {
    pub fn new(query: PageQuery, total: i64) -> Self {
        let limit = i64::from(query.limit);
        Self {
            page: query.page,
            limit: query.limit,
            total,
            total_pages: (total + limit - 1) / limit,
        }
    }
}

/// `200 {"data": [...], "meta": {...}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Paginated<T> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}

impl<T> Paginated<T> {
    pub fn new(data: Vec<T>, query: PageQuery, total: i64) -> Self {
        Self {
            data,
            meta: PageMeta::new(query, total),
        }
    }
}

impl<T: Serialize> IntoResponse for Paginated<T> {
    fn into_response(self) -> Response {
        axum::Json(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_pages_rounds_up_and_is_zero_when_empty() {
        let q = PageQuery { page: 1, limit: 10 };
        assert_eq!(PageMeta::new(q, 25).total_pages, 3);
        assert_eq!(PageMeta::new(q, 0).total_pages, 0);
        assert_eq!(PageMeta::new(q, 10).total_pages, 1);
    }

    #[test]
    fn out_of_range_is_an_error_not_clamped() {
        let mut q = QueryFields::parse("page=0&limit=101").expect("parse");
        let page = PageQuery::read(&mut q);
        assert!(q.finish(Some(page)).is_err());
        let mut q = QueryFields::parse("page=3&limit=20").expect("parse");
        let page = PageQuery::read(&mut q);
        assert_eq!(
            q.finish(Some(page)).expect("valid"),
            PageQuery { page: 3, limit: 20 }
        );
        assert_eq!(PageQuery { page: 3, limit: 20 }.offset(), 40);
    }
}
