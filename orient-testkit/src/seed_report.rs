//! Reading the report `orient-seed --json` prints.

/// Per seeder and table: (seeder, table, inserted, updated, unchanged, skipped).
pub fn counts(report: &serde_json::Value) -> Vec<(String, String, u64, u64, u64, u64)> {
    let mut out = Vec::new();
    for seeder in report["seeders"].as_array().unwrap() {
        for table in seeder["tables"].as_array().unwrap() {
            out.push((
                seeder["seeder"].as_str().unwrap().to_owned(),
                table["table"].as_str().unwrap().to_owned(),
                table["inserted"].as_u64().unwrap(),
                table["updated"].as_u64().unwrap(),
                table["unchanged"].as_u64().unwrap(),
                table["skipped"].as_u64().unwrap(),
            ));
        }
    }
    out
}

/// The totals of a report: (inserted, updated, unchanged, skipped).
pub fn totals(report: &serde_json::Value) -> (u64, u64, u64, u64) {
    let t = &report["totals"];
    (
        t["inserted"].as_u64().unwrap(),
        t["updated"].as_u64().unwrap(),
        t["unchanged"].as_u64().unwrap(),
        t["skipped"].as_u64().unwrap(),
    )
}
