//! The OpenAPI 3.1 document at `/v1/openapi.json`, generated from the Rust types: each kind's request
//! schema from the engine ([`sovra_engine::request_schema`], serde's own rules: defaults, enums, unknown
//! fields refused), the report and error schemas from their types (schemars, JSON Schema 2020-12, which
//! OpenAPI 3.1 uses as is). Only the paths, parameters and media types are written here.

use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use sovra_engine::KINDS;

use crate::error::ErrorBody;
use crate::run::{ARROW, CSV, JSON, NDJSON};

/// Where schemas go in the document.
const COMPONENTS: &str = "/components/schemas";

/// What each kind does, for the operation's summary.
fn summary(kind: &str) -> &'static str {
    match kind {
        "info" => "A dataset's labels, totals, balance and productivity checks",
        "datasets" => "The datasets in the store",
        "multipliers" => "Output and value-added multipliers per node",
        "linkages" => "Rasmussen backward and forward linkages, key sectors",
        "footprint" => "Footprints of a stressor (D_cba, D_pba, D_imp, D_exp)",
        "depend" => "Where us depends on them, sector by sector",
        "keys" => "Technological keys: sectors exposed to inputs from them",
        "tiva" => "OECD TiVA indicators per country",
        "blocs_list" => "The blocs and their members on a date",
        "blocs_show" => "One bloc or expression, optionally checked against a dataset",
        "bridge_show" => "Where HS product codes land on the ICIO sectors (the product bridge)",
        "trade_depend" => "The product-level dependency screen of an importer (GeoDep criteria)",
        "trade_suppliers" => "Who could supply a product instead",
        "trade_monitor" => {
            "The product-level screen year by year: what entered and left the dependent list, and how"
        }
        "opportunities" => "Dependent products a country or bloc could make itself",
        "complexity" => "Economic complexity: RCA, ECI, PCI, COI, fitness",
        "shock" => {
            "What an embargo, export ban or import ban does to output (one scenario, a batch or a sweep)"
        }
        "alliances" => {
            "Which partners could supply what us buys from them, and the embargo with and without them"
        }
        "projects_evaluate" => {
            "Import-substitution projects, each through the supply chain (dependence cut, value added gained)"
        }
        "projects_select" => {
            "The portfolio of projects that cuts dependence most under budgets (MILP), re-evaluated jointly"
        }
        "monitor" => {
            "Import substitution year by year: indicators per year of a series, trends, a programme's targets"
        }
        "decompose" => {
            "Why their value added in our final demand changed between two years (six effects)"
        }
        _ => "An analysis",
    }
}

/// Two projects in the TOML of a project file, for the examples.
const PROJECTS: &str = "[[project]]\nid = \"axles\"\nhost = \"BLR\"\nsector = \"C29\"\ncapacity = 400\ncost = 120\n\
    serves = \"RUS+BLR\"\nreplaces = \"EU27+G7\"\n\n[[project]]\nid = \"pharma\"\nhost = \"RUS\"\nsector = \"C21\"\n\
    capacity = 800\ncost = 200\nserves = \"RUS+BLR\"\nreplaces = \"EU27+G7\"\n";

