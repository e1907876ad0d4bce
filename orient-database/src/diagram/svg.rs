//! A schema as an SVG entity-relationship diagram, laid out by [`crate::diagram::layout`].
//!
//! The picture is self-contained: colours and fonts are SVG presentation attributes, not a `<style>`
//! element or `style=` attributes, so it looks the same as a file on its own and inside a page whose
//! Content-Security-Policy forbids inline styles (the studio's `default-src 'self'`). Elements carry
//! classes (`er-table`, `er-box`, `er-link`…) that a page's stylesheet may use for hover effects. Every
//! name is XML-escaped; link targets are percent-encoded as well.
//!
//! Each table is a box: its name on a dark header, then one row per column with its key markers (`PK`,
//! `FK`, `UK`), its name and its logical type (`?` when nullable). Each foreign key is a line from the
//! key's row to the referenced row, with crow's-foot marks: at the parent, two bars (exactly one) or a
//! bar and a circle (zero or one: the key is nullable); at the child, a crow's foot and a circle (zero or
//! more) or a bar and a circle (zero or one: the key is unique).

use crate::diagram::layout::{self, Connector, Layout, Point, Style, TableBox};
use crate::model::Schema;

/// How to draw.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub style: Style,
    /// Makes each table box a link to this prefix followed by the percent-encoded table name (the studio
    /// uses `#/table/`). No links when `None`.
    pub link_prefix: Option<String>,
}

const FONT: &str = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace";
const LABEL_FONT: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Liberation Sans', sans-serif";
const BACKGROUND: &str = "#f8fafc";
const BOX: &str = "#ffffff";
const OUTLINE: &str = "#b9c2cf";
const HEADER: &str = "#22304a";
const TITLE: &str = "#ffffff";
const STRIPE: &str = "#f3f5f9";
const INK: &str = "#1d2430";
const MUTED: &str = "#6b7484";
const LINE: &str = "#8792a6";
const PRIMARY: &str = "#b45309";
const FOREIGN: &str = "#2563c9";
const UNIQUE: &str = "#7c3aed";

/// The SVG document of a schema.
pub fn render(schema: &Schema, options: &Options) -> String {
    render_layout(&layout::layout(schema, &options.style), options)
}

/// The SVG document of a laid-out schema.
pub fn render_layout(layout: &Layout, options: &Options) -> String {
    let style = &options.style;
    let (w, h) = (num(layout.width), num(layout.height));
    let summary = format!(
        "Schema diagram: {} tables, {} foreign keys",
        layout.boxes.len(),
        layout.connectors.len()
    );
    let mut out = String::new();
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"er-diagram\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" font-family=\"{FONT}\" font-size=\"{}\">\n",
        escape(&summary),
        num(style.font_size)
    ));
    out.push_str(&format!("<title>{}</title>\n", escape(&summary)));
    out.push_str(&format!(
        "<rect class=\"er-background\" width=\"{w}\" height=\"{h}\" fill=\"{BACKGROUND}\"/>\n"
    ));
    for label in &layout.labels {
        out.push_str(&format!(
            "<text class=\"er-section\" x=\"{}\" y=\"{}\" font-family=\"{LABEL_FONT}\" font-size=\"13\" \
             font-weight=\"600\" fill=\"{MUTED}\">{}</text>\n",
            num(label.x),
            num(label.y),
            escape(&label.text)
        ));
    }
    out.push_str(&format!(
        "<g class=\"er-links\" fill=\"none\" stroke=\"{LINE}\" stroke-width=\"1.4\" stroke-linejoin=\"round\">\n"
    ));
    for connector in &layout.connectors {
        out.push_str(&link(connector));
    }
    out.push_str("</g>\n<g class=\"er-tables\">\n");
    for table in &layout.boxes {
        out.push_str(&table_box(table, options));
    }
    out.push_str("</g>\n</svg>\n");
    out
}

