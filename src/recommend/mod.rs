//! `poolcheck recommend`: pool settings for the user's framework and hosting
//! environment, from server facts, probe measurements and declared limits; and
//! a CI guard comparing the app's current settings with them.

pub mod hosting;
pub mod model;
pub mod rules;

pub use model::*;
