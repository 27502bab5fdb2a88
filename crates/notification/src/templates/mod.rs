//! Templates: the defaults, the Handlebars helpers, rendering and the validation of edits
//! (notification.md §5).

pub mod check;
pub mod defaults;
pub mod helpers;
pub mod render;
pub mod text;

pub use render::{EmailSource, RenderFailure, RenderedEmail};