fn table_box(b: &TableBox, options: &Options) -> String {
    let style = &options.style;
    let (w, h, hh) = (num(b.width), num(b.height), num(b.header_height));
    let mut out = String::new();
    if let Some(prefix) = &options.link_prefix {
        out.push_str(&format!(
            "<a class=\"er-table-link\" href=\"{}\">\n",
            escape(&format!("{prefix}{}", percent_encode(&b.name)))
        ));
    }
    out.push_str(&format!(
        "<g class=\"er-table\" data-table=\"{}\" transform=\"translate({},{})\">\n",
        escape(&b.name),
        num(b.x),
        num(b.y)
    ));
    out.push_str(&format!(
        "<title>{} · {} columns</title>\n",
        escape(&b.name),
        b.rows.len()
    ));
    out.push_str(&format!(
        "<rect class=\"er-box\" width=\"{w}\" height=\"{h}\" rx=\"6\" fill=\"{BOX}\"/>\n"
    ));
    out.push_str(&format!(
        "<path class=\"er-header\" d=\"M0,{hh}V6A6,6 0 0 1 6,0H{}A6,6 0 0 1 {w},6V{hh}Z\" fill=\"{HEADER}\"/>\n",
        num(b.width - 6.0)
    ));
    out.push_str(&format!(
        "<text class=\"er-name\" x=\"{}\" y=\"{}\" font-size=\"{}\" font-weight=\"700\" fill=\"{TITLE}\">{}</text>\n",
        num(style.padding),
        num(b.header_height / 2.0 + style.title_font_size * 0.36),
        num(style.title_font_size),
        escape(&b.title)
    ));
    for (i, row) in b.rows.iter().enumerate() {
        let middle = b.row_middle(i) - b.y;
        let top = middle - b.row_height / 2.0;
        let baseline = num(middle + style.font_size * 0.35);
        out.push_str(&format!(
            "<g class=\"er-row\" data-column=\"{}\">\n",
            escape(&row.name)
        ));
        if i % 2 == 1 {
            out.push_str(&format!(
                "<rect class=\"er-stripe\" x=\"1\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{STRIPE}\"/>\n",
                num(top),
                num(b.width - 2.0),
                num(b.row_height)
            ));
        }
        if !row.keys.is_empty() {
            let marks: Vec<String> = [
                (row.keys.primary, "PK", PRIMARY),
                (row.keys.foreign, "FK", FOREIGN),
                (row.keys.unique, "UK", UNIQUE),
            ]
            .iter()
            .filter(|(on, _, _)| *on)
            .map(|(_, label, colour)| format!("<tspan fill=\"{colour}\">{label}</tspan>"))
            .collect();
            out.push_str(&format!(
                "<text class=\"er-keys\" x=\"{}\" y=\"{baseline}\" font-size=\"{}\" font-weight=\"700\">{}</text>\n",
                num(style.padding),
                num(style.small_font_size),
                marks.join(" ")
            ));
        }
        out.push_str(&format!(
            "<text class=\"er-column\" x=\"{}\" y=\"{baseline}\" fill=\"{INK}\">{}</text>\n",
            num(style.padding + b.key_width),
            escape(&row.label)
        ));
        out.push_str(&format!(
            "<text class=\"er-type\" x=\"{}\" y=\"{baseline}\" font-size=\"{}\" text-anchor=\"end\" fill=\"{MUTED}\">{}</text>\n",
            num(b.width - style.padding),
            num(style.small_font_size),
            escape(&row.type_label)
        ));
        out.push_str("</g>\n");
    }
    out.push_str(&format!(
        "<rect class=\"er-outline\" x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"none\" stroke=\"{OUTLINE}\"/>\n",
        num(b.width - 1.0),
        num(b.height - 1.0)
    ));
    out.push_str("</g>\n");
    if options.link_prefix.is_some() {
        out.push_str("</a>\n");
    }
    out
}

/// One foreign key: its line and the cardinality marks at both ends.
fn link(c: &Connector) -> String {
    let path: Vec<String> = c
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "{}{},{}",
                if i == 0 { "M" } else { "L" },
                num(p.x),
                num(p.y)
            )
        })
        .collect();
    let n = c.points.len();
    let mut out = format!(
        "<g class=\"er-link\" data-child=\"{}\" data-columns=\"{}\" data-parent=\"{}\">\n",
        escape(&c.child),
        escape(&c.columns.join(",")),
        escape(&c.parent)
    );
    out.push_str(&format!(
        "<title>{}.{} → {}.{} (on delete {})</title>\n",
        escape(&c.child),
        escape(&c.columns.join(", ")),
        escape(&c.parent),
        escape(&c.references.join(", ")),
        c.on_delete.as_sql().to_lowercase()
    ));
    out.push_str(&format!(
        "<path class=\"er-line\" d=\"{}\"/>\n",
        path.join("")
    ));
    if n >= 2 {
        // Child end: many (crow's foot) or at most one; never fewer than zero.
        let (at, away) = (c.points[0], direction(c.points[0], c.points[1]));
        let mut marks = if c.one_to_one {
            bar(at, away, 7.0, 6.0)
        } else {
            crow(at, away)
        };
        let mut circles = vec![circle(at, away, 16.0, 4.0)];
        // Parent end: exactly one, or zero or one when the key is nullable. Smaller when two lines leave
        // one row apart, so that their marks do not touch.
        let (at, away) = (c.points[n - 1], direction(c.points[n - 1], c.points[n - 2]));
        let size = if c.parent_offset == 0.0 { 6.0 } else { 3.5 };
        marks.push_str(&bar(at, away, 7.0, size));
        if c.optional {
            circles.push(circle(at, away, 13.0 + size / 2.0, size * 2.0 / 3.0));
        } else {
            marks.push_str(&bar(at, away, 12.0, size));
        }
        out.push_str(&format!("<path class=\"er-marks\" d=\"{marks}\"/>\n"));
        out.push_str(&circles.concat());
    }
    out.push_str("</g>\n");
    out
}

/// +1 or -1: the horizontal direction from a box side into the line.
fn direction(from: Point, to: Point) -> f64 {
    if to.x < from.x { -1.0 } else { 1.0 }
}

