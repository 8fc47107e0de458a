//! sea-orm entities, one module a table. Generated shape, no business logic.

pub mod attempts;
pub mod certificates;
pub mod contests;
pub mod course_completions;
pub mod courses;
pub mod events;
pub mod indicator_courses;
pub mod indicator_definitions;
pub mod indicator_reports;
pub mod indicator_years;
pub mod lesson_progress;
pub mod lessons;
pub mod members;
pub mod membership_requests;
pub mod question_banks;
pub mod question_versions;
pub mod questions;
pub mod quizzes;
pub mod refresh_tokens;
pub mod round_results;
pub mod rounds;
pub mod unit_organizers;
pub mod units;
pub mod user_categories;
pub mod users;
