//! Pure rules of the catalog: discount arithmetic, promo selection, pricing quotes, coupon
//! evaluation and the JSON shapes. No SQL, no HTTP.

pub mod bandwidth;
pub mod coupon;
pub mod discount;
pub mod errors;
pub mod image;
pub mod plan;
pub mod pricing;
pub mod promo;
pub mod redemption;
pub mod rules;
pub mod rupiah;
pub mod terms;
