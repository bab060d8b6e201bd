//! Drawing a chart as SVG with plotters: axes, bars, lines and value labels that never overlap.

use super::*;
use plotters::coord::Shift;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(super) fn register_font() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// Thousands separators and at most two decimals.
pub(super) fn number_label(x: f64) -> String {
    let neg = x < 0.0;
    let r = (x.abs() * 100.0).round() / 100.0;
    let int = r.trunc() as u64;
    let frac = ((r - r.trunc()) * 100.0).round() as u64;
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let mut s = if neg { format!("-{grouped}") } else { grouped };
    if frac > 0 {
        let f = format!("{frac:02}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

/// A "nice" tick step for a range.
pub(super) fn nice_step(range: f64) -> f64 {
    if range <= 0.0 || !range.is_finite() {
        return 1.0;
    }
    let raw = range / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

pub(super) fn axis_range(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    let mut whole = true;
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
        whole &= v.fract() == 0.0;
    }
    if hi == lo {
        hi = lo + 1.0;
    }
    // Counts get whole-number ticks.
    let step = if whole {
        nice_step(hi - lo).max(1.0)
    } else {
        nice_step(hi - lo)
    };
    (
        (lo / step).floor() * step,
        (hi * 1.1 / step).ceil() * step,
        step,
    )
}

/// Splits a long label into lines of at most `width` characters, at most three lines.
pub(super) fn wrap(label: &str, width: usize) -> Vec<String> {
    // A month (`1—10月`) stays on one line.
    if label.ends_with('月') && !label.contains('年') && label.chars().count() <= 6 {
        return vec![label.to_string()];
    }
    // Period labels break after the year: `2022年` / `1—10月`.
    if let Some((year, rest)) = label.split_once('年') {
        if label.chars().count() > width
            && !rest.is_empty()
            && year.chars().all(|c| c.is_ascii_digit())
        {
            return vec![format!("{year}年"), rest.to_string()];
        }
    }
    let chars: Vec<char> = label.chars().collect();
    let mut lines: Vec<String> = chars.chunks(width).map(|c| c.iter().collect()).collect();
    if lines.len() > 3 {
        lines.truncate(3);
        if let Some(last) = lines.last_mut() {
            last.pop();
            last.push('…');
        }
    }
    lines
}

pub(super) fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

pub(super) fn draw(root: &Area, c: &ChartData) -> Result<(), String> {
    let e = |err: DrawingAreaErrorKind<_>| err.to_string();
    root.fill(&WHITE).map_err(e)?;
    let title = font(22.0).pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(&c.title, &title, (WIDTH as i32 / 2, 14))
        .map_err(e)?;
    let right = if c.line.is_some() { 880 } else { 930 };
    let (left, top, bottom) = (90i32, 80i32, 440i32);
    let small = font(13.0);
    let unit_pos = small.pos(Pos::new(HPos::Left, VPos::Bottom));
    root.draw_text(&c.unit_line, &unit_pos, (left - 60, top - 16))
        .map_err(e)?;

    let n = c.categories.len().max(1);
    let stacked = matches!(c.kind, ChartKind::Stacked | ChartKind::Share);
    // Value range: stacked bars reach the sum of each category.
    let extent: Vec<f64> = if stacked {
        (0..n)
            .flat_map(|i| {
                let pos: f64 = c
                    .series
                    .iter()
                    .filter_map(|(_, v)| v.get(i).copied().flatten())
                    .filter(|x| *x > 0.0)
                    .sum();
                let neg: f64 = c
                    .series
                    .iter()
                    .filter_map(|(_, v)| v.get(i).copied().flatten())
                    .filter(|x| *x < 0.0)
                    .sum();
                [pos, neg]
            })
            .collect()
    } else {
        c.series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten().copied())
            .collect()
    };
    let (lo, hi, step) = axis_range(extent.into_iter());
    let y_of = |v: f64| bottom - ((v - lo) / (hi - lo) * (bottom - top) as f64).round() as i32;
    let grid = RGBColor(220, 220, 220);
    let mut t = lo;
    while t <= hi + step * 0.01 {
        let y = y_of(t);
        root.draw(&PathElement::new(vec![(left, y), (right, y)], grid))
            .map_err(e)?;
        let tick = small.pos(Pos::new(HPos::Right, VPos::Center));
        root.draw_text(&number_label(t), &tick, (left - 8, y))
            .map_err(e)?;
        t += step;
    }
    let zero = y_of(0.0f64.max(lo));
    root.draw(&PathElement::new(vec![(left, zero), (right, zero)], BLACK))
        .map_err(e)?;

    let slot = (right - left) as f64 / n as f64;
    let ns = c.series.len().max(1);
    let per_slot = if stacked { 1 } else { ns };
    let bar_w = (slot * 0.7 / per_slot as f64).min(90.0);
    let group_pad = (slot - bar_w * per_slot as f64) / 2.0;
    let label_bars = n * per_slot <= LABELLED_BARS && c.kind != ChartKind::Line;
    let label_width = ((slot / 14.0).floor() as usize).clamp(2, 12);
    let center = |i: usize| (left as f64 + slot * (i as f64 + 0.5)).round() as i32;
    let value_style = font(12.0).pos(Pos::new(HPos::Center, VPos::Bottom));
    // Value labels are placed once every bar and point is known, so that none overlaps
    // another (see [`place_labels`]).
    let mut labels: Vec<Label> = Vec::new();
    let mut markers: Vec<(i32, i32, i32, i32)> = Vec::new();
    for (i, cat) in c.categories.iter().enumerate() {
        let x0 = left as f64 + slot * i as f64 + group_pad;
        let (mut up, mut down) = (0.0f64, 0.0f64);
        for (si, (_, vals)) in c.series.iter().enumerate() {
            let Some(v) = vals.get(i).copied().flatten() else {
                continue;
            };
            let color = PALETTE[si % PALETTE.len()];
            if c.kind == ChartKind::Line {
                continue;
            }
            let (bx, from, to) = if stacked {
                let base = if v >= 0.0 { up } else { down };
                if v >= 0.0 {
                    up += v;
                } else {
                    down += v;
                }
                (x0, base, base + v)
            } else {
                (x0 + bar_w * si as f64, 0.0f64.max(lo), v)
            };
            let (y1, y2) = (y_of(from), y_of(to));
            let rect = [
                (bx.round() as i32, y1.min(y2)),
                ((bx + bar_w).round() as i32 - 1, y1.max(y2)),
            ];
            root.draw(&Rectangle::new(rect, color.filled()))
                .map_err(e)?;
            if label_bars && !stacked {
                labels.push(Label::bar(
                    number_label(v),
                    (bx + bar_w / 2.0).round() as i32,
                    y1.min(y2) - 3,
                ));
            }
        }
        if label_bars && stacked && c.kind == ChartKind::Stacked {
            labels.push(Label::bar(number_label(up + down), center(i), y_of(up) - 3));
        }
        for (li, line) in wrap(cat, label_width).iter().enumerate() {
            let style = small.pos(Pos::new(HPos::Center, VPos::Top));
            root.draw_text(line, &style, (center(i), bottom + 8 + 17 * li as i32))
                .map_err(e)?;
        }
    }
    if c.kind == ChartKind::Line {
        for (si, (_, vals)) in c.series.iter().enumerate() {
            let color = PALETTE[si % PALETTE.len()];
            let pts: Vec<(i32, i32)> = vals
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (center(i), y_of(v))))
                .collect();
            root.draw(&PathElement::new(pts.clone(), color.stroke_width(2)))
                .map_err(e)?;
            for p in &pts {
                root.draw(&Circle::new(*p, 3, color.filled())).map_err(e)?;
            }
        }
    }

    if let Some((_, vals)) = &c.line {
        let (llo, lhi, lstep) = axis_range(vals.iter().flatten().copied());
        let ly = |v: f64| bottom - ((v - llo) / (lhi - llo) * (bottom - top) as f64).round() as i32;
        let mut t = llo;
        while t <= lhi + lstep * 0.01 {
            let tick = small.pos(Pos::new(HPos::Left, VPos::Center));
            root.draw_text(&format!("{}%", number_label(t)), &tick, (right + 8, ly(t)))
                .map_err(e)?;
            t += lstep;
        }
        let pts: Vec<(i32, i32)> = vals
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (center(i), ly(v))))
            .collect();
        root.draw(&PathElement::new(pts.clone(), LINE_COLOR.stroke_width(2)))
            .map_err(e)?;
        for (p, v) in pts.iter().zip(vals.iter().flatten()) {
            root.draw(&Circle::new(*p, 4, LINE_COLOR.filled()))
                .map_err(e)?;
            labels.push(Label::point(format!("{}%", number_label(*v)), p.0, p.1));
            markers.push((p.0 - 4, p.1 - 4, p.0 + 4, p.1 + 4));
        }
    }
    for (label, bottom) in labels.iter().zip(place_labels(&labels, &markers)) {
        if let Some(bottom) = bottom {
            root.draw_text(&label.text, &value_style, (label.x, bottom))
                .map_err(e)?;
        }
    }

    // Legend, bottom left.
    let mut x = left;
    let ly = 515;
    let mut entries: Vec<(String, RGBColor)> = c
        .series
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.clone(), PALETTE[i % PALETTE.len()]))
        .collect();
    if let Some((n, _)) = &c.line {
        entries.push((n.clone(), LINE_COLOR));
    }
    for (name, color) in entries {
        root.draw(&Rectangle::new(
            [(x, ly - 6), (x + 12, ly + 6)],
            color.filled(),
        ))
        .map_err(e)?;
        root.draw_text(
            &name,
            &small.pos(Pos::new(HPos::Left, VPos::Center)),
            (x + 18, ly),
        )
        .map_err(e)?;
        x += 30 + 14 * name.chars().count() as i32;
    }
    root.present().map_err(e)?;
    Ok(())
}

