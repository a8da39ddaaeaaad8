//! GraphQL multipart requests (the upload specification): `operations`, `map`, then the file;
//! and a workbook to upload.

use serde_json::{Value, json};

use super::{TestApp, graphql_post};

/// A workbook of one sheet whose cells are the text of `rows`: a file to import or upload.
pub fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).expect("cell");
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

impl TestApp {
    /// Posts a GraphQL multipart request whose variable `$file` is the uploaded `bytes`;
    /// returns the HTTP status and the JSON body (`Value::Null` when the body is not JSON).
    pub async fn upload(
        &self,
        token: Option<&str>,
        query: &str,
        mut variables: Value,
        file_name: &str,
        bytes: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        variables["file"] = Value::Null;
        let operations = json!({ "query": query, "variables": variables });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(file_name.to_owned())
                    .mime_str("application/octet-stream")
                    .expect("mime"),
            );
        let resp = graphql_post(&self.client, &self.address, token, headers)
            .multipart(form)
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Runs `importFile` with a file; returns the body.
    #[allow(clippy::too_many_arguments)]
    pub async fn import(
        &self,
        token: &str,
        entity: &str,
        file_name: &str,
        bytes: Vec<u8>,
        dry_run: bool,
        partial: bool,
        lang: &str,
    ) -> Value {
        let (status, body) = self
            .upload(
                Some(token),
                "mutation($e: ImportEntity!, $file: Upload!, $d: Boolean!, $p: Boolean) {
                   importFile(entity: $e, file: $file, dryRun: $d, partial: $p) {
                     entity dryRun rowsRead rowsValid created updated unchanged
                     errors { row column code message } } }",
                json!({ "e": entity, "d": dry_run, "p": partial }),
                file_name,
                bytes,
                &[("accept-language", lang)],
            )
            .await;
        assert_eq!(status, 200, "{body:#}");
        body
    }
}
