//! TOML to [`RawPipeline`], collecting every structural problem instead of stopping at the first.
//!
//! serde stops at the first error, so after each one the offending key is removed from a copy
//! of the document and deserialization is tried again. Lines come from the untouched document.

use super::raw::RawPipeline;
use super::suggest::did_you_mean;
use super::Problem;
use serde_path_to_error::Segment;
use std::ops::Range;
use toml_edit::{Item, TableLike, Value};

/// Upper bound on recovery rounds; a file with more problems than this is reported in part.
const MAX_ROUNDS: usize = 64;

type SpannedDoc = toml_edit::Document<String>;

/// The pipeline's text, and where its keys stand: parsed for that only when a problem needs
/// a line number, as a file without problems has no use for it.
pub struct Spans<'s> {
    src: &'s str,
    doc: std::cell::OnceCell<Result<SpannedDoc, toml_edit::TomlError>>,
}

impl<'s> Spans<'s> {
    pub fn new(src: &'s str) -> Spans<'s> {
        Spans {
            src,
            doc: std::cell::OnceCell::new(),
        }
    }

    fn doc(&self) -> &Result<SpannedDoc, toml_edit::TomlError> {
        self.doc
            .get_or_init(|| toml_edit::Document::parse(self.src.to_string()))
    }

    /// The line of the key at `segments`, or of the nearest key above it.
    pub fn line(&self, segments: &[Segment]) -> Option<usize> {
        let doc = self.doc().as_ref().ok()?;
        lookup_span(doc, segments).map(|s| line_of(self.src, s.start))
    }

    /// The text is not TOML: the problem, with its line.
    fn invalid(&self, fallback: &str) -> Problem {
        let (line, message) = match self.doc() {
            Err(e) => (
                e.span().map(|s| line_of(self.src, s.start)),
                e.message().trim(),
            ),
            Ok(_) => (None, fallback.trim()),
        };
        Problem {
            path: String::new(),
            line,
            message: crate::i18n::t!("config.invalid_toml", message = message),
            help: None,
        }
    }
}

/// Parses the file. `Ok` carries the model recovered after dropping bad keys, with the
/// problems found on the way; `Err` means nothing usable could be recovered.
pub fn parse_pipeline(src: &str) -> Result<(RawPipeline, Spans<'_>, Vec<Problem>), Vec<Problem>> {
    let spans = Spans::new(src);
    // The working copy is made at the first problem: a file without one is read as written.
    let mut working: Option<toml_edit::DocumentMut> = None;
    let mut problems = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let text = match &working {
            None => std::borrow::Cow::Borrowed(src),
            Some(doc) => std::borrow::Cow::Owned(doc.to_string()),
        };
        let de = match toml::de::Deserializer::parse(&text) {
            Ok(de) => de,
            // Not TOML as written: told with the line it breaks at.
            Err(e) if working.is_none() => return Err(vec![spans.invalid(e.message())]),
            Err(e) => {
                problems.push(Problem::new(
                    "",
                    crate::i18n::t!("config.invalid_toml", message = e.message()),
                ));
                return Err(problems);
            }
        };
        match serde_path_to_error::deserialize::<_, RawPipeline>(de) {
            Ok(raw) => return Ok((raw, spans, problems)),
            Err(err) => {
                let mut segments: Vec<Segment> = err.path().iter().cloned().collect();
                let message = err.inner().message().to_string();
                let (problem, removable) = describe(&mut segments, &message);
                let mut problem = problem;
                problem.line = spans.line(&segments);
                problems.push(problem);
                if working.is_none() {
                    let Ok(doc) = spans.doc() else {
                        return Err(problems);
                    };
                    working = Some(doc.clone().into_mut());
                }
                let Some(working) = working.as_mut() else {
                    return Err(problems);
                };
                if !removable || !remove_path(working, &segments) {
                    return Err(problems);
                }
            }
        }
    }
    Err(problems)
}

