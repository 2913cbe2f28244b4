//! Resource list subscriptions for SIP presence (placeholder docs).

pub mod common;
pub mod error;
pub mod expand;
mod ids;
pub mod mime;
pub mod notify;
pub mod resource_lists;
pub mod rlmi;
pub mod rls_services;
pub mod server;
pub mod subscriber;
pub mod view;

pub use common::DisplayName;
pub use error::{DocError, DocErrorKind, DocKind, ExpandError, MimeError, MimeErrorKind};
