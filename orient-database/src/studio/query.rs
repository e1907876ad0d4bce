//! Reading rows: keyset pagination, filters and the rows that reference a row.
//!
//! Pages are keyset pages, never `OFFSET`: a page is "the next `limit` rows after this one" in the order
//! (sort column, key), so page 20 000 of a million-row table costs what page 1 does. A sort column can
//! hold NULLs, which SQLite sorts first, so the order is split into regions (the NULLs by key, then the
//! values by (value, key)) and each region is read with a condition an index can seek to:
//! `s = ? AND key > ?` for the rest of a run of equal values, then `s > ?`. Sorting is only offered on
//! columns that lead an index (or the key), so every region is an index range.
//!
//! Identifiers come from the [`TableView`] (checked against the live schema, quoted); every value is a
//! bound parameter.

use crate::db::backend::DbConnection;
use serde::{Deserialize, Serialize};

use crate::model::ColumnType;
use crate::studio::catalog::{TableView, printable};
use crate::studio::engine::StudioConnection;
use crate::studio::error::Error;
use crate::studio::value::{self, CursorValue, Value};

/// Rows per page when the request does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// The most rows a page may ask for.
pub const MAX_LIMIT: usize = 500;
/// Text longer than this is cut in table pages (the row page shows it whole).
pub const CELL_CHARS: usize = 240;

/// A page of a table, as asked for in the query string:
/// `sort=COL&dir=asc|desc&after=CURSOR|before=CURSOR&limit=N`, and filters `eq.COL=VALUE`,
/// `has.COL=TEXT` (contains), `null.COL` (is null), `notnull.COL`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageRequest {
    pub sort: Option<String>,
    pub descending: bool,
    pub after: Option<String>,
    pub before: Option<String>,
    pub limit: Option<usize>,
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub column: String,
    pub op: FilterOp,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterOp {
    Eq,
    Contains,
    IsNull,
    NotNull,
}

impl FilterOp {
    fn prefix(self) -> &'static str {
        match self {
            FilterOp::Eq => "eq",
            FilterOp::Contains => "has",
            FilterOp::IsNull => "null",
            FilterOp::NotNull => "notnull",
        }
    }
}

impl PageRequest {
    /// Reads the query string's pairs. Unknown parameters are refused rather than ignored, so a typo never
    /// silently shows unfiltered rows.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<PageRequest, Error> {
        let mut request = PageRequest::default();
        for (name, value) in pairs {
            match name.as_str() {
                "sort" => request.sort = Some(value.clone()),
                "dir" => {
                    request.descending = match value.as_str() {
                        "asc" => false,
                        "desc" => true,
                        _ => {
                            return Err(Error::BadRequest(format!(
                                "dir must be asc or desc, not `{}`",
                                printable(value)
                            )));
                        }
                    }
                }
                "after" => request.after = Some(value.clone()),
                "before" => request.before = Some(value.clone()),
                "limit" => {
                    let limit = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n));
                    request.limit = Some(limit.ok_or_else(|| {
                        Error::BadRequest(format!("limit must be a number from 1 to {MAX_LIMIT}"))
                    })?);
                }
                _ => request.filters.push(Filter::from_pair(name, value)?),
            }
        }
        if request.after.is_some() && request.before.is_some() {
            return Err(Error::BadRequest(
                "give either after or before, not both".to_owned(),
            ));
        }
        Ok(request)
    }

    /// Only the filters, for counting.
    pub fn filters_from_pairs(pairs: &[(String, String)]) -> Result<Vec<Filter>, Error> {
        pairs
            .iter()
            .map(|(name, value)| Filter::from_pair(name, value))
            .collect()
    }
}

