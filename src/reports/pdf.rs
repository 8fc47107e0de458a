//! PDF exports on A4 portrait pages: tables with the header row repeated after each page
//! break, and the indicator report with a bar chart of the child units per indicator.
//! Text is set in the DejaVu faces the certificates use (parsed once per process, subset per
//! document); charts are vector rectangles and lines.

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, OffsetDateTime, Op, PaintMode, PdfDocument, PdfFont,
    PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem, TextMatrix,
};
use unicode_normalization::UnicodeNormalization;

use super::{
    Cell, MISSING, ReportError, Table, check_limits, display, generated_on, judged,
    report_subtitle, vi_number, vi_percent,
};
use crate::certificates::pdf::{FONTS, Face, Fonts};
use crate::domain::indicators::report::{ChildFigure, IndicatorRow, Kind, Report};

/// Resource names fixed (not printpdf's random ones); also the subset tag
/// (`SDREPA+DejaVuSans`), which readers expect to be six capital letters.
const REGULAR_ID: &str = "SDREPA";
const BOLD_ID: &str = "SDREPB";

const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
const MARGIN: f32 = 15.0 * MM;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;
/// Content stops here; the page number sits below.
const BOTTOM: f32 = MARGIN + 6.0 * MM;

/// The most child units one chart draws; the rest are counted in a line under it.
pub const MAX_CHART_BARS: usize = 60;

type Rgb3 = (f32, f32, f32);
const INK: Rgb3 = (0.10, 0.10, 0.12);
const GREY: Rgb3 = (0.45, 0.45, 0.48);
const RULE: Rgb3 = (0.78, 0.78, 0.80);
const HEADER_BG: Rgb3 = (0.90, 0.92, 0.95);
const STRIPE: Rgb3 = (0.97, 0.97, 0.98);
const GRID: Rgb3 = (0.88, 0.88, 0.90);
const MET_FILL: Rgb3 = (0.20, 0.60, 0.36);
const NOT_MET_FILL: Rgb3 = (0.86, 0.35, 0.20);
const UNJUDGED_FILL: Rgb3 = (0.70, 0.70, 0.72);
const TARGET_LINE: Rgb3 = (0.05, 0.05, 0.30);
const TITLE_RED: Rgb3 = (0.62, 0.08, 0.08);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Weight {
    Regular,
    Bold,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Centre,
    Right,
}

/// Pages being laid out top-down; `y` is where the next content's top goes (points from the
/// page bottom).
struct Canvas<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    y: f32,
}

