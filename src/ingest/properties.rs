//! Property tests: exact money in every unit, and no text that makes a parser panic.

use super::periods_wide::parse_period_text;
use super::value::{clean_number_text, exact_number, float_by_text, parse_cell};
use crate::config::normalize::normalize_header;
use crate::model::{fen_to_unit_string, DashPolicy, FieldKind, MoneyUnit, Value};
use calamine::Data;
use proptest::prelude::*;

const UNITS: [MoneyUnit; 4] = [
    MoneyUnit::Yuan,
    MoneyUnit::Qianyuan,
    MoneyUnit::Wanyuan,
    MoneyUnit::Yiyuan,
];

fn unit() -> impl Strategy<Value = MoneyUnit> {
    (0..UNITS.len()).prop_map(|i| UNITS[i])
}

/// Text as people type it into cells: digits in both widths, separators, units, dashes,
/// brackets, Chinese and stray symbols.
fn cell_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            proptest::char::range('0', '9'),
            proptest::char::range('０', '９'),
            Just('.'),
            Just(','),
            Just('-'),
            Just('—'),
            Just('('),
            Just(')'),
            Just('（'),
            Just('）'),
            Just('万'),
            Just('元'),
            Just('%'),
            Just(' '),
            Just('\u{3000}'),
            Just('e'),
            proptest::char::range('\u{4e00}', '\u{4e20}'),
            any::<char>(),
        ],
        0..24,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// An amount written with as many decimals as its unit allows reads back to the same fen.
    #[test]
    fn amounts_round_trip_in_every_unit(fen in -10_i64.pow(15)..10_i64.pow(15), unit in unit()) {
        // Every fen amount is exact in a unit with enough decimals.
        let decimals = unit.fen().ilog10();
        let text = fen_to_unit_string(fen, unit, decimals);
        let read = parse_cell(&Data::String(text.clone()), FieldKind::Money, unit, DashPolicy::Zero);
        prop_assert_eq!(read, Ok(Value::Money(fen)), "{}", text);
    }

    /// A number cell holding an amount with two decimals of its unit reads exactly.
    #[test]
    fn number_cells_with_two_decimals_are_exact(cents in -10_i64.pow(9)..10_i64.pow(9), unit in unit()) {
        let value = cents as f64 / 100.0;
        let read = parse_cell(&Data::Float(value), FieldKind::Money, unit, DashPolicy::Zero);
        prop_assert_eq!(read, Ok(Value::Money(cents * (unit.fen() / 100))));
    }

    /// Reading a number cell without text gives what its shortest text gives, for any bits
    /// and for the short decimals that tables hold.
    #[test]
    fn number_cells_read_without_text_as_with_it(
        bits in any::<u64>(),
        digits in -10_i64.pow(15)..10_i64.pow(15),
        places in 0_i32..9,
        unit in unit(),
    ) {
        let decimal = digits as f64 / 10f64.powi(places);
        for f in [f64::from_bits(bits), decimal, decimal + 0.5] {
            if !f.is_finite() {
                continue;
            }
            for kind in [FieldKind::Count, FieldKind::Money, FieldKind::Percent] {
                if let Some(fast) = exact_number(f, kind, unit) {
                    prop_assert_eq!(Ok(fast), float_by_text(f, kind, unit), "{} {:?}", f, kind);
                }
            }
        }
    }

    #[test]
    fn no_text_makes_a_parser_panic(text in cell_text()) {
        let _ = clean_number_text(&text);
        let _ = normalize_header(&text);
        let _ = parse_period_text(&text);
        for kind in [FieldKind::Text, FieldKind::Count, FieldKind::Money, FieldKind::Percent, FieldKind::Date] {
            let _ = parse_cell(&Data::String(text.clone()), kind, MoneyUnit::Wanyuan, DashPolicy::Missing);
        }
    }

    #[test]
    fn no_float_makes_a_parser_panic(f in any::<f64>()) {
        for kind in [FieldKind::Text, FieldKind::Count, FieldKind::Money, FieldKind::Percent, FieldKind::Date] {
            let _ = parse_cell(&Data::Float(f), kind, MoneyUnit::Yiyuan, DashPolicy::Zero);
        }
    }

    /// Line breaks and spaces of either width inside a header do not change what it matches.
    #[test]
    fn header_matching_ignores_spacing(text in cell_text()) {
        let spaced: String = text
            .chars()
            .flat_map(|c| [c, '\n', '\u{3000}'])
            .collect();
        prop_assert_eq!(normalize_header(&spaced).key, normalize_header(&text).key);
    }
}
