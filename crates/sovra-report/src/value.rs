//! What a number, code or flag in a report *is*: the dynamically typed [`Value`] of parameters, figures and
//! table rows, the [`Kind`] that says how to read and show it, and the [`ColumnType`] a table column stores.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeSeq, Serializer};

/// One dynamically typed value: a parameter, a key figure or a table cell.
///
/// On the wire it is plain JSON (`null`, `true`, `1`, `1.5`, `"x"`, `[…]`), untagged. A non-finite
/// [`Value::Number`] (NaN, ±∞) is written as `null`. Reading JSON back, an integer literal becomes
/// [`Value::Int`] (or [`Value::Number`] beyond the `i64` range) and a literal with a fraction or exponent
/// becomes [`Value::Number`]; `f64`s are written in their shortest round-trip form (`1.0`, not `1`), so a
/// number stays a number.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No value (JSON `null`, an empty CSV field).
    #[default]
    Null,
    /// A yes/no flag.
    Bool(bool),
    /// An integer (counts, ranks, years).
    Int(i64),
    /// A floating-point number (shares, amounts, ratios).
    Number(f64),
    /// Text, including codes (ISO3, sector and HS codes keep their leading zeros).
    Text(String),
    /// A list (e.g. the members of a bloc).
    List(Vec<Value>),
}

impl Value {
    /// The name of the value's type: `null`, `bool`, `int`, `number`, `text` or `list`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Number(_) => "number",
            Value::Text(_) => "text",
            Value::List(_) => "list",
        }
    }

    /// Whether the value is [`Value::Null`] or a non-finite number (both written as null).
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Number(v) => !v.is_finite(),
            _ => false,
        }
    }

    /// The value as a number, when it is an int or a finite number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Number(v) if v.is_finite() => Some(*v),
            _ => None,
        }
    }

    /// The value as text, when it is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value and its type for error messages: `text "x"`, `number 1.5`, `null`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Text(s) => format!("text {s:?}"),
            Value::List(items) => format!("a list of {} values", items.len()),
            other => format!("{} {other}", other.type_name()),
        }
    }
}

/// Plain text, as in CSV comment lines: null (and a non-finite number) is empty, numbers take Rust's
/// shortest round-trip form, text is unquoted, a list joins its items with `, ` (nested lists in brackets).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Number(v) if v.is_finite() => write!(f, "{v}"),
            Value::Number(_) => Ok(()),
            Value::Text(s) => f.write_str(s),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match item {
                        Value::List(_) => write!(f, "[{item}]")?,
                        _ => write!(f, "{item}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_none(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Number(v) if v.is_finite() => serializer.serialize_f64(*v),
            Value::Number(_) => serializer.serialize_none(),
            Value::Text(s) => serializer.serialize_str(s),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null, a bool, a number, a string or a list")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        Ok(i64::try_from(u).map_or(Value::Number(u as f64), Value::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Text(s.to_string()))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::Text(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Number(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Number(f64::from(v))
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}
/// A `u64` beyond `i64::MAX` becomes a [`Value::Number`].
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        i64::try_from(v).map_or(Value::Number(v as f64), Value::Int)
    }
}
/// A `usize` beyond `i64::MAX` becomes a [`Value::Number`].
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        i64::try_from(v).map_or(Value::Number(v as f64), Value::Int)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
/// `None` becomes [`Value::Null`].
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

/// How to read a value and how to show it. Serialised in snake_case (`share`, `amount`, …).
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A fraction: `0.0154` means 1.54 %. Stored as the fraction everywhere; only people see percentages,
    /// with `decimals` decimals of the percentage.
    Share,
    /// A money or physical quantity, with a unit (`USD million`, `t CO2e`).
    Amount,
    /// An integer count.
    Count,
    /// An identifier: ISO3, sector code, HS code. Always text, leading zeros kept (`"032989"`).
    Code,
    /// Free text (a name, a label).
    Text,
    /// A yes/no flag.
    Flag,
    /// A dimensionless number: a multiplier, an index, an HHI, an elasticity.
    Ratio,
    /// A 1-based integer rank.
    Rank,
    /// An integer year.
    Year,
    /// A date as `YYYY-MM-DD` text.
    Date,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 10] = [
        Kind::Share,
        Kind::Amount,
        Kind::Count,
        Kind::Code,
        Kind::Text,
        Kind::Flag,
        Kind::Ratio,
        Kind::Rank,
        Kind::Year,
        Kind::Date,
    ];

    /// The wire name (`share`, `amount`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Share => "share",
            Kind::Amount => "amount",
            Kind::Count => "count",
            Kind::Code => "code",
            Kind::Text => "text",
            Kind::Flag => "flag",
            Kind::Ratio => "ratio",
            Kind::Rank => "rank",
            Kind::Year => "year",
            Kind::Date => "date",
        }
    }

    /// The decimals the constructors start from: 2 for a share (of the percentage), 3 for a ratio, 0 else.
    pub fn default_decimals(self) -> u8 {
        match self {
            Kind::Share => 2,
            Kind::Ratio => 3,
            _ => 0,
        }
    }

    /// The column type a kind is stored in when nothing says otherwise (JSON without a column `type`):
    /// number for shares, amounts and ratios; int for counts, ranks and years; bool for flags; text else.
    pub fn natural_type(self) -> ColumnType {
        match self {
            Kind::Share | Kind::Amount | Kind::Ratio => ColumnType::Number,
            Kind::Count | Kind::Rank | Kind::Year => ColumnType::Int,
            Kind::Flag => ColumnType::Bool,
            Kind::Code | Kind::Text | Kind::Date => ColumnType::Text,
        }
    }

    /// Whether a column of this kind may store values of `ty`: numeric kinds take numbers or ints, codes,
    /// text and dates take text, flags take bools.
    pub fn accepts(self, ty: ColumnType) -> bool {
        match self {
            Kind::Share | Kind::Amount | Kind::Ratio | Kind::Count | Kind::Rank | Kind::Year => {
                matches!(ty, ColumnType::Number | ColumnType::Int)
            }
            Kind::Flag => ty == ColumnType::Bool,
            Kind::Code | Kind::Text | Kind::Date => ty == ColumnType::Text,
        }
    }

    pub(crate) fn accepts_words(self) -> &'static str {
        match self.natural_type() {
            ColumnType::Number | ColumnType::Int => "number or int values",
            ColumnType::Bool => "bool values",
            ColumnType::Text => "text values",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The storage type of a table column (the variant of [`Values`](crate::Values)). Serialised as
/// `number`, `int`, `text` or `bool`.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// `f64`, nullable.
    Number,
    /// `i64`, nullable.
    Int,
    /// UTF-8 text, nullable.
    Text,
    /// Bool, nullable.
    Bool,
}

impl ColumnType {
    /// The wire name (`number`, `int`, `text`, `bool`).
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Number => "number",
            ColumnType::Int => "int",
            ColumnType::Text => "text",
            ColumnType::Bool => "bool",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
