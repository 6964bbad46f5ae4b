//! JSON Schemas (draft 2020-12, through schemars) of the report types, for the server's OpenAPI 3.1
//! document (feature `openapi`). The plain structs derive theirs; [`Value`] and [`Table`] have a
//! hand-written wire form (untagged values; tables as columns + records), so their schemas are written here
//! to match `docs/report.schema.json`, and a test keeps the two in step.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::{ColumnType, Kind, Table, Value};

impl JsonSchema for Value {
    fn schema_name() -> Cow<'static, str> {
        "Value".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let item = generator.subschema_for::<Value>();
        json_schema!({
            "description": "Untagged: null, a bool, an integer, a number, a string or a list of values. A non-finite number is null.",
            "type": ["null", "boolean", "integer", "number", "string", "array"],
            "items": item,
        })
    }
}

impl JsonSchema for Table {
    fn schema_name() -> Cow<'static, str> {
        "Table".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let kind = generator.subschema_for::<Kind>();
        let column_type = generator.subschema_for::<ColumnType>();
        json_schema!({
            "description": "A table: its columns' descriptions, then the rows as records (one object per row, one field per column key, in column order).",
            "type": "object",
            "required": ["key", "title", "columns", "rows"],
            "properties": {
                "key": { "type": "string", "pattern": "^[a-z][a-z0-9_]*$" },
                "title": { "type": "string" },
                "columns": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["key", "label", "unit", "kind", "type", "decimals", "doc", "join"],
                        "properties": {
                            "key": { "type": "string", "pattern": "^[a-z][a-z0-9_]*$" },
                            "label": { "type": "string" },
                            "unit": { "type": ["string", "null"] },
                            "kind": kind,
                            "type": column_type,
                            "decimals": { "type": "integer", "minimum": 0, "maximum": 255 },
                            "doc": { "type": ["string", "null"], "description": "A link into the docs (path#anchor)." },
                            "join": { "type": ["string", "null"], "description": "The key of the column this one labels." },
                            "hidden": { "type": "boolean", "description": "Display hint: true when tables for people leave this column out; absent means false." }
                        }
                    }
                },
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": {
                            "description": "One cell: null, a number (type number), an integer (type int), a string (type text) or a bool (type bool).",
                            "type": ["null", "number", "integer", "string", "boolean"]
                        }
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use schemars::generate::SchemaSettings;
    use serde_json::Value as Json;

    use crate::Report;

    /// `(required, properties)` of an object schema, sorted.
    fn shape(schema: &Json) -> (Vec<String>, Vec<String>) {
        let mut required: Vec<String> = schema["required"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let mut properties: Vec<String> = schema["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        required.sort();
        properties.sort();
        (required, properties)
    }

    #[test]
    fn generated_report_schema_agrees_with_the_documented_one() {
        let mut generator = SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator();
        let root = generator.root_schema_for::<Report>();
        let generated = serde_json::to_value(&root).expect("schema as JSON");
        let documented: Json =
            serde_json::from_str(include_str!("../../../docs/report.schema.json"))
                .expect("docs/report.schema.json");
        assert_eq!(shape(&generated), shape(&documented), "report");
        let defs = &generated["$defs"];
        for (generated_name, documented_name) in [
            ("Provenance", "provenance"),
            ("Parameter", "parameter"),
            ("Figure", "figure"),
            ("Line", "line"),
            ("Diagnostic", "diagnostic"),
            ("Table", "table"),
        ] {
            assert_eq!(
                shape(&defs[generated_name]),
                shape(&documented["$defs"][documented_name]),
                "{generated_name}"
            );
        }
        assert_eq!(
            shape(&defs["Table"]["properties"]["columns"]["items"]),
            shape(&documented["$defs"]["column"]),
            "column"
        );
        let kinds: Vec<&str> = documented["$defs"]["kind"]["enum"]
            .as_array()
            .expect("kind enum")
            .iter()
            .filter_map(Json::as_str)
            .collect();
        let text = defs["Kind"].to_string();
        for kind in kinds {
            assert!(text.contains(&format!("\"{kind}\"")), "kind {kind}");
        }
    }
}
