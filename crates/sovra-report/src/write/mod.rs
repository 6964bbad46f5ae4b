//! How a report leaves the program: JSON and JSON Lines for machines and streams, CSV for spreadsheets,
//! (feature `arrow`) Arrow record batches, Arrow IPC streams and Parquet files for dataframes, and (feature
//! `html`) one self-contained HTML file with the report's charts. No terminal rendering: that belongs to the
//! front end.
//!
//! Every writer writes a non-finite number (NaN, ±∞) in a number column as null.

mod csv;
#[cfg(feature = "html")]
mod html;
mod json;

#[cfg(feature = "arrow")]
mod arrow;

#[cfg(feature = "arrow")]
pub use arrow::{report_record_batch, to_record_batch, write_ipc_stream, write_parquet};
pub use csv::{csv_rows_only, table_csv, to_csv};
#[cfg(feature = "html")]
pub use html::{MAX_ROWS as HTML_MAX_ROWS, charts, to_html, to_html_many};
pub use json::{to_json, to_json_line, to_json_value, write_json, write_json_line};
