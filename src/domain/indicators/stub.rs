// TEMPORARY STUB (replaced by the catalogue helper's parser)
use super::{Catalogue, Indicator, Phase};
use crate::domain::banks::FileError;
pub fn shipped() -> Result<Catalogue, Vec<FileError>> {
    Ok(Catalogue {
        phases: vec![
            Phase {
                key: "2025".into(),
                title: "Chỉ tiêu đến năm 2025".into(),
                first_year: 2023,
                last_year: 2025,
            },
            Phase {
                key: "2030".into(),
                title: "Chỉ tiêu đến năm 2030".into(),
                first_year: 2026,
                last_year: 2030,
            },
        ],
        indicators: vec![],
    })
}
pub fn check_indicator(_ind: &Indicator, _phases: &[Phase]) -> Vec<(String, String)> {
    vec![]
}