/// A value label to place: centred on `x`, its bottom at one of `bottoms` (tried in order).
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub text: String,
    pub x: i32,
    pub bottoms: Vec<i32>,
}

impl Label {
    /// A bar's value: above the bar, else one and two label heights higher.
    pub fn bar(text: String, x: i32, bottom: i32) -> Label {
        let h = VALUE_LABEL_HEIGHT;
        Label {
            text,
            x,
            bottoms: vec![bottom, bottom - h, bottom - 2 * h],
        }
    }

    /// A line point's value: above the point, below it, or higher up.
    pub fn point(text: String, x: i32, y: i32) -> Label {
        let h = VALUE_LABEL_HEIGHT;
        Label {
            text,
            x,
            bottoms: vec![y - 6, y + 6 + h, y - 6 - h, y + 6 + 2 * h, y - 6 - 2 * h],
        }
    }

    /// The label's box (left, top, right, bottom) with its bottom at `bottom`.
    pub fn bounds(&self, bottom: i32) -> (i32, i32, i32, i32) {
        let w = text_width(&self.text);
        (
            self.x - w / 2 - 1,
            bottom - VALUE_LABEL_HEIGHT,
            self.x + w / 2 + 1,
            bottom,
        )
    }
}

/// The width of 12-pixel text: digits and Latin letters about 7 pixels, CJK 12.
pub(super) fn text_width(s: &str) -> i32 {
    s.chars()
        .map(|c| match c {
            ',' | '.' => 4,
            c if c.is_ascii() => 7,
            _ => 12,
        })
        .sum()
}