/// A request body that works on the default dataset (icio2022), shown as the example.
pub(crate) fn example(kind: &str) -> Option<Value> {
    Some(match kind {
        "info" => json!({"data": "icio2022"}),
        "datasets" => json!({}),
        "multipliers" => json!({"top": 10, "region": "DEU"}),
        "linkages" => json!({"top": 10, "region": "USA", "key_only": true}),
        "footprint" => json!({"data": "icio2022", "stressor": "value added"}),
        "depend" => json!({"us": "EU27", "them": "CHN", "top": 5}),
        "keys" => json!({"us": "EU27", "them": "CHN", "top": 10}),
        "tiva" => json!({"data": "icio2022", "country": "DEU"}),
        "blocs_list" => json!({"as_of": "2024-06-30"}),
        "blocs_show" => json!({"name": "BRICS", "as_of": "2024-06-30"}),
        "bridge_show" => json!({"codes": ["8542", "848620"]}),
        "trade_depend" => json!({"importer": "DEU", "on": "CHN", "top": 10}),
        "trade_monitor" => json!({"importer": "RUS", "on": "EU27", "years": "2015:2022"}),
        "trade_suppliers" => json!({"importer": "DEU", "product": "850760", "partners": "EU27+G7"}),
        "opportunities" => json!({"country": "ZAF", "top": 15}),
        "complexity" => json!({"top": 15}),
        "shock" => json!({"sanctioning": "USA", "target": "CHN", "top": 8}),
        "alliances" => json!({"us": "RUS", "against": "G7", "candidates": "BRICS", "size": 2}),
        "projects_evaluate" => json!({"projects": PROJECTS}),
        "projects_select" => json!({"projects": PROJECTS, "budget": 200}),
        "monitor" => {
            json!({"us": "RUS", "them": "CHN", "kpis": ["import_penetration", "fva_final_demand_share"]})
        }
        "decompose" => {
            json!({"us": "RUS", "them": "CHN", "data": "wiod2013", "from": 1995, "to": 2011})
        }
        _ => return None,
    })
}

