//! The certificate PDF: one A4 landscape page in Vietnamese, with the holder, the achievement,
//! the issuer's signature line, the printed code and a QR code of the public verification URL.
//!
//! The fonts are DejaVu Sans (regular and bold; licence in `assets/fonts/LICENSE-DejaVu.txt`),
//! which has every precomposed Vietnamese letter. They are parsed once per process and
//! subset per document, which keeps a certificate near 25 KB instead of the 1.4 MB of the
//! two faces.
//!
//! The PDF also carries its own signed facts (`SOIDUONG-CERT-V1:` + base64url of the canonical
//! bytes + `.` + signature) as a plain ASCII string in the document information dictionary,
//! so `soiduong verify-certificate FILE.pdf` can check a paper's file offline with a byte
//! scan, without a PDF parser. Rendering is CPU work: callers run it on the blocking pool.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Datelike;
use printpdf::{
    Color, CurTransMat, FontId, LinePoint, Mm, OffsetDateTime, Op, PaintMode, ParsedFont,
    PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rect,
    Rgb, TextItem, TextMatrix, WindingOrder,
};
use qrcode::{EcLevel, QrCode};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::domain::certificate::{Code, Facts};

/// What goes on one certificate's paper.
pub struct Printed<'a> {
    /// The signed facts (holder, unit, achievement, date, issuer, code, key id).
    pub facts: &'a Facts,
    /// base64url Ed25519 signature over `facts.canonical()`.
    pub signature: &'a str,
    /// `SOIDUONG_PUBLIC_URL` + `/verify/` + the canonical code; the QR code encodes it.
    pub verify_url: &'a str,
    /// Printed large across the page (e.g. "ĐÃ THU HỒI") when the certificate is no longer
    /// valid; `None` for a valid one.
    pub status_note: Option<&'a str>,
}

/// The signed payload embedded in a certificate PDF, for offline verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embedded {
    /// The exact canonical bytes (RFC 8785 JSON) the signature covers.
    pub facts: Vec<u8>,
    /// base64url Ed25519 signature, as printed into the PDF.
    pub signature: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The bundled fonts could not be parsed (a broken build, not bad input).
    #[error("the bundled certificate fonts could not be parsed")]
    Font,
    /// The verification URL does not fit in a QR code.
    #[error("the verification URL cannot be encoded as a QR code: {0}")]
    Qr(#[from] qrcode::types::QrError),
    /// printpdf reported an error while writing the document.
    #[error("the certificate PDF could not be written: {0}")]
    Write(String),
}

/// Marks the embedded payload; a byte scan for it finds the signed facts.
const MARKER: &[u8] = b"SOIDUONG-CERT-V1:";

const REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// One parsed font face and the metrics needed to measure text with it.
pub(crate) struct Face {
    pub(crate) parsed: ParsedFont,
    units_per_em: f32,
}

impl Face {
    fn parse(bytes: &[u8]) -> Option<Self> {
        let slim = slim_name_table(bytes);
        let bytes = slim.as_deref().unwrap_or(bytes);
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut Vec::new())?;
        let units_per_em = f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
        Some(Self {
            parsed,
            units_per_em,
        })
    }

    /// Width in points of `text` set at `size`, from the glyph advances (hmtx). printpdf
    /// writes one glyph per char with no kerning, so this is exactly the printed width.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| {
                let gid = self.parsed.lookup_glyph_index(u32::from(c)).unwrap_or(0);
                u32::from(self.parsed.get_horizontal_advance(gid))
            })
            .sum();
        units as f32 * size / self.units_per_em
    }
}

/// The `name` IDs kept in an embedded subset: copyright, family, subfamily, unique id,
/// full name, version, PostScript name.
const KEPT_NAMES: std::ops::RangeInclusive<u16> = 0..=6;