impl Filter {
    fn from_pair(name: &str, value: &str) -> Result<Filter, Error> {
        let (prefix, column) = name
            .split_once('.')
            .ok_or_else(|| Error::BadRequest(format!("unknown parameter `{}`", printable(name))))?;
        let op = match prefix {
            "eq" => FilterOp::Eq,
            "has" => FilterOp::Contains,
            "null" => FilterOp::IsNull,
            "notnull" => FilterOp::NotNull,
            _ => {
                return Err(Error::BadRequest(format!(
                    "unknown filter `{}`: use eq.COLUMN, has.COLUMN, null.COLUMN or notnull.COLUMN",
                    printable(prefix)
                )));
            }
        };
        Ok(Filter {
            column: column.to_owned(),
            op,
            value: value.to_owned(),
        })
    }

    /// The parameter this filter came from (`eq.agent_id`).
    pub fn parameter(&self) -> String {
        format!("{}.{}", self.op.prefix(), self.column)
    }
}

/// A condition with its parameters.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    pub sql: Vec<String>,
    pub binds: Vec<Value>,
}

impl Condition {
    fn and(&mut self, sql: impl Into<String>, binds: impl IntoIterator<Item = Value>) {
        self.sql.push(sql.into());
        self.binds.extend(binds);
    }

    fn merged(&self, other: &Condition) -> Condition {
        let mut both = self.clone();
        both.sql.extend(other.sql.iter().cloned());
        both.binds.extend(other.binds.iter().cloned());
        both
    }

    pub fn where_clause(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.sql.join(" AND "))
        }
    }
}

/// Filters as a condition, each column checked against the table and each value read by its type.
pub fn filter_condition(table: &TableView, filters: &[Filter]) -> Result<Condition, Error> {
    let mut condition = Condition::default();
    for filter in filters {
        let column = table.column(&filter.column)?;
        let name = table.expression(column);
        match filter.op {
            FilterOp::Eq => {
                let value = value::parse_text(column.ty, &filter.value).map_err(|e| {
                    Error::BadRequest(format!("filter on `{}`: {}", column.name, e.0))
                })?;
                let value = table.dialect.bind_value(column.ty, value);
                condition.and(format!("{name} = ?"), [value]);
            }
            FilterOp::Contains => {
                condition.and(
                    table.dialect.contains(&name),
                    [Value::Text(format!("%{}%", escape_like(&filter.value)))],
                );
            }
            FilterOp::IsNull => condition.and(format!("{name} IS NULL"), []),
            FilterOp::NotNull => condition.and(format!("{name} IS NOT NULL"), []),
        }
    }
    Ok(condition)
}

/// `%`, `_` and `\` match themselves.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

/// Where a page starts: the sort value and key of the row before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// The sort column the cursor belongs to (the key when empty).
    c: String,
    d: bool,
    s: Option<CursorValue>,
    k: Vec<CursorValue>,
}

/// A page of rows.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub table: TableView,
    /// The sort column (empty: the key).
    pub sort: String,
    pub descending: bool,
    pub filters: Vec<Filter>,
    pub limit: usize,
    pub rows: Vec<RowOut>,
    /// The cursor of the next page (`after=`), if there are more rows.
    pub next: Option<String>,
    /// The cursor of the previous page (`before=`), if this is not the first.
    pub prev: Option<String>,
}

/// A row as sent to the page: its key (for links) and its values in column order.
#[derive(Debug, Clone, Serialize)]
pub struct RowOut {
    pub key: String,
    pub values: Vec<serde_json::Value>,
}

/// The sort of a page, resolved against the table.
struct Order {
    /// The sort column (quoted) and whether it can hold NULL; `None` when sorting by the key.
    sort: Option<(String, bool)>,
    /// Its position in a row.
    sort_position: Option<usize>,
    key: Vec<String>,
    descending: bool,
}

impl Order {
    fn key_after(&self, descending: bool) -> String {
        let op = if descending { "<" } else { ">" };
        let placeholders = vec!["?"; self.key.len()].join(", ");
        if self.key.len() == 1 {
            format!("{} {op} ?", self.key.join(""))
        } else {
            format!("({}) {op} ({placeholders})", self.key.join(", "))
        }
    }

