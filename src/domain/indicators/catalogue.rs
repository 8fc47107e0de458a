//! The catalogue of indicators: shipped as YAML (`question-banks/indicators/`), extended by
//! admins through the API with the same shape, validated the same way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::person::Category;

/// A phase of the plan, e.g. "Chỉ tiêu đến năm 2025", applying by default to the years
/// `first_year..=last_year` (admins may map a year to another phase).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// `"2025"`, `"2030"`.
    pub key: String,
    pub title: String,
    pub first_year: i32,
    pub last_year: i32,
}

/// How an indicator gets its figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Counted here: people of the groups who completed one of the indicator's courses in the
    /// period, of all people of the groups on the unit's rosters at the cut-off.
    CourseCompletion,
    /// Reported by units: a numerator and a denominator (pages connected of all pages).
    ReportedRate,
    /// Reported by units: a number against a minimum (posts per week).
    ReportedCount,
}

impl Measure {
    pub fn measured(self) -> bool {
        self == Measure::CourseCompletion
    }
}

/// A counted group of people (or, for reported indicators, of things) with its own target
/// per phase: 1.6 has cadres 90%, members 80%, youth 70%, children 70%.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Stable within the indicator, e.g. `"can-bo"`.
    pub key: String,
    pub title: String,
    /// Who is counted (course-completion indicators); empty for reported ones.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Target per phase key: a share 0–1 for rates, a minimum number for counts.
    pub targets: BTreeMap<String, f64>,
}

/// One indicator, the same across phases (1.3 in the 2025 phase is 2.3 in the 2030 one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable slug, e.g. `"ly-luan-chinh-tri"`.
    pub key: String,
    /// Its code per phase key: `{"2025": "1.3", "2030": "2.3"}`.
    pub codes: BTreeMap<String, String>,
    /// A short Vietnamese title for tables.
    pub title: String,
    /// The plan's own words per phase key.
    pub wording: BTreeMap<String, String>,
    pub measure: Measure,
    /// Who is counted, in Vietnamese.
    pub counted: String,
    /// How it is measured, in Vietnamese.
    pub method: String,
    /// For `reported_count`: what the number is counted per ("tuần", "năm").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<String>,
    /// Course slugs whose completion counts (course-completion indicators); admins link more.
    #[serde(default)]
    pub courses: Vec<String>,
    pub groups: Vec<Group>,
}

/// The whole catalogue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Catalogue {
    pub phases: Vec<Phase>,
    pub indicators: Vec<Indicator>,
}

impl Catalogue {
    /// The phase a year falls in by default.
    pub fn phase_of_year(&self, year: i32) -> Option<&Phase> {
        self.phases
            .iter()
            .find(|p| (p.first_year..=p.last_year).contains(&year))
    }

    pub fn phase(&self, key: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.key == key)
    }

    pub fn indicator(&self, key: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.key == key)
    }

    /// The indicator with `code` in `phase` ("2.3" in "2030").
    pub fn by_code(&self, phase: &str, code: &str) -> Option<&Indicator> {
        self.indicators
            .iter()
            .find(|i| i.codes.get(phase).is_some_and(|c| c == code))
    }
}