/// The font with a `name` table reduced to the Windows-platform records 0–6. printpdf's
/// subsetter copies `name` whole, and DejaVu's (the licence text, in several encodings) is
/// 15 KB of every certificate; the copyright notice stays. `None` if the font is not laid
/// out as expected, and then it is used as it is.
fn slim_name_table(font: &[u8]) -> Option<Vec<u8>> {
    let u16_at = |b: &[u8], at: usize| -> Option<u16> {
        Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
    };
    let u32_at = |b: &[u8], at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    let count = usize::from(u16_at(font, 4)?);
    let mut tables = Vec::with_capacity(count);
    for i in 0..count {
        let record = 12 + 16 * i;
        let tag: [u8; 4] = font.get(record..record + 4)?.try_into().ok()?;
        let offset = u32_at(font, record + 8)? as usize;
        let length = u32_at(font, record + 12)? as usize;
        let mut data = font.get(offset..offset.checked_add(length)?)?.to_vec();
        if &tag == b"name" {
            data = slim_names(&data)?;
        }
        tables.push((tag, data));
    }

    let mut out = font.get(..12)?.to_vec();
    let mut offset = 12 + 16 * count;
    let mut body = Vec::new();
    for (tag, data) in &tables {
        let mut checksum = 0u32;
        for chunk in data.chunks(4) {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            checksum = checksum.wrapping_add(u32::from_be_bytes(word));
        }
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum.to_be_bytes());
        out.extend_from_slice(&u32::try_from(offset).ok()?.to_be_bytes());
        out.extend_from_slice(&u32::try_from(data.len()).ok()?.to_be_bytes());
        body.extend_from_slice(data);
        let padded = data.len().div_ceil(4) * 4;
        body.resize(body.len() + padded - data.len(), 0);
        offset += padded;
    }
    out.extend_from_slice(&body);
    Some(out)
}

/// A format-0 `name` table with only the [`KEPT_NAMES`] records of the Windows platform.
fn slim_names(name: &[u8]) -> Option<Vec<u8>> {
    let u16_at = |at: usize| -> Option<u16> {
        Some(u16::from_be_bytes(name.get(at..at + 2)?.try_into().ok()?))
    };
    let count = usize::from(u16_at(2)?);
    let storage = usize::from(u16_at(4)?);
    let mut records = Vec::new();
    let mut strings = Vec::new();
    for i in 0..count {
        let at = 6 + 12 * i;
        let (platform, encoding, language, id) = (
            u16_at(at)?,
            u16_at(at + 2)?,
            u16_at(at + 4)?,
            u16_at(at + 6)?,
        );
        let (length, offset) = (usize::from(u16_at(at + 8)?), usize::from(u16_at(at + 10)?));
        if platform != 3 || !KEPT_NAMES.contains(&id) {
            continue;
        }
        let start = storage + offset;
        let text = name.get(start..start + length)?;
        for v in [platform, encoding, language, id] {
            records.extend_from_slice(&v.to_be_bytes());
        }
        records.extend_from_slice(&u16::try_from(length).ok()?.to_be_bytes());
        records.extend_from_slice(&u16::try_from(strings.len()).ok()?.to_be_bytes());
        strings.extend_from_slice(text);
    }
    let kept = records.len() / 12;
    if kept == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(6 + records.len() + strings.len());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&u16::try_from(kept).ok()?.to_be_bytes());
    out.extend_from_slice(&u16::try_from(6 + records.len()).ok()?.to_be_bytes());
    out.extend_from_slice(&records);
    out.extend_from_slice(&strings);
    Some(out)
}

pub(crate) struct Fonts {
    pub(crate) regular: Face,
    pub(crate) bold: Face,
}

/// Parsing the two faces costs more than laying out a page, so it happens once per process.
pub(crate) static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    Some(Fonts {
        regular: Face::parse(REGULAR_TTF)?,
        bold: Face::parse(BOLD_TTF)?,
    })
});

/// Fixed resource names instead of printpdf's random ones, so equal input gives equal bytes.
/// printpdf also uses them as the subset tag (`SDCERA+DejaVuSans`), which readers expect to
/// be six capital letters.
const REGULAR_ID: &str = "SDCERA";
const BOLD_ID: &str = "SDCERB";

// Page geometry in points (A4 landscape).
const PAGE_W: f32 = 297.0 * MM;
const PAGE_H: f32 = 210.0 * MM;
const MM: f32 = 72.0 / 25.4;
/// Text never comes closer than this to the page edge (inside the inner frame).
const TEXT_MARGIN: f32 = 30.0 * MM;

