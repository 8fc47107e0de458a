//! Course definitions (files under `question-banks/courses/` or JSON through the API), their
//! validation, and who a course is for.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    banks::{FileError, limits, valid_slug, yaml},
    paper::DrawRule,
    person::Category,
    unit::in_subtree,
};

/// The bounds of a course file: lesson bodies are Markdown and may be long.
pub const COURSE_BOUNDS: yaml::Bounds = yaml::Bounds {
    max_bytes: limits::MAX_TEXT_BYTES,
    max_depth: limits::MAX_YAML_DEPTH,
    max_nodes: limits::MAX_YAML_NODES,
    max_scalar_bytes: limits::MAX_COURSE_FIELD_BYTES,
};

/// Reads a course file (YAML). The text is first held to [`COURSE_BOUNDS`] (size, nesting,
/// node count, value length, no control characters), so no file can exhaust the stack or the
/// memory of the loader. Fails with the problem's file, line and Vietnamese message.
pub fn parse_file(file: &str, text: &str) -> Result<CourseFile, FileError> {
    let fail = |line: usize, column: usize, message: String| FileError {
        file: file.to_owned(),
        line,
        column,
        message,
        more: 0,
    };
    yaml::guard(text, &COURSE_BOUNDS)
        .map_err(|(line, column, message)| fail(line, column, message))?;
    let def: CourseFile = marked_yaml::from_yaml(0, text).map_err(|e| {
        let line = match &e {
            marked_yaml::FromYamlError::FromNode(n) => n.start_mark().map_or(0, |m| m.line()),
            marked_yaml::FromYamlError::ParseYaml(_) => 0,
        };
        let message: String = format!("Tệp khóa học không hợp lệ: {e}")
            .chars()
            .take(limits::MAX_MESSAGE_CHARS)
            .collect();
        fail(line, 0, message)
    })?;
    if def.lessons.len() > MAX_LESSONS {
        return Err(fail(0, 0, format!("Khóa học có quá {MAX_LESSONS} bài học")));
    }
    Ok(def)
}

/// Lessons in one course: a year-long course of weekly lessons has 52.
pub const MAX_LESSONS: usize = 500;

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseFile {
    pub course: CourseMeta,
    pub lessons: Vec<LessonDef>,
    #[serde(default)]
    pub final_test: Option<QuizDef>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseMeta {
    /// Stable slug.
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub audience: Audience,
}

/// Who a course is for: people in any of `categories` (everyone when empty) belonging to any
/// of `units` or below (every unit when empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub units: Vec<i32>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LessonDef {
    pub id: String,
    pub title: String,
    #[serde(default = "default_minutes")]
    pub estimated_minutes: u32,
    #[serde(default = "yes")]
    pub required: bool,
    /// Who may edit the text (e.g. `province`).
    #[serde(default)]
    pub editable_by: Option<String>,
    #[serde(default)]
    pub media: Vec<Media>,
    /// Markdown.
    pub body: String,
    #[serde(default)]
    pub quiz: Option<QuizDef>,
}

fn default_minutes() -> u32 {
    10
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Media {
    pub title: String,
    pub url: String,
}

/// What a participant sees after submitting (stored with the quiz).
pub use entity::quizzes::Review;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuizDef {
    pub title: String,
    pub time_limit_minutes: u32,
    /// Percent of questions right needed to pass.
    pub pass_mark: u32,
    /// 0: unlimited.
    #[serde(default)]
    pub attempts_allowed: u32,
    #[serde(default)]
    pub review: Review,
    pub draw: Vec<DrawRule>,
}

/// A rule broken by a course definition: where (a path such as `lessons[bai-2].quiz`) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseError {
    pub at: String,
    /// A word to find the line by in a file (a lesson id), when there is one.
    pub anchor: Option<String>,
    pub message: String,
}

fn err(at: impl Into<String>, anchor: Option<&str>, message: impl Into<String>) -> CourseError {
    CourseError {
        at: at.into(),
        anchor: anchor.map(str::to_owned),
        message: message.into(),
    }
}

fn check_quiz(q: &QuizDef, at: &str, anchor: Option<&str>, out: &mut Vec<CourseError>) {
    if q.title.trim().is_empty() {
        out.push(err(at, anchor, "Tên bài kiểm tra đang để trống"));
    }
    if !(1..=600).contains(&q.time_limit_minutes) {
        out.push(err(at, anchor, "Thời gian làm bài phải từ 1 đến 600 phút"));
    }
    if q.pass_mark > 100 {
        out.push(err(
            at,
            anchor,
            "Điểm đạt (pass_mark) là phần trăm, từ 0 đến 100",
        ));
    }
    if q.draw.is_empty() || q.draw.iter().any(|r| r.count == 0) {
        out.push(err(
            at,
            anchor,
            "Quy tắc rút câu hỏi (draw) cần ít nhất một dòng, mỗi dòng count > 0",
        ));
    }
    if q.draw.iter().map(|r| r.count).sum::<u32>() > 200 {
        out.push(err(at, anchor, "Một bài kiểm tra có tối đa 200 câu hỏi"));
    }
}