/// Where each label goes: its first position that overlaps neither a label placed before it
/// nor one of the `obstacles` (the growth line's points), or None (the label is dropped) when
/// every position would.
pub fn place_labels(labels: &[Label], obstacles: &[(i32, i32, i32, i32)]) -> Vec<Option<i32>> {
    let mut placed: Vec<(i32, i32, i32, i32)> = obstacles.to_vec();
    let overlaps = |a: (i32, i32, i32, i32), b: &(i32, i32, i32, i32)| {
        a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
    };
    labels
        .iter()
        .map(|l| {
            let at = l
                .bottoms
                .iter()
                .copied()
                .find(|&b| !placed.iter().any(|p| overlaps(l.bounds(b), p)))?;
            placed.push(l.bounds(at));
            Some(at)
        })
        .collect()
}

/// The chart as SVG text; the same data gives the same bytes.
pub fn render_svg(c: &ChartData) -> Result<String, String> {
    register_font();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, c)?;
    }
    Ok(xml_safe(&buf).replace(
        &format!("font-family=\"{FAMILY}\""),
        &format!("font-family=\"{FAMILY_FALLBACKS}\""),
    ))
}

/// Control characters from a cell (say U+0001 in a project name) and the non-characters
/// U+FFFE and U+FFFF are not allowed in XML and
/// would make the SVG unreadable: each becomes U+FFFD, the replacement character.
pub(super) fn xml_safe(svg: &str) -> String {
    svg.chars()
        .map(|c| match c {
            '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => crate::emit::xml_text_char(c),
        })
        .collect()
}