const DARK_RED: (f32, f32, f32) = (0.62, 0.08, 0.08);
const INK: (f32, f32, f32) = (0.10, 0.10, 0.12);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Weight {
    Regular,
    Bold,
}

/// One line of text placed on the page (x, y of the baseline's left end, in points).
#[derive(Debug)]
struct Placed {
    text: String,
    weight: Weight,
    size: f32,
    x: f32,
    y: f32,
    colour: (f32, f32, f32),
}

/// Lays out lines centred on `centre_x`, shrinking the size so the line stays within
/// `max_width`.
struct Layout<'f> {
    fonts: &'f Fonts,
    lines: Vec<Placed>,
}

impl<'f> Layout<'f> {
    fn face(&self, weight: Weight) -> &'f Face {
        match weight {
            Weight::Regular => &self.fonts.regular,
            Weight::Bold => &self.fonts.bold,
        }
    }

    /// Places `text` centred on `centre_x` with its baseline at `y` (points from the bottom);
    /// a line too wide for `max_width` at `size` is set smaller until it fits.
    #[allow(clippy::too_many_arguments)]
    fn centred(
        &mut self,
        text: &str,
        weight: Weight,
        size: f32,
        centre_x: f32,
        y: f32,
        max_width: f32,
        colour: (f32, f32, f32),
    ) {
        let face = self.face(weight);
        let mut size = size;
        let mut width = face.width(text, size);
        if width > max_width && width > 0.0 {
            size *= max_width / width;
            width = face.width(text, size);
        }
        self.lines.push(Placed {
            text: text.to_owned(),
            weight,
            size,
            x: centre_x - width / 2.0,
            y,
            colour,
        });
    }

    /// Breaks `text` at spaces into at most `max_lines` lines no wider than `max_width`,
    /// lowering the size until it fits; returns the lines and the size used.
    fn wrap(
        &self,
        text: &str,
        weight: Weight,
        size: f32,
        max_width: f32,
        max_lines: usize,
    ) -> (Vec<String>, f32) {
        let face = self.face(weight);
        let mut size = size;
        loop {
            let mut lines: Vec<String> = Vec::new();
            let mut current = String::new();
            for word in text.split_whitespace() {
                let candidate = if current.is_empty() {
                    word.to_owned()
                } else {
                    format!("{current} {word}")
                };
                if current.is_empty() || face.width(&candidate, size) <= max_width {
                    current = candidate;
                } else {
                    lines.push(std::mem::replace(&mut current, word.to_owned()));
                }
            }
            if !current.is_empty() {
                lines.push(current);
            }
            // At 60 % of the wanted size the text is still legible; below that one long
            // word would only get smaller, and `centred` shrinks each line to fit anyway.
            if lines.len() <= max_lines || size < 0.6 * 15.0 {
                return (lines, size);
            }
            size *= 0.9;
        }
    }
}

