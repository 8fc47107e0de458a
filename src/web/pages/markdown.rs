//! Lesson bodies: Markdown to HTML with nothing of the author's HTML passed through.
//!
//! Raw HTML (blocks and inline) becomes text, so it is escaped; links keep only http, https
//! and relative targets (anything else points at `#`); images load only from this site (a
//! remote image becomes a link, since the page makes no third-party request); headings move
//! one level down under the page's `h1`; table alignment (inline styles, refused by the CSP)
//! is dropped.

use pulldown_cmark::{Alignment, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Whether a link target is http, https or relative. Control characters and whitespace are
/// ignored first, as browsers ignore them in a scheme (`java\tscript:`).
pub fn allowed_link(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match cleaned.find([':', '/', '?', '#']) {
        Some(i) if cleaned[i..].starts_with(':') => {
            matches!(&cleaned[..i], "http" | "https")
        }
        _ => true,
    }
}

/// A path on this site (an image may load from it).
fn local(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\") && allowed_link(url)
}

fn safe(url: CowStr<'_>) -> CowStr<'_> {
    if allowed_link(&url) {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

fn lower(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// The HTML of a Markdown body, safe to put in a page as is.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // For each open image: whether it was turned into a link.
    let mut images: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let inline = local(&dest_url);
            images.push(!inline);
            if inline {
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            } else {
                Event::Start(Tag::Link {
                    link_type,
                    dest_url: safe(dest_url),
                    title,
                    id,
                })
            }
        }
        Event::End(TagEnd::Image) => {
            if images.pop().unwrap_or(false) {
                Event::End(TagEnd::Link)
            } else {
                Event::End(TagEnd::Image)
            }
        }
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: lower(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(lower(level))),
        Event::Start(Tag::Table(aligns)) => {
            Event::Start(Tag::Table(vec![Alignment::None; aligns.len()]))
        }
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const TAGS: &[&str] = &[
        "p",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "em",
        "strong",
        "del",
        "a",
        "img",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "hr",
        "br",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ];
    const ATTRIBUTES: &[&str] = &["href", "src", "alt", "title", "start", "class"];

    /// Every tag of `html` is one Markdown makes, with only its attributes, and no URL
    /// attribute holds a script. A `<` that is not a tag is escaped, so each `<` opens a tag.
    fn assert_inert(html: &str) {
        assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').expect("a tag ends") + start;
            let tag = rest[start + 1..end].trim_end_matches('/').trim();
            let tag = tag.strip_prefix('/').unwrap_or(tag);
            let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
            assert!(TAGS.contains(&name), "tag {name} in {html}");
            while let Some((attr, after)) = attrs.trim_start().split_once("=\"") {
                assert!(ATTRIBUTES.contains(&attr), "attribute {attr} in {html}");
                let (value, after) = after.split_once('"').expect("a value ends");
                if attr == "href" || attr == "src" {
                    assert!(allowed_link(value), "{attr}={value} in {html}");
                    assert!(!value.to_ascii_lowercase().contains("javascript:"));
                }
                attrs = after;
            }
            assert!(attrs.trim().is_empty(), "stray {attrs} in {html}");
            rest = &rest[end + 1..];
        }
    }

    #[test]
    fn raw_html_is_text_and_scripts_lose_their_links() {
        let html = render(
            "# Bài 1\n\n<script>alert(1)</script>\n\nXem <img src=x onerror=alert(1)> và \
             [đây](javascript:alert(1)), [kia](https://thanhnien.vn), ![ảnh](https://x.vn/a.png)",
        );
        assert!(html.contains("<h2>Bài 1</h2>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(html.contains("<a href=\"#\">đây</a>"), "{html}");
        assert!(
            html.contains("<a href=\"https://thanhnien.vn\">kia</a>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"https://x.vn/a.png\">ảnh</a>"),
            "{html}"
        );
        assert_inert(&html);
    }

    #[test]
    fn only_web_and_relative_links_are_allowed() {
        for ok in [
            "https://a.vn",
            "HTTP://a.vn",
            "/bai-hoc/2",
            "bai-2",
            "#phan-2",
            "?a=b:c",
        ] {
            assert!(allowed_link(ok), "{ok}");
        }
        for bad in [
            "javascript:x",
            " JavaScript:x",
            "java\tscript:x",
            "data:text/html,x",
            "vbscript:x",
            "mailto:a@b.vn",
        ] {
            assert!(!allowed_link(bad), "{bad}");
        }
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("<script>alert(1)</script>".to_owned()),
            Just("<img src=x onerror=alert(1)>".to_owned()),
            Just("[a](javascript:alert(1))".to_owned()),
            Just("![i](javascript:alert(1))".to_owned()),
            Just("<javascript:alert(1)>".to_owned()),
            Just("[r]: javascript:alert(1)\n[x][r]".to_owned()),
            Just("<a href=\"javascript:x\" onclick=y>".to_owned()),
            Just("| a | b |\n|:-|-:|\n| 1 | 2 |\n".to_owned()),
            Just("\n".to_owned()),
            Just("`".to_owned()),
            Just("    ".to_owned()),
            Just("> ".to_owned()),
            Just("# ".to_owned()),
            Just("&#106;avascript:".to_owned()),
            "[\\[\\]()<>!*_`:=\"' a-zA-Z/\\\\&#;-]{0,12}",
            any::<String>(),
        ]
    }

    proptest! {
        #[test]
        fn no_script_survives_any_input(parts in proptest::collection::vec(fragment(), 0..24)) {
            assert_inert(&render(&parts.concat()));
        }
    }
}
