//! The default rows, as typed constants: one file per seeder. Ids, names, models, patterns and
//! priorities are Orient's (spec/orient-seeds.md); descriptions and prompt texts are written for this
//! project.

pub mod agents;
pub mod permissions;
pub mod prompts;