/// Turns serde's message into a problem; says whether removing the key lets parsing go on.
fn describe(segments: &mut Vec<Segment>, message: &str) -> (Problem, bool) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let choices: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        if !matches!(segments.last(), Some(Segment::Map { key }) if key == field) {
            segments.push(Segment::Map {
                key: field.to_string(),
            });
        }
        let help = did_you_mean(field, choices.iter().copied())
            .map(|s| crate::i18n::t!("config.did_you_mean", name = s))
            .or_else(|| {
                (!choices.is_empty())
                    .then(|| crate::i18n::t!("config.one_of", names = choices.join(", ")))
            });
        let p = Problem {
            path: path_string(segments),
            line: None,
            message: crate::i18n::t!("config.unknown_key", key = field),
            help,
        };
        return (p, true);
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        let p = Problem {
            path: path_string(segments),
            line: None,
            message: crate::i18n::t!("config.missing_key", key = field),
            help: None,
        };
        return (p, false);
    }
    let p = Problem {
        path: path_string(segments),
        line: None,
        message: message.trim().to_string(),
        help: None,
    };
    (p, !segments.is_empty())
}

pub(crate) fn path_string(segments: &[Segment]) -> String {
    let mut out = String::new();
    for seg in segments {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { variant } => {
                out.push('.');
                out.push_str(variant);
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Span of the key (or table header) the path points at, walking down as far as it resolves.
pub(crate) fn lookup_span<S>(
    doc: &toml_edit::Document<S>,
    segments: &[Segment],
) -> Option<Range<usize>> {
    span_in_table(doc.as_table(), segments, None)
}

fn span_in_table(
    t: &dyn TableLike,
    segs: &[Segment],
    best: Option<Range<usize>>,
) -> Option<Range<usize>> {
    match segs.first() {
        Some(Segment::Map { key }) => match t.get_key_value(key) {
            Some((k, v)) => {
                let best = k.span().or(v.span()).or(best);
                span_in_item(v, &segs[1..], best)
            }
            None => best,
        },
        _ => best,
    }
}

fn span_in_item(item: &Item, segs: &[Segment], best: Option<Range<usize>>) -> Option<Range<usize>> {
    if segs.is_empty() {
        return best;
    }
    let index = match segs[0] {
        Segment::Seq { index } => Some(index),
        _ => None,
    };
    match (item, index) {
        (Item::Table(t), None) => span_in_table(t, segs, best),
        (Item::Value(Value::InlineTable(t)), None) => span_in_table(t, segs, best),
        (Item::ArrayOfTables(a), Some(i)) => match a.get(i) {
            Some(t) => span_in_table(t, &segs[1..], t.span().or(best)),
            None => best,
        },
        (Item::Value(Value::Array(a)), Some(i)) => match a.get(i) {
            Some(Value::InlineTable(t)) => span_in_table(t, &segs[1..], t.span().or(best)),
            Some(v) => v.span().or(best),
            None => best,
        },
        _ => best,
    }
}

/// Removes the key or array element the path points at; false when it cannot be found.
fn remove_path(doc: &mut toml_edit::DocumentMut, segments: &[Segment]) -> bool {
    remove_in_table(doc.as_table_mut(), segments)
}

fn remove_in_table(t: &mut dyn TableLike, segs: &[Segment]) -> bool {
    match segs {
        [Segment::Map { key }] => t.remove(key).is_some(),
        [Segment::Map { key }, rest @ ..] => match t.get_mut(key) {
            Some(item) => remove_in_item(item, rest),
            None => false,
        },
        _ => false,
    }
}

fn remove_in_item(item: &mut Item, segs: &[Segment]) -> bool {
    let last = segs.len() == 1;
    match (item, segs.first()) {
        (Item::Table(t), Some(Segment::Map { .. })) => remove_in_table(t, segs),
        (Item::Value(Value::InlineTable(t)), Some(Segment::Map { .. })) => remove_in_table(t, segs),
        (Item::ArrayOfTables(a), Some(&Segment::Seq { index })) => {
            if last {
                return index < a.len() && {
                    a.remove(index);
                    true
                };
            }
            a.get_mut(index)
                .is_some_and(|t| remove_in_table(t, &segs[1..]))
        }
        (Item::Value(Value::Array(a)), Some(&Segment::Seq { index })) => {
            if last {
                return index < a.len() && {
                    a.remove(index);
                    true
                };
            }
            match a.get_mut(index) {
                Some(Value::InlineTable(t)) => remove_in_table(t, &segs[1..]),
                _ => false,
            }
        }
        _ => false,
    }
}