/// Checks everything that does not need the database. Returns every problem found.
pub fn check(def: &CourseFile) -> Vec<CourseError> {
    let mut out = Vec::new();
    if !valid_slug(&def.course.id) {
        out.push(err(
            "course.id",
            None,
            "Mã khóa học chỉ gồm chữ thường không dấu, số và '-'",
        ));
    }
    if def.course.title.trim().is_empty() {
        out.push(err("course.title", None, "Tên khóa học đang để trống"));
    }
    if def.lessons.is_empty() {
        out.push(err("lessons", None, "Khóa học cần ít nhất một bài học"));
    }
    let mut seen = HashSet::new();
    for l in &def.lessons {
        let at = format!("lessons[{}]", l.id);
        let anchor = Some(l.id.as_str());
        if !valid_slug(&l.id) {
            out.push(err(
                &at,
                anchor,
                format!("Mã bài học \"{}\" không hợp lệ", l.id),
            ));
        } else if !seen.insert(l.id.as_str()) {
            out.push(err(
                &at,
                anchor,
                format!("Mã bài học \"{}\" bị trùng", l.id),
            ));
        }
        if l.title.trim().is_empty() {
            out.push(err(&at, anchor, "Tên bài học đang để trống"));
        }
        if l.body.trim().is_empty() {
            out.push(err(&at, anchor, "Nội dung bài học (body) đang để trống"));
        }
        if l.estimated_minutes == 0 || l.estimated_minutes > 600 {
            out.push(err(
                &at,
                anchor,
                "Thời lượng ước tính phải từ 1 đến 600 phút",
            ));
        }
        for m in &l.media {
            if !(m.url.starts_with("https://") || m.url.starts_with("http://"))
                || m.title.trim().is_empty()
            {
                out.push(err(
                    &at,
                    anchor,
                    format!("Liên kết \"{}\" cần tên và địa chỉ http(s)", m.url),
                ));
            }
        }
        if let Some(q) = &l.quiz {
            check_quiz(q, &format!("{at}.quiz"), anchor, &mut out);
        }
    }
    if let Some(q) = &def.final_test {
        check_quiz(q, "final_test", Some("final_test"), &mut out);
    }
    out
}

/// Whether a person (categories, unit path) is in a course's audience (unit paths given).
pub fn in_audience(
    categories: &[Category],
    unit_path: Option<&str>,
    audience: &Audience,
    audience_paths: &[String],
) -> bool {
    let category_ok = audience.categories.is_empty()
        || audience.categories.iter().any(|c| categories.contains(c));
    let unit_ok = audience.units.is_empty()
        || unit_path.is_some_and(|p| audience_paths.iter().any(|root| in_subtree(p, root)));
    category_ok && unit_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiz() -> QuizDef {
        QuizDef {
            title: "Ôn tập".into(),
            time_limit_minutes: 10,
            pass_mark: 60,
            attempts_allowed: 0,
            review: Review::AfterSubmit,
            draw: vec![DrawRule {
                bank: "b".into(),
                tags: vec![],
                difficulty: vec![],
                count: 5,
            }],
        }
    }

    fn course() -> CourseFile {
        CourseFile {
            course: CourseMeta {
                id: "khoa-hoc".into(),
                title: "Khóa học".into(),
                description: String::new(),
                audience: Audience::default(),
            },
            lessons: vec![LessonDef {
                id: "bai-1".into(),
                title: "Bài 1".into(),
                estimated_minutes: 15,
                required: true,
                editable_by: Some("province".into()),
                media: vec![],
                body: "Nội dung".into(),
                quiz: Some(quiz()),
            }],
            final_test: Some(quiz()),
        }
    }

    #[test]
    fn course_files_are_bounded_before_loading() {
        let deep = format!("lessons:\n{}x\n", "- ".repeat(5_000));
        let e = parse_file("k.yaml", &deep).unwrap_err();
        assert!(e.message.contains("quá sâu"), "{e:?}");
        let e = parse_file("k.yaml", "course:\n  id: a\u{0}\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 8));
        let text = "course:\n  id: k\n  title: K\nlessons:\n  - id: bai-1\n    title: B\n    body: |\n      - một\n        - hai\n";
        let def = parse_file("k.yaml", text).unwrap();
        assert!(def.lessons[0].body.contains("hai"));
    }

    #[test]
    fn a_good_course_has_no_problems() {
        assert!(check(&course()).is_empty());
    }

    #[test]
    fn problems_name_the_lesson() {
        let mut c = course();
        c.lessons.push(c.lessons[0].clone());
        c.lessons[1].quiz.as_mut().unwrap().pass_mark = 120;
        let problems = check(&c);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems
                .iter()
                .all(|p| p.anchor.as_deref() == Some("bai-1"))
        );
    }

    #[test]
    fn audience_by_category_and_unit_subtree() {
        let audience = Audience {
            categories: vec![Category::NewMember],
            units: vec![4],
        };
        let paths = vec!["/1/4/".to_owned()];
        assert!(in_audience(
            &[Category::NewMember],
            Some("/1/4/17/"),
            &audience,
            &paths
        ));
        assert!(!in_audience(
            &[Category::Member],
            Some("/1/4/17/"),
            &audience,
            &paths
        ));
        assert!(!in_audience(
            &[Category::NewMember],
            Some("/1/5/"),
            &audience,
            &paths
        ));
        assert!(in_audience(&[], None, &Audience::default(), &[]));
    }
}
