//! The writer's JSON against `docs/report.schema.json`, with a small structural validator (no network, no
//! JSON Schema crate): `$ref`, `type`, `required`, `properties`, `items`, `additionalProperties`, `enum`,
//! `const`, `minimum`/`maximum` and the key `pattern`. It also requires every field the writer emits to be
//! declared in the schema, so a new field cannot go undocumented.

use serde_json::{Value as Json, json};
use sovra_report::write::to_json_value;
use sovra_report::{
    Column, Diagnostic, Figure, Kind, Provenance, Report, Table, Value, is_snake_case,
};

const KEY_PATTERN: &str = "^[a-z][a-z0-9_]*$";

fn schema() -> Json {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/report.schema.json");
    let text = std::fs::read_to_string(path).expect("docs/report.schema.json");
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn resolve<'a>(root: &'a Json, schema: &'a Json) -> &'a Json {
    match schema.get("$ref").and_then(Json::as_str) {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/$defs/")
                .expect("local $defs references only");
            resolve(root, &root["$defs"][name])
        }
        None => schema,
    }
}

fn type_matches(name: &str, value: &Json) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("type `{other}` is not supported by this validator"),
    }
}

/// Every violation of `schema` by `value`, as `path: what`.
fn check(root: &Json, schema: &Json, value: &Json, path: &str, errors: &mut Vec<String>) {
    let schema = resolve(root, schema);
    if let Some(types) = schema.get("type") {
        let names: Vec<&str> = match types {
            Json::String(one) => vec![one.as_str()],
            Json::Array(many) => many.iter().filter_map(Json::as_str).collect(),
            other => panic!("bad type {other}"),
        };
        if !names.iter().any(|n| type_matches(n, value)) {
            errors.push(format!("{path}: expected {names:?}, got {value}"));
            return;
        }
    }
    if let Some(constant) = schema.get("const").filter(|c| *c != value) {
        errors.push(format!("{path}: expected {constant}, got {value}"));
    }
    if let Some(options) = schema
        .get("enum")
        .and_then(Json::as_array)
        .filter(|o| !o.contains(value))
    {
        errors.push(format!("{path}: {value} is not one of {options:?}"));
    }
    if let (Some(pattern), Some(text)) = (schema.get("pattern"), value.as_str()) {
        assert_eq!(pattern, KEY_PATTERN, "only the key pattern is supported");
        if !is_snake_case(text) {
            errors.push(format!("{path}: `{text}` does not match {KEY_PATTERN}"));
        }
    }
    if let Some(number) = value.as_f64() {
        if let Some(min) = schema
            .get("minimum")
            .and_then(Json::as_f64)
            .filter(|m| number < *m)
        {
            errors.push(format!("{path}: {number} < {min}"));
        }
        if let Some(max) = schema
            .get("maximum")
            .and_then(Json::as_f64)
            .filter(|m| number > *m)
        {
            errors.push(format!("{path}: {number} > {max}"));
        }
    }
    if let Json::Object(fields) = value {
        let properties = schema.get("properties").and_then(Json::as_object);
        for required in schema
            .get("required")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let name = required.as_str().expect("required names are strings");
            if !fields.contains_key(name) {
                errors.push(format!("{path}: missing required field `{name}`"));
            }
        }
        for (name, field) in fields {
            let field_path = format!("{path}.{name}");
            match (
                properties.and_then(|p| p.get(name)),
                schema.get("additionalProperties"),
            ) {
                (Some(sub), _) => check(root, sub, field, &field_path, errors),
                (None, Some(additional)) => check(root, additional, field, &field_path, errors),
                (None, None) => errors.push(format!("{field_path}: not declared in the schema")),
            }
        }
    }
    if let (Json::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(root, item_schema, item, &format!("{path}[{i}]"), errors);
        }
    }
}

fn violations(value: &Json) -> Vec<String> {
    let root = schema();
    let mut errors = Vec::new();
    check(&root, &root, value, "$", &mut errors);
    errors
}

fn rich() -> Report {
    let provenance = Provenance::new()
        .dataset("icio2022")
        .title("OECD ICIO 2025 release")
        .year(2022)
        .units("USD million")
        .source("sanction-simulator==0.1.4")
        .source_sha256("ab12")
        .description("built from s");
    Report::new("depend", "Dependency of DEU on CHN", provenance)
        .with_parameter("us", "Us", vec!["DEU", "FRA"])
        .with_parameter("year", "Year", 2022)
        .with_parameter("cut", "Cut", 0.5)
        .with_parameter("none", "None", Value::Null)
        .with_parameter(
            "nested",
            "Nested",
            Value::List(vec![Value::List(vec![1.into()]), true.into()]),
        )
        .with_figure(Figure::new("va_share", "VA from them", 0.0154, Kind::Share))
        .with_figure(Figure::new("output", "Output", 1.5e9, Kind::Amount).unit("USD million"))
        .with_line("VA from them", "1.54 %")
        .with_table(
            Table::new("sectors", "Sectors")
                .with(Column::int("rank", "#", Kind::Rank).values(vec![Some(1), None]))
                .with(Column::code("sector", "Sector").values(vec![Some("C20"), None]))
                .with(
                    Column::number("share", "Share", Kind::Share)
                        .doc("docs/indicators.md#depend")
                        .join("sector")
                        .values(vec![Some(0.1), Some(f64::NAN)]),
                )
                .with(Column::flag("key", "Key").values(vec![Some(true), None])),
        )
        .with_table(Table::new("empty", "Empty"))
        .with_note("note")
        .with_diagnostic(
            Diagnostic::new("leontief_solve", "Leontief solve")
                .method("lu")
                .right_hand_sides(1)
                .iterations(0)
                .max_relative_residual(1e-16)
                .seconds(0.1),
        )
        .with_diagnostic(Diagnostic::warning("gap", "Gap", "no data"))
}

