//! What a pipeline's `[[charts]]` ask for, resolved: the kind, the x axis and the measure.

/// Chart kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Grouped bars from zero.
    Bar,
    /// Stacked bars.
    Stacked,
    /// Lines with markers.
    Line,
    /// Bars of the measure with its 同比 growth as a line on a second axis (统计公报 style).
    BarLine,
    /// 100% stacked bars: each category's composition.
    Share,
}

impl ChartKind {
    pub const NAMES: [&'static str; 5] = ["bar", "stacked", "line", "bar_line", "share"];

    pub fn parse(s: &str) -> Option<ChartKind> {
        Some(match s {
            "bar" => ChartKind::Bar,
            "stacked" => ChartKind::Stacked,
            "line" => ChartKind::Line,
            "bar_line" => ChartKind::BarLine,
            "share" => ChartKind::Share,
            _ => return None,
        })
    }
}

/// What goes along the x axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XAxis {
    /// Years or months; with dimensions, one series per group.
    Period,
    /// The groups of the table's dimensions; one series per period shown.
    Key,
}

/// A chart to draw from a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub name: String,
    pub kind: ChartKind,
    pub x: XAxis,
    /// Index of the base metric drawn.
    pub metric: usize,
    pub title: Option<String>,
    /// With `x = Key`: how many of the latest periods are drawn as series.
    pub periods: usize,
}
