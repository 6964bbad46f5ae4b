//! How a value reads for people, the same in every front end: numbers with thousands separators and the
//! column's decimals, shares as percentages, missing values as the caller's blank. The terminal table and the
//! HTML report both format cells here.

use crate::{Column, Kind, Value};

/// A number with thousands separators and `d` decimals (for headline text).
pub fn format_num(v: f64, d: usize) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let s = format!("{:.*}", d, v.abs());
    let (int, frac) = s
        .split_once('.')
        .map(|(a, b)| (a.to_string(), format!(".{b}")))
        .unwrap_or((s.clone(), String::new()));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!(
        "{}{grouped}{frac}",
        if v < 0.0 && s.chars().any(|c| c != '0' && c != '.') {
            "-"
        } else {
            ""
        }
    )
}

/// A parameter's (or any) value for people; a list is joined by spaces.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Number(x) => x.to_string(),
        Value::Text(s) => s.clone(),
        Value::List(items) => items.iter().map(value_text).collect::<Vec<_>>().join(" "),
    }
}

/// A cell for people, as its column's kind and decimals say; `blank` where there is no value.
pub fn cell_text(c: &Column, v: &Value, blank: &str) -> String {
    let d = c.decimals as usize;
    match (c.kind, v) {
        (_, Value::Null) => blank.into(),
        (Kind::Share, Value::Number(x)) => format!("{:.d$}%", x * 100.0),
        (Kind::Year | Kind::Rank, Value::Int(i)) => i.to_string(),
        (_, Value::Int(i)) => format_num(*i as f64, 0),
        (_, Value::Number(x)) => format_num(*x, d),
        (_, Value::Bool(b)) => if *b { "yes" } else { "" }.into(),
        (_, other) => value_text(other),
    }
}

/// Whether a column holds numbers people compare (right-aligned in tables).
pub fn is_numeric(c: &Column) -> bool {
    matches!(
        c.kind,
        Kind::Share | Kind::Amount | Kind::Count | Kind::Ratio | Kind::Rank | Kind::Year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(format_num(1234567.891, 1), "1,234,567.9");
        assert_eq!(format_num(-0.0001, 2), "0.00");
        assert_eq!(format_num(-1500.0, 0), "-1,500");
        let share = Column::number("s", "S", Kind::Share).decimals(1);
        assert_eq!(cell_text(&share, &Value::Number(0.1234), "—"), "12.3%");
        assert_eq!(cell_text(&share, &Value::Null, ""), "");
    }
}