#[test]
fn the_schema_is_consistent() {
    let root = schema();
    assert_eq!(
        root["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    // Every required field is a declared property, and every $ref resolves.
    fn walk(root: &Json, node: &Json, refs: &mut Vec<String>) {
        match node {
            Json::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Json::as_str) {
                    let name = reference.strip_prefix("#/$defs/").expect("local reference");
                    assert!(root["$defs"].get(name).is_some(), "unresolved {reference}");
                    refs.push(name.to_string());
                }
                if let (Some(required), Some(properties)) =
                    (map.get("required"), map.get("properties"))
                {
                    for name in required.as_array().expect("a list") {
                        let name = name.as_str().expect("a name");
                        assert!(
                            properties.get(name).is_some(),
                            "required `{name}` is not a property"
                        );
                    }
                }
                map.values().for_each(|v| walk(root, v, refs));
            }
            Json::Array(items) => items.iter().for_each(|v| walk(root, v, refs)),
            _ => {}
        }
    }
    let mut refs = Vec::new();
    walk(&root, &root, &mut refs);
    // And every definition is used.
    let mut used: Vec<&str> = refs.iter().map(String::as_str).collect();
    used.sort_unstable();
    used.dedup();
    let mut defined: Vec<&str> = root["$defs"]
        .as_object()
        .expect("$defs")
        .keys()
        .map(String::as_str)
        .collect();
    defined.sort_unstable();
    assert_eq!(used, defined);
    // The kinds in the schema are exactly the crate's kinds.
    let kinds: Vec<String> = Kind::ALL.iter().map(|k| k.as_str().to_string()).collect();
    assert_eq!(root["$defs"]["kind"]["enum"], json!(kinds));
}

#[test]
fn writer_output_satisfies_the_schema() {
    let report = rich();
    report.validate().expect("valid");
    assert_eq!(violations(&to_json_value(&report)), Vec::<String>::new());
    let minimal = Report::new("keys", "Key sectors", Provenance::new());
    assert_eq!(violations(&to_json_value(&minimal)), Vec::<String>::new());
}

#[test]
fn the_validator_catches_violations() {
    let mut doc = to_json_value(&rich());
    let fields = doc.as_object_mut().expect("an object");
    fields.remove("diagnostics");
    fields.insert("schema_version".into(), json!(2));
    fields.insert("extra".into(), json!(1));
    doc["tables"][0]["columns"][0]
        .as_object_mut()
        .expect("a column")
        .remove("kind");
    doc["tables"][0]["columns"][1]["key"] = json!("Sector");
    doc["tables"][0]["columns"][2]["type"] = json!("float");
    doc["tables"][0]["rows"][0]["rank"] = json!({"nested": true});
    doc["summary"][0]["kind"] = json!("percent");
    doc["provenance"]["year"] = json!("2022");
    assert_eq!(
        violations(&doc),
        vec![
            "$: missing required field `diagnostics`",
            "$.extra: not declared in the schema",
            "$.provenance.year: expected [\"integer\", \"null\"], got \"2022\"",
            "$.schema_version: expected 1, got 2",
            "$.summary[0].kind: \"percent\" is not one of [String(\"share\"), String(\"amount\"), \
             String(\"count\"), String(\"code\"), String(\"text\"), String(\"flag\"), String(\"ratio\"), \
             String(\"rank\"), String(\"year\"), String(\"date\")]",
            "$.tables[0].columns[0]: missing required field `kind`",
            "$.tables[0].columns[1].key: `Sector` does not match ^[a-z][a-z0-9_]*$",
            "$.tables[0].columns[2].type: \"float\" is not one of [String(\"number\"), String(\"int\"), \
             String(\"text\"), String(\"bool\")]",
            "$.tables[0].rows[0].rank: expected [\"null\", \"number\", \"integer\", \"string\", \"boolean\"], \
             got {\"nested\":true}",
        ]
    );
}

#[test]
fn the_csv_example_in_the_docs_is_what_the_writer_writes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/report-schema.md");
    let text = std::fs::read_to_string(path).expect("docs/report-schema.md");
    let section = text.split("## CSV").nth(1).expect("a CSV section");
    let example = section
        .split("```\n")
        .nth(1)
        .expect("a code block in the CSV section");

    let mut provenance = Provenance::new()
        .dataset("icio2022")
        .title("OECD ICIO 2025 release")
        .year(2022)
        .units("USD million")
        .source("sanction-simulator==0.1.4 (PyPI)");
    provenance.sovra_version = "0.1.0".into();
    let table = Table::new("suppliers", "Suppliers")
        .with(Column::int("rank", "#", Kind::Rank).values(vec![1, 2]))
        .with(Column::code("region", "Region").values(vec!["CHN", "KOR"]))
        .with(Column::text("name", "Name").values(vec!["China", "Korea, Rep."]))
        .with(Column::number("share", "Share", Kind::Share).values(vec![0.2125, f64::NAN]));
    let report = Report::new("depend", "Dependency of DEU on CHN", provenance)
        .with_parameter("us", "Us", "DEU")
        .with_parameter("them", "Them", vec!["CHN", "HKG"])
        .with_figure(Figure::new("va_share", "VA from them", 0.0154, Kind::Share))
        .with_figure(Figure::new("output", "Output", 1234.5, Kind::Amount).unit("USD million"))
        .with_note("Final demand is not split by destination.")
        .with_table(table);
    assert_eq!(
        sovra_report::write::to_csv(&report, None).expect("a table"),
        example
    );
}