impl<'f> Canvas<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Self {
            fonts,
            pages: Vec::new(),
            ops: Vec::new(),
            y: PAGE_H - MARGIN,
        }
    }

    fn face(&self, weight: Weight) -> &'f Face {
        match weight {
            Weight::Regular => &self.fonts.regular,
            Weight::Bold => &self.fonts.bold,
        }
    }

    fn width(&self, text: &str, weight: Weight, size: f32) -> f32 {
        self.face(weight).width(text, size)
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.ops));
        self.y = PAGE_H - MARGIN;
    }

    /// Starts a new page unless `height` more points fit on this one; true when it did.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y - height < BOTTOM && self.y < PAGE_H - MARGIN {
            self.new_page();
            true
        } else {
            false
        }
    }

    /// `text` cut with `…` so that it is at most `max` points wide.
    fn fit(&self, text: &str, weight: Weight, size: f32, max: f32) -> String {
        if self.width(text, weight, size) <= max {
            return text.to_owned();
        }
        let face = self.face(weight);
        let budget = max - face.width("…", size);
        let mut out = String::new();
        let mut used = 0.0;
        for c in text.chars() {
            let w = face.width(c.encode_utf8(&mut [0; 4]), size);
            if used + w > budget {
                break;
            }
            used += w;
            out.push(c);
        }
        format!("{}…", out.trim_end())
    }

    /// Places one line with its baseline at `y`; `x` is its left end, centre or right end.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        text: &str,
        weight: Weight,
        size: f32,
        x: f32,
        y: f32,
        align: Align,
        colour: Rgb3,
    ) {
        if text.is_empty() {
            return;
        }
        let w = self.width(text, weight, size);
        let left = match align {
            Align::Left => x,
            Align::Centre => x - w / 2.0,
            Align::Right => x - w,
        };
        let id = match weight {
            Weight::Regular => REGULAR_ID,
            Weight::Bold => BOLD_ID,
        };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: rgb(colour) },
            Op::SetFont {
                font: PdfFontHandle::External(FontId(id.to_owned())),
                size: Pt(size),
            },
            Op::SetTextMatrix {
                matrix: TextMatrix::Translate(Pt(left), Pt(y)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Rgb3) {
        self.ops.push(Op::SetFillColor { col: rgb(colour) });
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(y),
                width: Pt(w),
                height: Pt(h),
                // Without a mode printpdf ends the path with `n`: nothing is painted.
                mode: Some(PaintMode::Fill),
                winding_order: None,
            },
        });
    }

    fn line(&mut self, from: (f32, f32), to: (f32, f32), thickness: f32, colour: Rgb3) {
        let point = |(x, y): (f32, f32)| LinePoint {
            p: Point { x: Pt(x), y: Pt(y) },
            bezier: false,
        };
        self.ops.push(Op::SetOutlineColor { col: rgb(colour) });
        self.ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![point(from), point(to)],
                is_closed: false,
            },
        });
    }

    /// Breaks `text` at spaces into lines at most `width` wide.
    fn wrap(&self, text: &str, weight: Weight, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if current.is_empty() || self.width(&candidate, weight, size) <= width {
                current = candidate;
            } else {
                lines.push(std::mem::replace(&mut current, word.to_owned()));
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        lines
            .into_iter()
            .map(|l| self.fit(&l, weight, size, width))
            .collect()
    }

    /// A wrapped paragraph at the cursor, breaking pages between lines.
    fn paragraph(&mut self, text: &str, weight: Weight, size: f32, align: Align, colour: Rgb3) {
        let leading = size * 1.35;
        for line in self.wrap(text, weight, size, CONTENT_W) {
            self.ensure(leading);
            let x = match align {
                Align::Left => MARGIN,
                Align::Centre => PAGE_W / 2.0,
                Align::Right => PAGE_W - MARGIN,
            };
            self.text(&line, weight, size, x, self.y - size, align, colour);
            self.y -= leading;
        }
    }

    /// A table across the content width: `widths` are shares, the header row is repeated
    /// at the top of every page the rows run onto.
    fn table(&mut self, headers: &[String], widths: &[f64], rows: &[Vec<(String, Align)>]) {
        const SIZE: f32 = 8.0;
        const ROW_H: f32 = 13.0;
        const HEADER_H: f32 = 16.0;
        const PAD: f32 = 3.0;
        let widths = self.column_widths(headers, widths, rows, SIZE, PAD);
        let lefts: Vec<f32> = widths
            .iter()
            .scan(MARGIN, |x, w| {
                let left = *x;
                *x += w;
                Some(left)
            })
            .collect();

        let header = |c: &mut Canvas<'_>| {
            c.fill(MARGIN, c.y - HEADER_H, CONTENT_W, HEADER_H, HEADER_BG);
            for (i, h) in headers.iter().enumerate() {
                let (Some(&left), Some(&w)) = (lefts.get(i), widths.get(i)) else {
                    continue;
                };
                let t = c.fit(h, Weight::Bold, SIZE, w - 2.0 * PAD);
                c.text(
                    &t,
                    Weight::Bold,
                    SIZE,
                    left + w / 2.0,
                    c.y - HEADER_H + 5.0,
                    Align::Centre,
                    INK,
                );
            }
            c.y -= HEADER_H;
        };
        self.ensure(HEADER_H + ROW_H);
        header(self);
        for (r, row) in rows.iter().enumerate() {
            if self.ensure(ROW_H) {
                header(self);
            }
            if r % 2 == 1 {
                self.fill(MARGIN, self.y - ROW_H, CONTENT_W, ROW_H, STRIPE);
            }
            for (i, (text, align)) in row.iter().enumerate() {
                let (Some(&left), Some(&w)) = (lefts.get(i), widths.get(i)) else {
                    continue;
                };
                let t = self.fit(text, Weight::Regular, SIZE, w - 2.0 * PAD);
                let x = match align {
                    Align::Left => left + PAD,
                    Align::Centre => left + w / 2.0,
                    Align::Right => left + w - PAD,
                };
                self.text(
                    &t,
                    Weight::Regular,
                    SIZE,
                    x,
                    self.y - ROW_H + 4.0,
                    *align,
                    INK,
                );
            }
            self.y -= ROW_H;
            self.line((MARGIN, self.y), (MARGIN + CONTENT_W, self.y), 0.3, RULE);
        }
    }

    /// Column widths across the content width: shares of it in the proportions asked for,
    /// except that a column of figures (not left-aligned) gets at least the width of its
    /// widest figure and header, so numbers are never cut; text columns give way.
    fn column_widths(
        &self,
        headers: &[String],
        asked: &[f64],
        rows: &[Vec<(String, Align)>],
        size: f32,
        pad: f32,
    ) -> Vec<f32> {
        let n = headers.len();
        if n == 0 {
            return Vec::new();
        }
        let asked: Vec<f64> = (0..n)
            .map(|i| {
                asked
                    .get(i)
                    .copied()
                    .filter(|w| w.is_finite() && *w > 0.0)
                    .unwrap_or(1.0)
            })
            .collect();
        let total: f64 = asked.iter().sum();
        let want: Vec<f32> = asked
            .iter()
            .map(|w| (w / total) as f32 * CONTENT_W)
            .collect();
        let mut need = vec![0.0f32; n];
        let mut figures = vec![false; n];
        for row in rows {
            for (i, (text, align)) in row.iter().enumerate().take(n) {
                if *align != Align::Left {
                    figures[i] = true;
                    need[i] = need[i].max(self.width(text, Weight::Regular, size) + 2.0 * pad);
                }
            }
        }
        for i in 0..n {
            if figures[i] {
                need[i] = need[i].max(self.width(&headers[i], Weight::Bold, size) + 2.0 * pad);
            }
        }
        let fixed: f32 = (0..n).filter(|&i| need[i] > want[i]).map(|i| need[i]).sum();
        let flexible: f32 = (0..n)
            .filter(|&i| need[i] <= want[i])
            .map(|i| want[i])
            .sum();
        let room = CONTENT_W - fixed;
        if room <= 0.0 || flexible <= 0.0 {
            let sum: f32 = (0..n).map(|i| want[i].max(need[i])).sum();
            return (0..n)
                .map(|i| want[i].max(need[i]) * CONTENT_W / sum)
                .collect();
        }
        (0..n)
            .map(|i| {
                if need[i] > want[i] {
                    need[i]
                } else {
                    // Shrunk to make room, but not below what the column needs.
                    (want[i] * room / flexible).max(need[i])
                }
            })
            .collect()
    }

    /// Closes the last page and writes "Trang i/n" under each.
    fn finish(mut self) -> Vec<Vec<Op>> {
        self.new_page();
        let n = self.pages.len();
        let mut pages = std::mem::take(&mut self.pages);
        for (i, page) in pages.iter_mut().enumerate() {
            self.ops = std::mem::take(page);
            let label = format!("Trang {}/{}", i + 1, n);
            self.text(
                &label,
                Weight::Regular,
                8.0,
                PAGE_W / 2.0,
                MARGIN,
                Align::Centre,
                GREY,
            );
            *page = std::mem::take(&mut self.ops);
        }
        pages
    }
}

