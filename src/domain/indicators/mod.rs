//! The plan's indicators (design.md, Indicators): the catalogue shipped as data
//! (`question-banks/indicators/`), the report of one unit for one year, and the arithmetic
//! between them. No I/O: the store counts, this module decides rates, targets, "met" and who
//! lags behind.

pub mod catalogue;
pub mod report;

pub use catalogue::{Catalogue, Group, Indicator, Measure, Phase};
pub use report::{
    ChildFigure, GroupRow, IndicatorRow, Kind, LaggingUnit, Period, Report, ReportedFigure,
    SubmissionState,
};