fn error_responses(extra: &[(&str, &str)]) -> Map<String, Value> {
    let mut out = Map::new();
    let error = json!({"content": {JSON: {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}});
    for (status, description) in [
        ("400", "A bad request: malformed JSON, an unknown field, a value out of range, an unknown name (with `field`, `nearest` and `choices`)"),
        ("401", "A missing or wrong bearer token (when the server has one)"),
        ("404", "An unknown dataset or path"),
        ("413", "A body over the server's --max-body"),
        ("422", "A dataset that does not balance or is malformed"),
        ("500", "A failed computation, or a bug (the server goes on)"),
        ("503", "At capacity: try again after `Retry-After` seconds"),
        ("504", "The work took longer than the server's --timeout and was stopped"),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    {
        let mut e = error.clone();
        e["description"] = json!(description);
        if status == "503" {
            e["headers"] = json!({"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}});
        }
        out.insert(status.to_string(), e);
    }
    out
}

fn report_response(streams: bool) -> Value {
    let mut content = json!({
        JSON: {"schema": {"$ref": "#/components/schemas/Report"}},
        CSV: {"schema": {"type": "string"}},
        ARROW: {"schema": {"type": "string", "contentMediaType": ARROW}},
    });
    if streams {
        content[NDJSON] = json!({"schema": {"type": "string"},
            "description": "Batches and sweeps only: one report per line as parts finish, then the report that sums up the run"});
    }
    json!({
        "description": "The report: JSON (default), CSV of one table (`Accept: text/csv`), or one table as an Arrow IPC stream",
        "headers": {"Server-Timing": {
            "description": "load (the dataset; near zero when an earlier request loaded it), solve, render, total, in ms",
            "schema": {"type": "string"}}},
        "content": content,
    })
}

fn format_parameters() -> Value {
    json!([
        {"name": "table", "in": "query", "required": false,
         "description": "The table for CSV and Arrow (the only one kept in JSON); the first by default",
         "schema": {"type": "string"}},
        {"name": "format", "in": "query", "required": false,
         "description": "json, csv or arrow, instead of the Accept header",
         "schema": {"type": "string", "enum": ["json", "csv", "arrow"]}},
    ])
}

fn get_operation(
    id: &str,
    summary: &str,
    tag: &str,
    extra_parameters: Vec<Value>,
    secured: bool,
) -> Value {
    let mut parameters = extra_parameters;
    parameters.extend(format_parameters().as_array().cloned().unwrap_or_default());
    let mut responses = error_responses(&[]);
    responses.insert("200".into(), report_response(false));
    let mut op = json!({
        "operationId": id, "summary": summary, "tags": [tag],
        "parameters": parameters, "responses": responses,
    });
    if secured {
        op["security"] = json!([{"bearer": []}]);
    }
    op
}

/// The document; `secured` adds the bearer scheme to every data operation.
pub(crate) fn document(secured: bool) -> Value {
    let settings = SchemaSettings::draft2020_12().with(|s| s.definitions_path = COMPONENTS.into());
    let mut requests: SchemaGenerator = settings.clone().for_deserialize().into_generator();
    let mut reports: SchemaGenerator = settings.for_serialize().into_generator();
    reports.subschema_for::<sovra_report::Report>();
    reports.subschema_for::<ErrorBody>();

    let mut paths = Map::new();
    paths.insert(
        "/v1/datasets".into(),
        json!({"get": get_operation("list_datasets", "The datasets in the store (the datasets report)", "datasets", vec![], secured)}),
    );
    paths.insert(
        "/v1/datasets/{name}".into(),
        json!({"get": get_operation("dataset_info", "One dataset: the info report (labels, totals, checks)", "datasets",
            vec![json!({"name": "name", "in": "path", "required": true, "description": "Dataset name in the store",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$"}})], secured)}),
    );
    paths.insert(
        "/v1/blocs".into(),
        json!({"get": get_operation("list_blocs", "The blocs and their members on a date (the blocs report)", "blocs",
            vec![json!({"name": "as_of", "in": "query", "required": false, "description": "Membership date, YYYY-MM-DD (default today)",
                "schema": {"type": "string", "format": "date"}})], secured)}),
    );
    for kind in KINDS {
        let schema = sovra_engine::request_schema(kind, &mut requests)
            .map(|s| s.to_value())
            .unwrap_or_else(|| json!({"type": "object"}));
        let mut responses = error_responses(&[]);
        responses.insert("200".into(), report_response(true));
        let mut body = json!({"schema": schema});
        if let Some(example) = example(kind) {
            body["example"] = example;
        }
        let mut op = json!({
            "operationId": kind,
            "summary": summary(kind),
            "description": format!("The body is the `{kind}` request as JSON; its fields are named after the CLI's arguments and flags. Unknown fields are refused."),
            "tags": ["analyses"],
            "parameters": format_parameters(),
            "requestBody": {"required": false, "content": {JSON: body}},
            "responses": responses,
        });
        if secured {
            op["security"] = json!([{"bearer": []}]);
        }
        let path = format!("/v1/{kind}");
        match paths.get_mut(&path) {
            Some(Value::Object(item)) => {
                item.insert("post".into(), op);
            }
            _ => {
                paths.insert(path, json!({"post": op}));
            }
        }
    }
    paths.insert(
        "/v1/openapi.json".into(),
        json!({"get": {"operationId": "openapi", "summary": "This document", "tags": ["meta"],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": {"type": "object"}}}}}}}),
    );

    let mut schemas = requests.take_definitions(true);
    for (name, schema) in reports.take_definitions(true) {
        schemas.insert(name, schema);
    }
    let mut components = json!({"schemas": schemas});
    if secured {
        components["securitySchemes"] = json!({"bearer": {"type": "http", "scheme": "bearer",
            "description": "The token in the server's --token-file"}});
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "sovra HTTP API",
            "version": sovra_report::VERSION,
            "summary": "Economic-security analytics on multi-regional input-output tables",
            "description": "Every analysis of the sovra CLI as `POST /v1/<kind>` with the request as JSON; the answer is the report (JSON, CSV or Arrow). Errors are JSON `{kind, message, field, nearest, choices}`. Read-only: datasets are named, never given as paths. See docs/http.md in the sovra sources. sovra is licensed Apache-2.0; this page uses Swagger UI (Apache-2.0, its licence at /assets/swagger-ui/LICENSE).",
        },
        "tags": [
            {"name": "analyses", "description": "One POST per engine request"},
            {"name": "datasets", "description": "The store"},
            {"name": "blocs", "description": "Country groups"},
            {"name": "meta", "description": "This API"},
        ],
        "paths": paths,
        "components": components,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_a_valid_request() {
        for kind in KINDS {
            let example = example(kind).unwrap_or_else(|| panic!("no example for {kind}"));
            let body = serde_json::to_vec(&example).expect("json");
            sovra_engine::Request::from_body(kind, &body).unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
    }
}