fn rgb((r, g, b): Rgb3) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// Saves laid-out pages as a document with both faces embedded (subset).
fn save(
    title: &str,
    pages: Vec<Vec<Op>>,
    fonts: &Fonts,
    when: Option<i64>,
) -> Result<Vec<u8>, ReportError> {
    let mut doc = PdfDocument::new(title);
    for (id, face) in [(REGULAR_ID, &fonts.regular), (BOLD_ID, &fonts.bold)] {
        doc.resources
            .fonts
            .map
            .insert(FontId(id.to_owned()), PdfFont::new(face.parsed.clone()));
    }
    let info = &mut doc.metadata.info;
    info.creator = "Soi Đường".to_owned();
    info.producer = "Soi Đường".to_owned();
    if let Some(when) = when.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()) {
        info.creation_date = when;
        info.modification_date = when;
        info.metadata_date = when;
    }
    doc.with_pages(
        pages
            .into_iter()
            .map(|ops| PdfPage::new(Mm(210.0), Mm(297.0), ops))
            .collect(),
    );
    let mut warnings = Vec::new();
    let bytes = doc.save(&PdfSaveOptions::default(), &mut warnings);
    if let Some(w) = warnings
        .iter()
        .find(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
    {
        return Err(ReportError::Pdf(w.msg.clone()));
    }
    if !bytes.starts_with(b"%PDF") {
        return Err(ReportError::Pdf("no PDF header in the output".to_owned()));
    }
    Ok(bytes)
}

fn cell_align(cell: &Cell) -> Align {
    match cell {
        Cell::Text(_) => Align::Left,
        Cell::Bool(_) | Cell::Date(_) => Align::Centre,
        Cell::Int(_) | Cell::Rate(_) | Cell::Number(_) => Align::Right,
    }
}