    fn key_order(&self, descending: bool) -> String {
        let dir = if descending { "DESC" } else { "ASC" };
        self.key
            .iter()
            .map(|k| format!("{k} {dir}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The regions to read, in order, for rows after `cursor` (in this order's direction or, with
    /// `reverse`, the opposite one): each a condition and an ORDER BY.
    fn regions(
        &self,
        cursor: Option<(&Option<Value>, &[Value])>,
        reverse: bool,
    ) -> Vec<(Condition, String)> {
        let desc = self.descending != reverse;
        let Some((sort, nullable)) = &self.sort else {
            let mut condition = Condition::default();
            if let Some((_, key)) = cursor {
                condition.and(self.key_after(desc), key.iter().cloned());
            }
            return vec![(condition, self.key_order(desc))];
        };
        let dir = if desc { "DESC" } else { "ASC" };
        let by_value = format!("{sort} {dir}, {}", self.key_order(desc));
        let by_key = self.key_order(desc);
        let cond = |sql: String, binds: Vec<Value>| Condition {
            sql: vec![sql],
            binds,
        };
        let nulls = || cond(format!("{sort} IS NULL"), Vec::new());
        let values = || cond(format!("{sort} IS NOT NULL"), Vec::new());
        let mut regions = Vec::new();
        match cursor {
            None => {
                if !desc && *nullable {
                    regions.push((nulls(), by_key.clone()));
                }
                regions.push((values(), by_value));
                if desc && *nullable {
                    regions.push((nulls(), by_key));
                }
            }
            Some((Some(Value::Null) | None, key)) => {
                let mut rest_of_nulls = nulls();
                rest_of_nulls.and(self.key_after(desc), key.iter().cloned());
                regions.push((rest_of_nulls, by_key));
                if !desc {
                    regions.push((values(), by_value));
                }
            }
            Some((Some(value), key)) => {
                let mut rest_of_run = cond(format!("{sort} = ?"), vec![value.clone()]);
                rest_of_run.and(self.key_after(desc), key.iter().cloned());
                regions.push((rest_of_run, by_key.clone()));
                let op = if desc { "<" } else { ">" };
                regions.push((
                    cond(format!("{sort} {op} ?"), vec![value.clone()]),
                    by_value,
                ));
                if desc && *nullable {
                    regions.push((nulls(), by_key));
                }
            }
        }
        regions
    }
}

/// Reads one page of `table`.
pub fn page(
    conn: &mut DbConnection,
    table: TableView,
    request: &PageRequest,
) -> Result<Page, Error> {
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
    let filters = filter_condition(&table, &request.filters)?;
    let key_positions = table.key_positions();
    let (sort_name, order) = resolve_order(&table, request)?;

    let (cursor_text, reverse) = match (&request.after, &request.before) {
        (Some(after), _) => (Some(after), false),
        (None, Some(before)) => (Some(before), true),
        (None, None) => (None, false),
    };
    let cursor = match cursor_text {
        Some(text) => Some(parse_cursor(text, &sort_name, request.descending, &order)?),
        None => None,
    };
    let cursor_ref = cursor.as_ref().map(|(s, k)| (s, k.as_slice()));

    // One snapshot for all regions: the caller runs this in a read transaction.
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for (condition, order_by) in order.regions(cursor_ref, reverse) {
        let wanted = limit + 1 - rows.len();
        if wanted == 0 {
            break;
        }
        let all = filters.merged(&condition);
        let sql = format!(
            "SELECT {} FROM {}{} ORDER BY {order_by} LIMIT {wanted}",
            table.select_list(),
            table.quoted(),
            all.where_clause(),
        );
        rows.extend(load(conn, &sql, &all.binds)?);
    }
    let more = rows.len() > limit;
    rows.truncate(limit);
    if reverse {
        rows.reverse();
    }
    let cursor_of = |row: &Vec<Value>| -> String {
        let cursor = Cursor {
            c: sort_name.clone(),
            d: request.descending,
            s: order
                .sort_position
                .and_then(|i| row.get(i))
                .map(CursorValue::from),
            k: key_positions
                .iter()
                .filter_map(|i| row.get(*i))
                .map(CursorValue::from)
                .collect(),
        };
        serde_json::to_string(&cursor).unwrap_or_default()
    };
    let (next, prev) = match (cursor.is_some(), reverse) {
        // First page.
        (false, _) => (more.then(|| rows.last().map(cursor_of)).flatten(), None),
        // After a cursor: there was a page before.
        (true, false) => (
            more.then(|| rows.last().map(cursor_of)).flatten(),
            rows.first().map(cursor_of),
        ),
        // Before a cursor: the rows after it exist.
        (true, true) => (
            rows.last().map(cursor_of),
            more.then(|| rows.first().map(cursor_of)).flatten(),
        ),
    };
    let rows = rows
        .iter()
        .map(|row| row_out(&table, row, Some(CELL_CHARS)))
        .collect();
    Ok(Page {
        sort: sort_name,
        descending: request.descending,
        filters: request.filters.clone(),
        limit,
        rows,
        next,
        prev,
        table,
    })
}

fn resolve_order(table: &TableView, request: &PageRequest) -> Result<(String, Order), Error> {
    let key = table.key_sql();
    let single_key = (table.key.len() == 1).then(|| table.key.join(""));
    let sort = match &request.sort {
        None => None,
        Some(name) if Some(name) == single_key.as_ref() => None,
        Some(name) => {
            let column = table.column(name)?;
            if !column.sortable {
                let sortable: Vec<&str> = table
                    .columns
                    .iter()
                    .filter(|c| c.sortable)
                    .map(|c| c.name.as_str())
                    .collect();
                return Err(Error::BadRequest(format!(
                    "`{}` has no index, so sorting by it would read the whole table; sort by one of: {}",
                    column.name,
                    sortable.join(", ")
                )));
            }
            Some(column)
        }
    };
    let order = Order {
        sort: sort.map(|c| (table.expression(c), c.nullable)),
        sort_position: sort.and_then(|c| table.column_index(&c.name)),
        key,
        descending: request.descending,
    };
    Ok((sort.map(|c| c.name.clone()).unwrap_or_default(), order))
}

fn parse_cursor(
    text: &str,
    sort_name: &str,
    descending: bool,
    order: &Order,
) -> Result<(Option<Value>, Vec<Value>), Error> {
    let bad = || Error::BadRequest("the page cursor is not one this page made".to_owned());
    let cursor: Cursor = serde_json::from_str(text).map_err(|_| bad())?;
    if cursor.c != sort_name || cursor.d != descending || cursor.k.len() != order.key.len() {
        return Err(bad());
    }
    if order.sort.is_some() != cursor.s.is_some() {
        return Err(bad());
    }
    let sort = match &cursor.s {
        Some(s) => Some(s.to_value().ok_or_else(bad)?),
        None => None,
    };
    let key = cursor
        .k
        .iter()
        .map(|k| k.to_value().ok_or_else(bad))
        .collect::<Result<Vec<Value>, Error>>()?;
    Ok((sort, key))
}

/// Runs a query and reads each row as values.
pub fn load(conn: &mut DbConnection, sql: &str, binds: &[Value]) -> Result<Vec<Vec<Value>>, Error> {
    Ok(conn.load_values(sql, binds)?)
}

/// `SELECT count(*)` with a condition.
pub fn count(
    conn: &mut DbConnection,
    table: &TableView,
    condition: &Condition,
) -> Result<i64, Error> {
    let sql = format!(
        "SELECT count(*) FROM {}{}",
        table.quoted(),
        condition.where_clause()
    );
    let rows = load(conn, &sql, &condition.binds)?;
    match rows.first().and_then(|r| r.first()) {
        Some(Value::Integer(n)) => Ok(*n),
        _ => Ok(0),
    }
}

/// A row for the page. `cut`: shorten long text (table pages).
pub fn row_out(table: &TableView, row: &[Value], cut: Option<usize>) -> RowOut {
    let values = row
        .iter()
        .take(table.columns.len())
        .map(|v| match (v, cut) {
            (Value::Text(t), Some(max)) if t.chars().count() > max => {
                let short: String = t.chars().take(max).collect();
                serde_json::Value::from(format!("{short}…"))
            }
            _ => v.to_json(),
        })
        .collect();
    RowOut {
        key: key_text(&table.key_positions(), row),
        values,
    }
}

/// The text identifying a row in a URL: the key's value, or a JSON array of values for a composite key.
pub fn key_text(positions: &[usize], row: &[Value]) -> String {
    let values: Vec<&Value> = positions.iter().filter_map(|i| row.get(*i)).collect();
    match values.as_slice() {
        [one] => one.to_text(),
        many => serde_json::Value::Array(many.iter().map(|v| v.to_json()).collect()).to_string(),
    }
}

/// Reads a key from a URL back into values of the key's types; a 400 when it does not fit.
pub fn parse_key(table: &TableView, text: &str) -> Result<Vec<Value>, Error> {
    let types = table.key_types();
    let parts: Vec<String> = if types.len() == 1 {
        vec![text.to_owned()]
    } else {
        let array: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|_| {
            Error::BadRequest(format!(
                "the key of `{}` has {} columns: give a JSON array",
                table.name,
                types.len()
            ))
        })?;
        array
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .collect()
    };
    if parts.len() != types.len() {
        return Err(Error::BadRequest(format!(
            "the key of `{}` has {} columns",
            table.name,
            types.len()
        )));
    }
    types
        .iter()
        .zip(&parts)
        .map(|(declared, part)| {
            let ty = match declared {
                // Keys are compared as stored: integers as integers, everything else as text.
                ColumnType::Integer
                | ColumnType::BigInt
                | ColumnType::Timestamp
                | ColumnType::Bool => ColumnType::BigInt,
                _ => ColumnType::Text,
            };
            value::parse_text(ty, part)
                .map(|v| table.dialect.bind_value(*declared, v))
                .map_err(|e| {
                    Error::BadRequest(format!(
                        "`{}` is not a key of `{}`: {}",
                        printable(part),
                        table.name,
                        e.0
                    ))
                })
        })
        .collect()
}

/// The condition selecting one row by key.
pub fn key_condition(table: &TableView, key: &[Value]) -> Condition {
    let mut condition = Condition::default();
    for (column, value) in table.key_sql().iter().zip(key) {
        condition.and(format!("{column} = ?"), [value.clone()]);
    }
    condition
}

/// One row by key, or a 404.
pub fn find_row(
    conn: &mut DbConnection,
    table: &TableView,
    key: &[Value],
) -> Result<Vec<Value>, Error> {
    let condition = key_condition(table, key);
    let sql = format!(
        "SELECT {} FROM {}{}",
        table.select_list(),
        table.quoted(),
        condition.where_clause()
    );
    load(conn, &sql, &condition.binds)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::NotFound(format!("no row of `{}` has that key", table.name)))
}

/// Rows of another table that point at a row through one foreign key.
#[derive(Debug, Clone, Serialize)]
pub struct Referencing {
    pub table: TableView,
    /// The referencing columns, and the values they hold for this row.
    pub columns: Vec<String>,
    pub values: Vec<serde_json::Value>,
    /// The filter parameters that list them all (`eq.agent_id=helper`).
    pub filter: Vec<(String, String)>,
    pub count: i64,
    pub rows: Vec<RowOut>,
}

/// How many referencing rows a row page shows per foreign key.
pub const REFERENCING_ROWS: usize = 10;