/// Renders the certificate PDF.
///
/// Fails when the bundled fonts cannot be parsed (a broken build), when `verify_url` is too
/// long for a QR code (over ~2 KB), or when printpdf reports an error writing the document.
pub fn render(p: &Printed<'_>) -> Result<Vec<u8>, PdfError> {
    let fonts = FONTS.as_ref().ok_or(PdfError::Font)?;
    let facts = p.facts;
    let nfc = |s: &str| s.nfc().collect::<String>();
    let code = Code::parse(&facts.code)
        .map(|c| c.display())
        .unwrap_or_else(|_| facts.code.clone());

    let mut layout = Layout {
        fonts,
        lines: Vec::new(),
    };
    let centre = PAGE_W / 2.0;
    let full = PAGE_W - 2.0 * TEXT_MARGIN;
    let from_top = |mm: f32| PAGE_H - mm * MM;

    layout.centred(
        "ĐOÀN TNCS HỒ CHÍ MINH",
        Weight::Bold,
        14.0,
        centre,
        from_top(27.0),
        full,
        INK,
    );
    layout.centred(
        &nfc(&facts.issuer).to_uppercase(),
        Weight::Regular,
        13.0,
        centre,
        from_top(33.5),
        full,
        INK,
    );
    layout.centred(
        "GIẤY CHỨNG NHẬN",
        Weight::Bold,
        34.0,
        centre,
        from_top(54.0),
        full,
        DARK_RED,
    );
    layout.centred(
        "Chứng nhận",
        Weight::Regular,
        16.0,
        centre,
        from_top(68.0),
        full,
        INK,
    );
    layout.centred(
        &nfc(&facts.holder),
        Weight::Bold,
        30.0,
        centre,
        from_top(83.0),
        full,
        DARK_RED,
    );
    if let Some(unit) = &facts.holder_unit {
        layout.centred(
            &nfc(unit),
            Weight::Regular,
            15.0,
            centre,
            from_top(94.0),
            full,
            INK,
        );
    }
    let (described, size) = layout.wrap(
        &nfc(&facts.achievement.describe()),
        Weight::Regular,
        15.0,
        full,
        3,
    );
    for (i, line) in described.iter().enumerate() {
        let y = from_top(107.0) - i as f32 * size * 1.35;
        layout.centred(line, Weight::Regular, size, centre, y, full, INK);
    }

    // The issuer's block sits right of centre, the QR code at the bottom left.
    let block_centre = 215.0 * MM;
    let block_width = 130.0 * MM;
    let date = facts.issued_on;
    layout.centred(
        &format!(
            "Cấp ngày {} tháng {} năm {}",
            date.day(),
            date.month(),
            date.year()
        ),
        Weight::Regular,
        13.0,
        block_centre,
        from_top(140.0),
        block_width,
        INK,
    );
    layout.centred(
        &format!("TM. {}", nfc(&facts.issuer).to_uppercase()),
        Weight::Bold,
        13.0,
        block_centre,
        from_top(147.0),
        block_width,
        INK,
    );
    layout.centred(
        &format!("Mã xác thực: {code}"),
        Weight::Bold,
        12.0,
        centre,
        from_top(188.0),
        full,
        INK,
    );

    let qr_size = 30.0 * MM;
    let qr_left = 30.0 * MM;
    let qr_bottom = 30.0 * MM;
    layout.centred(
        "Quét mã để kiểm tra",
        Weight::Regular,
        9.0,
        qr_left + qr_size / 2.0,
        qr_bottom - 4.5 * MM,
        qr_size + 20.0 * MM,
        INK,
    );

    let mut ops = Vec::with_capacity(64);
    if let Some(note) = p.status_note {
        stamp(&mut ops, fonts, &nfc(note));
    }
    frame(&mut ops);
    // The signature line: where the issuer signs by hand and stamps.
    ops.push(Op::SetOutlineColor { col: rgb(INK) });
    ops.push(Op::SetOutlineThickness { pt: Pt(0.6) });
    ops.push(Op::DrawPolygon {
        polygon: Polygon {
            rings: vec![ring(&[
                (block_centre - 30.0 * MM, from_top(172.0)),
                (block_centre + 30.0 * MM, from_top(172.0)),
            ])],
            mode: PaintMode::Stroke,
            winding_order: WindingOrder::NonZero,
        },
    });
    qr(&mut ops, p.verify_url, qr_left, qr_bottom, qr_size)?;
    text(&mut ops, &layout.lines);

    let mut doc = PdfDocument::new(&format!("Giấy chứng nhận {code}"));
    for (id, face) in [(REGULAR_ID, &fonts.regular), (BOLD_ID, &fonts.bold)] {
        doc.resources.fonts.map.insert(
            FontId(id.to_owned()),
            printpdf::PdfFont::new(face.parsed.clone()),
        );
    }
    let info = &mut doc.metadata.info;
    info.author = nfc(&facts.issuer);
    info.creator = "Soi Đường".to_owned();
    info.producer = "Soi Đường".to_owned();
    info.subject = format!("{} — {}", nfc(&facts.holder), code);
    // Written as a plain literal string (printpdf hex-encodes Keywords and Subject as
    // UTF-16), so a byte scan finds it; see `embedded`.
    info.identifier = payload(&facts.canonical(), p.signature);
    let issued = date
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or(0);
    if let Ok(when) = OffsetDateTime::from_unix_timestamp(issued) {
        info.creation_date = when;
        info.modification_date = when;
        info.metadata_date = when;
    }
    doc.with_pages(vec![PdfPage::new(Mm(297.0), Mm(210.0), ops)]);

    let mut warnings = Vec::new();
    let mut bytes = doc.save(&PdfSaveOptions::default(), &mut warnings);
    if let Some(w) = warnings
        .iter()
        .find(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
    {
        return Err(PdfError::Write(w.msg.clone()));
    }
    if !bytes.starts_with(b"%PDF") {
        return Err(PdfError::Write("no PDF header in the output".to_owned()));
    }
    fix_document_id(&mut bytes, &facts.canonical());
    Ok(bytes)
}

/// The embedded payload: marker, base64url of the canonical facts, `.`, signature.
fn payload(canonical: &[u8], signature: &str) -> String {
    let mut s = String::from_utf8_lossy(MARKER).into_owned();
    s.push_str(&URL_SAFE_NO_PAD.encode(canonical));
    s.push('.');
    s.push_str(signature);
    s
}

/// The longest embedded token read (base64 facts, a dot, the signature).
const MAX_TOKEN: usize = 16 * 1024;

/// Finds the signed facts and signature embedded by [`render`] with a byte scan of the file.
/// `None` when the file has no (well-formed) payload; whether the signature verifies is for
/// the caller to check against the published keys.
pub fn embedded(pdf: &[u8]) -> Option<Embedded> {
    let start = pdf.windows(MARKER.len()).position(|w| w == MARKER)? + MARKER.len();
    let rest = &pdf[start..];
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=')))
        .unwrap_or(rest.len());
    // Facts are a few hundred bytes; a longer token is not ours.
    if end > MAX_TOKEN {
        return None;
    }
    let token = std::str::from_utf8(&rest[..end]).ok()?;
    let (facts, signature) = token.split_once('.')?;
    if signature.is_empty() || signature.contains('.') {
        return None;
    }
    let facts = URL_SAFE_NO_PAD.decode(facts).ok()?;
    Some(Embedded {
        facts,
        signature: signature.to_owned(),
    })
}

/// printpdf fills the trailer's `/ID` with two random 32-character strings; they are
/// replaced in place (same length, so no offset moves) by ones derived from the signed
/// facts, making the same certificate render to the same bytes.
fn fix_document_id(pdf: &mut [u8], canonical: &[u8]) {
    const KEY: &[u8] = b"/ID";
    let Some(at) = pdf.windows(KEY.len()).rposition(|w| w == KEY) else {
        return;
    };
    let digest = Sha256::digest(canonical);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let id = hex.as_bytes();
    let mut i = at + KEY.len();
    for _ in 0..2 {
        let Some(open) = pdf[i..].iter().position(|&b| b == b'(').map(|o| i + o) else {
            return;
        };
        let Some(close) = pdf[open..]
            .iter()
            .position(|&b| b == b')')
            .map(|o| open + o)
        else {
            return;
        };
        if close - open - 1 == 32 {
            pdf[open + 1..close].copy_from_slice(&id[..32]);
        }
        i = close + 1;
    }
}

fn rgb((r, g, b): (f32, f32, f32)) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

fn ring(points: &[(f32, f32)]) -> PolygonRing {
    PolygonRing {
        points: points
            .iter()
            .map(|&(x, y)| LinePoint {
                p: Point { x: Pt(x), y: Pt(y) },
                bezier: false,
            })
            .collect(),
    }
}

fn rectangle(x: f32, y: f32, w: f32, h: f32) -> PolygonRing {
    ring(&[(x, y), (x + w, y), (x + w, y + h), (x, y + h)])
}

/// A double frame: a thicker outer line and a thin inner one.
fn frame(ops: &mut Vec<Op>) {
    ops.push(Op::SetOutlineColor { col: rgb(DARK_RED) });
    for (inset, thickness) in [(10.0, 2.2), (13.0, 0.7)] {
        ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![rectangle(
                    inset * MM,
                    inset * MM,
                    PAGE_W - 2.0 * inset * MM,
                    PAGE_H - 2.0 * inset * MM,
                )],
                mode: PaintMode::Stroke,
                winding_order: WindingOrder::NonZero,
            },
        });
    }
}