/// The tables on A4 pages: each table's title and subtitle lines, then its rows under a
/// header row that is repeated after every page break; "Trang i/n" under each page.
///
/// Fails with [`ReportError::TooLarge`] beyond the limits, [`ReportError::Font`] when the
/// bundled fonts cannot be parsed, or [`ReportError::Pdf`] when printpdf reports an error.
pub fn table_pdf(tables: &[Table]) -> Result<Vec<u8>, ReportError> {
    check_limits(tables)?;
    let fonts = FONTS.as_ref().ok_or(ReportError::Font)?;
    let mut c = Canvas::new(fonts);
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            c.y -= 14.0;
            // A title alone at the foot of a page reads badly: keep it with a few rows.
            c.ensure(80.0);
        }
        c.paragraph(
            &nfc(&table.title),
            Weight::Bold,
            12.0,
            Align::Left,
            TITLE_RED,
        );
        for line in &table.subtitle {
            c.paragraph(&nfc(line), Weight::Regular, 9.0, Align::Left, GREY);
        }
        c.y -= 4.0;
        let headers: Vec<String> = table.columns.iter().map(|col| nfc(&col.header)).collect();
        let widths: Vec<f64> = table.columns.iter().map(|col| col.width).collect();
        let rows: Vec<Vec<(String, Align)>> = table
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|cell| (nfc(&display(cell)), cell_align(cell)))
                    .collect()
            })
            .collect();
        c.table(&headers, &widths, &rows);
    }
    let title = tables
        .first()
        .map(|t| nfc(&t.title))
        .unwrap_or_else(|| "Báo cáo".to_owned());
    save(&title, c.finish(), fonts, None)
}

/// A figure as printed: a percent for `rate` indicators, the number (per period) for
/// `count` ones.
fn figure_text(kind: Kind, per: Option<&str>, value: Option<f64>) -> String {
    match (kind, value) {
        (_, None) => MISSING.to_owned(),
        (Kind::Rate, Some(r)) => vi_percent(r),
        (Kind::Count, Some(n)) => match per {
            Some(per) => format!("{}/{}", vi_number(n, 2), per),
            None => vi_number(n, 2),
        },
    }
}

fn target_text(kind: Kind, per: Option<&str>, target: f64) -> String {
    match kind {
        Kind::Rate => vi_percent(target),
        Kind::Count => format!("≥ {}", figure_text(kind, per, Some(target))),
    }
}

/// The annual indicator report an organizer attaches: unit, year, phase, period and date
/// made; per indicator its groups' table, the lagging child units and a bar chart of the
/// child units (at most [`MAX_CHART_BARS`]) against their targets.
///
/// Fails with [`ReportError::Font`] when the bundled fonts cannot be parsed, or
/// [`ReportError::Pdf`] when printpdf reports an error.
pub fn indicator_pdf(report: &Report) -> Result<Vec<u8>, ReportError> {
    let rows: usize = report
        .indicators
        .iter()
        .map(|i| i.groups.len() + i.children.len().min(MAX_CHART_BARS))
        .sum();
    if rows > super::MAX_ROWS {
        return Err(ReportError::TooLarge(format!("{rows} rows")));
    }
    let fonts = FONTS.as_ref().ok_or(ReportError::Font)?;
    let mut c = Canvas::new(fonts);

    c.text(
        "ĐOÀN TNCS HỒ CHÍ MINH",
        Weight::Bold,
        10.0,
        MARGIN + 35.0 * MM,
        c.y - 10.0,
        Align::Centre,
        INK,
    );
    let unit = c.fit(
        &nfc(&report.unit_name).to_uppercase(),
        Weight::Regular,
        10.0,
        70.0 * MM,
    );
    c.text(
        &unit,
        Weight::Regular,
        10.0,
        MARGIN + 35.0 * MM,
        c.y - 23.0,
        Align::Centre,
        INK,
    );
    c.y -= 45.0;
    c.paragraph(
        "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU",
        Weight::Bold,
        15.0,
        Align::Centre,
        TITLE_RED,
    );
    c.y -= 2.0;
    for line in report_subtitle(report) {
        c.paragraph(&nfc(&line), Weight::Regular, 9.5, Align::Centre, INK);
    }
    if report.self_declared > 0 {
        c.y -= 2.0;
        c.paragraph(
            &format!(
                "Ngoài ra có {} người tự khai thuộc đơn vị nhưng chưa có trong danh sách đoàn viên, \
                 chưa được xác nhận: không tính vào các tổng số dưới đây.",
                vi_number(report.self_declared as f64, 0)
            ),
            Weight::Regular,
            8.5,
            Align::Centre,
            GREY,
        );
    }
    c.y -= 8.0;

    for ind in &report.indicators {
        indicator(&mut c, ind);
    }
    let title = format!(
        "Báo cáo kết quả thực hiện các chỉ tiêu năm {} — {}",
        report.year,
        nfc(&report.unit_name)
    );
    let when = generated_on(report)
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp());
    save(&title, c.finish(), fonts, when)
}