fn bar(at: Point, away: f64, distance: f64, half: f64) -> String {
    let x = num(at.x + away * distance);
    format!("M{x},{}V{}", num(at.y - half), num(at.y + half))
}

fn crow(at: Point, away: f64) -> String {
    let tip = num(at.x + away * 11.0);
    let x = num(at.x);
    format!(
        "M{x},{}L{tip},{y}M{x},{}L{tip},{y}",
        num(at.y - 6.0),
        num(at.y + 6.0),
        y = num(at.y)
    )
}

fn circle(at: Point, away: f64, distance: f64, radius: f64) -> String {
    format!(
        "<circle class=\"er-zero\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{BACKGROUND}\"/>\n",
        num(at.x + away * distance),
        num(at.y),
        num(radius)
    )
}

/// A coordinate with at most one decimal, without a trailing `.0`.
fn num(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

/// Text and attribute values: the five XML special characters escaped, and characters XML 1.0 cannot
/// hold at all (control characters other than tab and line breaks) replaced.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Everything but `A–Z a–z 0–9 - _ . ~` as `%XX` (what `decodeURIComponent` reads back).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::diagram::tests::small_schema;
    use crate::model::{Column, ColumnType, Table};
    use crate::schema::TABLES;

    fn studio() -> Options {
        Options {
            link_prefix: Some("#/table/".to_owned()),
            ..Options::default()
        }
    }

    #[test]
    fn every_declared_table_and_foreign_key_is_drawn() {
        let schema = Schema::from_declared(TABLES);
        let svg = render(&schema, &studio());
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<g class=\"er-table\" ").count(), TABLES.len());
        assert_eq!(
            svg.matches("<a class=\"er-table-link\"").count(),
            TABLES.len()
        );
        for table in TABLES {
            assert!(
                svg.contains(&format!("data-table=\"{}\"", table.name)),
                "{}",
                table.name
            );
            assert!(
                svg.contains(&format!("href=\"#/table/{}\"", table.name)),
                "{}",
                table.name
            );
        }
        assert_eq!(
            svg.matches("<g class=\"er-link\" ").count(),
            schema.foreign_key_count()
        );
        assert!(svg.contains(
            "data-child=\"agent_skills\" data-columns=\"agent_id\" data-parent=\"agents\""
        ));
        // Nothing a Content-Security-Policy without 'unsafe-inline' would block.
        assert!(!svg.contains("style"), "no <style> and no style=");
        assert!(!svg.contains("<script"));
        assert!(
            !svg.split(' ')
                .any(|w| w.starts_with("on") && w.contains("=\"")),
            "no event handlers"
        );
        // Balanced groups.
        assert_eq!(svg.matches("<g ").count(), svg.matches("</g>").count());
        assert_eq!(svg.matches("<a ").count(), svg.matches("</a>").count());
    }

    #[test]
    fn names_are_escaped_and_links_encoded() {
        let mut table = Table::new("<b>&\"x'");
        table.columns = vec![
            Column::new("a<b", ColumnType::Text),
            Column::new("c\u{1}d", ColumnType::Text),
        ]
        .into();
        let svg = render(&Schema::new(vec![table]), &studio());
        assert!(
            svg.contains("data-table=\"&lt;b&gt;&amp;&quot;x&#39;\""),
            "{svg}"
        );
        assert!(svg.contains("href=\"#/table/%3Cb%3E%26%22x%27\""), "{svg}");
        assert!(svg.contains(">a&lt;b</text>"), "{svg}");
        assert!(svg.contains(">c\u{FFFD}d</text>"), "{svg}");
        assert!(!svg.contains("<b>"));
    }

    #[test]
    fn cardinality_marks_follow_the_relationship() {
        let svg = render(&small_schema(), &Options::default());
        assert!(!svg.contains("<a "), "no links without a prefix");
        let link = |child: &str, column: &str| -> String {
            let start = svg
                .find(&format!("data-child=\"{child}\" data-columns=\"{column}\""))
                .unwrap_or_else(|| panic!("{child}.{column}"));
            let end = start + svg[start..].find("</g>").unwrap_or(0);
            svg[start..end].to_owned()
        };
        // Required many-to-one: crow's foot and a circle at the child, two bars at the parent.
        let author = link("posts", "author_id");
        assert_eq!(author.matches("<circle").count(), 1, "{author}");
        assert_eq!(author.matches('V').count(), 2, "{author}");
        // Optional: a circle at the parent instead of the second bar.
        let editor = link("posts", "editor_id");
        assert_eq!(editor.matches("<circle").count(), 2, "{editor}");
        assert_eq!(editor.matches('V').count(), 1, "{editor}");
        // One-to-one: a bar instead of the crow's foot at the child.
        let profile = link("profiles", "user_id");
        assert_eq!(profile.matches("<circle").count(), 1, "{profile}");
        assert_eq!(profile.matches('V').count(), 3, "{profile}");
        assert!(profile.contains("(on delete cascade)"), "{profile}");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.04), "12");
        assert_eq!(num(12.25), "12.3");
        assert_eq!(num(-3.5), "-3.5");
    }
}