/// The QR code: one filled rectangle for each horizontal run of dark modules, drawn in
/// module units (scaled by the matrix) so the coordinates are small integers; that keeps
/// the content stream a third of the size it is with page coordinates.
fn qr(ops: &mut Vec<Op>, url: &str, left: f32, bottom: f32, size: f32) -> Result<(), PdfError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)?;
    let n = code.width();
    let colours = code.to_colors();
    let module = size / n as f32;
    ops.push(Op::SaveGraphicsState);
    ops.push(Op::SetTransformationMatrix {
        matrix: CurTransMat::Raw([module, 0.0, 0.0, module, left, bottom]),
    });
    ops.push(Op::SetFillColor {
        col: rgb((0.0, 0.0, 0.0)),
    });
    for row in 0..n {
        // Row 0 is the top of the symbol; PDF's y grows upwards.
        let y = (n - 1 - row) as f32;
        let dark = |col: usize| colours[row * n + col] == qrcode::Color::Dark;
        let mut col = 0;
        while col < n {
            if !dark(col) {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && dark(col) {
                col += 1;
            }
            ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    x: Pt(start as f32),
                    y: Pt(y),
                    width: Pt((col - start) as f32),
                    height: Pt(1.0),
                    mode: Some(PaintMode::Fill),
                    winding_order: None,
                },
            });
        }
    }
    ops.push(Op::RestoreGraphicsState);
    Ok(())
}