fn indicator(c: &mut Canvas<'_>, ind: &IndicatorRow) {
    let per = ind.per.as_deref();
    c.y -= 6.0;
    // Keep the heading with its table.
    c.ensure(90.0);
    c.paragraph(
        &nfc(&format!("{}. {}", ind.code, ind.title)),
        Weight::Bold,
        10.5,
        Align::Left,
        INK,
    );
    let mut notes = Vec::new();
    if ind.measured {
        notes.push("Số liệu đo trên nền tảng".to_owned());
    }
    if let Some(cov) = ind.reports {
        notes.push(format!(
            "Số liệu do đơn vị báo cáo: {}/{} đơn vị đã nộp",
            cov.submitted, cov.expected
        ));
    }
    if ind.kind == Kind::Count {
        notes.push(match per {
            Some(per) => format!("Chỉ tiêu tính theo số lượng mỗi {per}"),
            None => "Chỉ tiêu tính theo số lượng".to_owned(),
        });
    }
    if !notes.is_empty() {
        c.paragraph(&notes.join(" · "), Weight::Regular, 8.0, Align::Left, GREY);
    }
    c.y -= 3.0;

    let headers: Vec<String> = ["Nhóm", "Đạt được/Tổng số", "Tỷ lệ", "Chỉ tiêu", "Đánh giá"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let rows: Vec<Vec<(String, Align)>> = ind
        .groups
        .iter()
        .map(|g| {
            let counted = match ind.kind {
                Kind::Rate => format!(
                    "{}/{}",
                    vi_number(g.numerator as f64, 0),
                    vi_number(g.denominator as f64, 0)
                ),
                Kind::Count => String::new(),
            };
            vec![
                (nfc(&g.title), Align::Left),
                (counted, Align::Right),
                (figure_text(ind.kind, per, g.rate), Align::Right),
                (target_text(ind.kind, per, g.target), Align::Right),
                (judged(g.met).to_owned(), Align::Centre),
            ]
        })
        .collect();
    c.table(&headers, &[40.0, 22.0, 13.0, 13.0, 12.0], &rows);
    c.y -= 4.0;

    if !ind.lagging.is_empty() {
        let names: Vec<String> = ind
            .lagging
            .iter()
            .map(|l| format!("{} ({})", nfc(&l.unit_name), vi_percent(l.rate)))
            .collect();
        c.paragraph(
            &format!("Đơn vị chưa đạt, thấp nhất: {}", names.join("; ")),
            Weight::Regular,
            8.5,
            Align::Left,
            INK,
        );
    } else if ind.kind == Kind::Rate && !ind.children.is_empty() {
        c.paragraph(
            "Không có đơn vị trực thuộc nào chưa đạt.",
            Weight::Regular,
            8.5,
            Align::Left,
            INK,
        );
    }
    if !ind.children.is_empty() {
        c.y -= 4.0;
        chart(c, ind);
    }
    c.y -= 6.0;
}

/// Geometry of a chart row.
const BAR_ROW: f32 = 11.0;
const BAR_H: f32 = 7.0;
const LABEL_W: f32 = 58.0 * MM;
const VALUE_W: f32 = 34.0;

/// The child units as horizontal bars against a scale (100 % for rates; for counts the
/// largest figure or target, rounded up), each with a marker at its own target.
fn chart(c: &mut Canvas<'_>, ind: &IndicatorRow) {
    let per = ind.per.as_deref();
    let shown: &[ChildFigure] = &ind.children[..ind.children.len().min(MAX_CHART_BARS)];
    let bar_x = MARGIN + LABEL_W + 4.0;
    let bar_w = CONTENT_W - LABEL_W - 4.0 - VALUE_W;
    let scale = match ind.kind {
        Kind::Rate => 1.0,
        Kind::Count => {
            let top = shown
                .iter()
                .flat_map(|ch| [ch.rate.unwrap_or(0.0), ch.target])
                .filter(|v| v.is_finite())
                .fold(1.0f64, f64::max);
            nice_ceiling(top)
        }
    };
    let at = |v: f64| bar_x + ((v / scale).clamp(0.0, 1.0) as f32) * bar_w;

    // The legend and axis labels; repeated after a page break.
    let axis = |c: &mut Canvas<'_>| {
        let y = c.y - 9.0;
        for k in 0..=4 {
            let v = scale * f64::from(k) / 4.0;
            let label = match ind.kind {
                Kind::Rate => format!("{}%", k * 25),
                Kind::Count => vi_number(v, 1),
            };
            c.text(&label, Weight::Regular, 6.5, at(v), y, Align::Centre, GREY);
        }
        c.y -= 12.0;
    };
    let legend = |c: &mut Canvas<'_>| {
        let y = c.y - 8.0;
        let mut x = MARGIN;
        for (colour, label) in [
            (MET_FILL, "Đạt"),
            (NOT_MET_FILL, "Chưa đạt"),
            (UNJUDGED_FILL, "Chưa có số liệu"),
        ] {
            c.fill(x, y - 1.0, 8.0, 6.0, colour);
            c.text(label, Weight::Regular, 7.0, x + 11.0, y, Align::Left, INK);
            x += 18.0 + c.width(label, Weight::Regular, 7.0);
        }
        c.line((x, y - 2.0), (x, y + 6.0), 1.4, TARGET_LINE);
        c.text(
            "Chỉ tiêu của đơn vị",
            Weight::Regular,
            7.0,
            x + 4.0,
            y,
            Align::Left,
            INK,
        );
        c.y -= 12.0;
    };

    c.ensure(24.0 + 3.0 * BAR_ROW);
    legend(c);
    axis(c);
    for ch in shown {
        if c.ensure(BAR_ROW) {
            let note = format!("Chỉ tiêu {} (tiếp theo)", nfc(&ind.code));
            c.text(
                &note,
                Weight::Regular,
                7.5,
                MARGIN,
                c.y - 8.0,
                Align::Left,
                GREY,
            );
            c.y -= 10.0;
            axis(c);
        }
        let top = c.y;
        let bottom = top - BAR_ROW;
        for k in 0..=4 {
            let x = at(scale * f64::from(k) / 4.0);
            c.line((x, bottom), (x, top), 0.4, GRID);
        }
        let name = c.fit(&nfc(&ch.unit_name), Weight::Regular, 7.5, LABEL_W - 2.0);
        c.text(
            &name,
            Weight::Regular,
            7.5,
            MARGIN,
            bottom + 3.0,
            Align::Left,
            INK,
        );
        let bar_y = bottom + (BAR_ROW - BAR_H) / 2.0;
        let end = match ch.rate.filter(|r| r.is_finite()) {
            Some(r) => {
                let colour = match ch.met {
                    Some(true) => MET_FILL,
                    Some(false) => NOT_MET_FILL,
                    None => UNJUDGED_FILL,
                };
                let x = at(r);
                if x > bar_x {
                    c.fill(bar_x, bar_y, x - bar_x, BAR_H, colour);
                }
                x
            }
            None => bar_x,
        };
        let marker = ch.target.is_finite().then(|| at(ch.target));
        if let Some(x) = marker {
            c.line((x, bottom + 0.5), (x, top - 0.5), 1.4, TARGET_LINE);
        }
        let value = figure_text(ind.kind, per, ch.rate);
        let mut label_x = end + 3.0;
        // A label that would sit on the target marker moves to the marker's right.
        if let Some(x) = marker {
            let w = c.width(&value, Weight::Regular, 7.0);
            if label_x - 1.0 <= x && x <= label_x + w + 1.0 {
                label_x = x + 3.0;
            }
        }
        c.text(
            &value,
            Weight::Regular,
            7.0,
            label_x,
            bottom + 3.0,
            Align::Left,
            INK,
        );
        c.y = bottom;
    }
    let rest = ind.children.len() - shown.len();
    if rest > 0 {
        c.y -= 2.0;
        c.paragraph(
            &format!("và {rest} đơn vị khác (xem bảng số liệu kèm theo)"),
            Weight::Regular,
            8.0,
            Align::Left,
            GREY,
        );
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `v` (at least 1), so axis quarters read
/// as round numbers.
fn nice_ceiling(v: f64) -> f64 {
    if !v.is_finite() || v <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|candidate| *candidate >= v)
        .unwrap_or(10.0 * magnitude)
}
