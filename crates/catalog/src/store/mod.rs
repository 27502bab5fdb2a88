//! SQL of the catalog's own database, nothing else. Queries are plain `sqlx::query*` with bound
//! parameters; the few composed statements are assembled from constants only.

pub mod coupons;
pub mod images;
pub mod plan_images;
pub mod plans;
pub mod pricings;
pub mod promos;
pub mod redemptions;

/// A case-insensitive `LIKE` pattern matching `search` anywhere, with the wildcards of the
/// search text itself escaped.
pub fn contains_pattern(search: Option<&str>) -> Option<String> {
    search.map(|s| {
        let escaped = s
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_cannot_inject_wildcards() {
        assert_eq!(contains_pattern(Some("Pro")).as_deref(), Some("%pro%"));
        assert_eq!(
            contains_pattern(Some("50%_\\")).as_deref(),
            Some("%50\\%\\_\\\\%")
        );
        assert_eq!(contains_pattern(None), None);
    }
}