/// The status note, large and pale, diagonally across the page under the text.
fn stamp(ops: &mut Vec<Op>, fonts: &Fonts, note: &str) {
    let size = 72.0;
    let width = fonts.bold.width(note, size);
    // Shrink a long note to fit along the diagonal.
    let size = if width > PAGE_W * 0.9 {
        size * PAGE_W * 0.9 / width
    } else {
        size
    };
    let width = fonts.bold.width(note, size);
    let (sin, cos) = 20f32.to_radians().sin_cos();
    // Baseline start chosen so the note's centre lands on the page centre.
    let (cx, cy) = (PAGE_W / 2.0, PAGE_H / 2.0);
    let (dx, dy) = (width / 2.0, size * 0.35);
    let x = cx - dx * cos + dy * sin;
    let y = cy - dx * sin - dy * cos;
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFillColor {
        col: rgb((0.97, 0.80, 0.80)),
    });
    ops.push(Op::SetFont {
        font: PdfFontHandle::External(FontId(BOLD_ID.to_owned())),
        size: Pt(size),
    });
    ops.push(Op::SetTextMatrix {
        matrix: TextMatrix::Raw([cos, sin, -sin, cos, x, y]),
    });
    ops.push(Op::ShowText {
        items: vec![TextItem::Text(note.to_owned())],
    });
    ops.push(Op::EndTextSection);
}

fn text(ops: &mut Vec<Op>, lines: &[Placed]) {
    ops.push(Op::StartTextSection);
    for line in lines {
        let id = match line.weight {
            Weight::Regular => REGULAR_ID,
            Weight::Bold => BOLD_ID,
        };
        ops.push(Op::SetFillColor {
            col: rgb(line.colour),
        });
        ops.push(Op::SetFont {
            font: PdfFontHandle::External(FontId(id.to_owned())),
            size: Pt(line.size),
        });
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(line.x), Pt(line.y)),
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(line.text.clone())],
        });
    }
    ops.push(Op::EndTextSection);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::signing::{Signer, verify};
    use crate::domain::certificate::Achievement;
    use std::path::PathBuf;
    use std::process::Command;
    use uuid::Uuid;

    const URL: &str = "https://soiduong.example.vn/verify/";

    fn code() -> Code {
        use rand::SeedableRng;
        Code::generate(&mut rand::rngs::StdRng::seed_from_u64(30))
    }

    fn url() -> String {
        format!("{URL}{}", code().as_str())
    }

    fn facts(holder: &str) -> Facts {
        Facts {
            code: code().as_str().into(),
            holder: holder.into(),
            holder_unit: Some("Đoàn phường Mỹ Bình".into()),
            achievement: Achievement::ContestAward {
                contest_id: 3,
                contest: "Tìm hiểu lịch sử Đảng bộ tỉnh An Giang".into(),
                round_id: 9,
                round: "Vòng chung kết".into(),
                rank: 1,
                prize: Some("Giải Nhất".into()),
            },
            key_id: signer().key_id().into(),
            ..Facts::example()
        }
    }

    fn signer() -> Signer {
        Signer::new([7; 32], &[])
    }

    fn render_for(facts: &Facts, note: Option<&str>) -> (Vec<u8>, String) {
        let signature = signer().sign(&facts.canonical());
        let pdf = render(&Printed {
            facts,
            signature: &signature,
            verify_url: &url(),
            status_note: note,
        })
        .unwrap();
        (pdf, signature)
    }

    fn tool(name: &str) -> bool {
        let found = Command::new(name).arg("-v").output().is_ok();
        if !found {
            eprintln!("note: {name} is not installed; skipping that check (CI installs it)");
        }
        found
    }

    fn temp_pdf(bytes: &[u8], tag: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("soiduong-cert-{tag}-{}.pdf", Uuid::new_v4()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn certificate_is_a_small_pdf() {
        let (pdf, _) = render_for(&facts("Nguyễn Thị Ánh Tuyết"), None);
        assert!(pdf.starts_with(b"%PDF"));
        assert!(pdf.len() <= 30 * 1024, "{} bytes", pdf.len());
        // Both faces are subset, not embedded whole (each is over 700 KB).
        assert!(pdf.len() > 5 * 1024, "{} bytes: fonts missing?", pdf.len());
    }

    #[test]
    fn embedded_payload_round_trips_and_verifies() {
        let facts = facts("Nguyễn Thị Ánh Tuyết");
        let (pdf, signature) = render_for(&facts, None);
        let found = embedded(&pdf).unwrap();
        assert_eq!(found.facts, facts.canonical());
        assert_eq!(found.signature, signature);
        assert!(verify(
            signer().keys(),
            &facts.key_id,
            &found.facts,
            &found.signature
        ));
    }

    #[test]
    fn a_file_without_a_payload_or_with_a_broken_one_yields_none() {
        assert_eq!(embedded(b"%PDF-1.3 nothing here"), None);
        assert_eq!(embedded(b"SOIDUONG-CERT-V1:eyJhIjoxfQ"), None);
        assert_eq!(embedded(b"SOIDUONG-CERT-V1:!!!.sig"), None);
        assert_eq!(
            embedded(b"(SOIDUONG-CERT-V1:eyJhIjoxfQ.c2ln)"),
            Some(Embedded {
                facts: br#"{"a":1}"#.to_vec(),
                signature: "c2ln".into()
            })
        );
    }

    #[test]
    fn a_revoked_certificate_carries_its_note_and_stays_small() {
        let facts = facts("Nguyễn Thị Ánh Tuyết");
        let (valid, _) = render_for(&facts, None);
        let (revoked, _) = render_for(&facts, Some("ĐÃ THU HỒI"));
        assert_ne!(valid, revoked);
        assert!(revoked.len() <= 30 * 1024, "{} bytes", revoked.len());
        assert_eq!(embedded(&revoked).unwrap().facts, facts.canonical());
    }

    #[test]
    fn same_certificate_renders_to_the_same_bytes() {
        let facts = facts("Nguyễn Thị Ánh Tuyết");
        assert_eq!(render_for(&facts, None).0, render_for(&facts, None).0);
    }

    #[test]
    fn long_names_are_shrunk_to_stay_centred_inside_the_page() {
        let fonts = FONTS.as_ref().unwrap();
        let name = "Tôn Nữ Hoàng Thị Huyền Trân Nguyễn Phước Ý";
        let name = format!("{name} Đặng Lê");
        assert!(name.chars().count() >= 40);
        let mut layout = Layout {
            fonts,
            lines: Vec::new(),
        };
        let max = PAGE_W - 2.0 * TEXT_MARGIN;
        layout.centred(&name, Weight::Bold, 30.0, PAGE_W / 2.0, 300.0, max, INK);
        let placed = &layout.lines[0];
        let width = fonts.bold.width(&name, placed.size);
        assert!(placed.size < 30.0);
        assert!(placed.x >= TEXT_MARGIN - 0.01, "x = {}", placed.x);
        assert!(placed.x + width <= PAGE_W - TEXT_MARGIN + 0.01);
        assert!((placed.x + width / 2.0 - PAGE_W / 2.0).abs() < 0.01);
        // A short name keeps its size.
        layout.centred("Lê An", Weight::Bold, 30.0, PAGE_W / 2.0, 300.0, max, INK);
        assert_eq!(layout.lines[1].size, 30.0);
    }

    #[test]
    fn text_widths_come_from_the_glyph_advances() {
        let fonts = FONTS.as_ref().unwrap();
        // DejaVu Sans: 2048 units per em, "i" advances 569 units, "W" 2025.
        let i = fonts.regular.width("i", 2048.0);
        let w = fonts.regular.width("W", 2048.0);
        assert!(i > 400.0 && i < 700.0, "{i}");
        assert!(w > 1800.0, "{w}");
        assert!(fonts.bold.width("Ánh", 10.0) > fonts.regular.width("Ánh", 10.0));
        for c in "ẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹĐđƠơƯư".chars() {
            assert!(
                fonts.regular.parsed.lookup_glyph_index(u32::from(c)).is_some()
                    && fonts.bold.parsed.lookup_glyph_index(u32::from(c)).is_some(),
                "no glyph for {c}"
            );
        }
    }

    #[test]
    fn slimmed_fonts_keep_the_copyright_and_every_other_table() {
        let slim = slim_name_table(REGULAR_TTF).unwrap();
        assert!(slim.len() + 10_000 < REGULAR_TTF.len(), "{}", slim.len());
        let names = |font: &[u8]| -> String {
            let utf16: Vec<u16> = font
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&utf16)
        };
        assert!(names(&slim).contains("Bitstream"));
        let face = Face::parse(BOLD_TTF).unwrap();
        let full = ParsedFont::from_bytes(BOLD_TTF, 0, &mut Vec::new()).unwrap();
        assert_eq!(face.parsed.num_glyphs, full.num_glyphs);
        for c in "Nguyễn Thị Ánh Tuyết".chars() {
            let gid = full.lookup_glyph_index(u32::from(c)).unwrap();
            assert_eq!(face.parsed.lookup_glyph_index(u32::from(c)), Some(gid));
            assert_eq!(
                face.parsed.get_horizontal_advance(gid),
                full.get_horizontal_advance(gid)
            );
        }
        // Anything that is not an sfnt is left alone.
        assert_eq!(slim_name_table(b"not a font"), None);
    }

    #[test]
    fn text_of_the_pdf_has_the_name_code_and_date() {
        if !tool("pdftotext") {
            return;
        }
        let (pdf, _) = render_for(&facts("Nguyễn Thị Ánh Tuyết"), Some("ĐÃ THU HỒI"));
        let path = temp_pdf(&pdf, "text");
        let out = Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout)
            .unwrap()
            .nfc()
            .collect::<String>();
        let printed_code = code().display();
        for expected in [
            "Nguyễn Thị Ánh Tuyết",
            "Đoàn phường Mỹ Bình",
            "GIẤY CHỨNG NHẬN",
            printed_code.as_str(),
            "ngày 30 tháng 11 năm 2026",
            "TM. TỈNH ĐOÀN AN GIANG",
            "Giải Nhất",
            "Quét mã để kiểm tra",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
    }

    #[test]
    fn qr_code_decodes_to_the_verification_url() {
        if !tool("pdftoppm") || !tool("zbarimg") {
            return;
        }
        let (pdf, _) = render_for(&facts("Nguyễn Thị Ánh Tuyết"), None);
        let path = temp_pdf(&pdf, "qr");
        let prefix = path.with_extension("");
        let ok = Command::new("pdftoppm")
            .args(["-r", "150", "-png", "-singlefile"])
            .arg(&path)
            .arg(&prefix)
            .status()
            .unwrap();
        assert!(ok.success());
        let png = prefix.with_extension("png");
        let out = Command::new("zbarimg")
            .args(["--quiet", "--raw"])
            .arg(&png)
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&png);
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), url());
    }
}
