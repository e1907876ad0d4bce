//! Where each table box and each foreign-key line of an ER diagram goes: pure geometry, no markup
//! ([`crate::diagram::svg`] draws it).
//!
//! - Boxes are measured from their text, in a monospace font so that a width is a character count.
//! - Tables joined by foreign keys form clusters. In a cluster, tables are arranged in columns by
//!   foreign-key depth (a table referencing nothing is in column 0, a table referencing it in column 1, …;
//!   a cycle is cut where it closes), parents to the left. Each column is stacked top to bottom, parents
//!   moved level with their children and children level with their parents' key, without overlapping.
//! - A line runs orthogonally from the child's key row to the parent's referenced row: out of the box
//!   side facing the other table, along a vertical lane in the gap between the two columns, and in. Lines
//!   from one parent row share a lane (a bus); lanes whose spans overlap are set apart.
//! - Clusters are packed in rows up to [`Style::max_width`]; tables with no foreign key at all go in equal
//!   columns below them, each into the shortest column.
//!
//! Boxes never overlap: within a column they are stacked, columns and clusters are side by side.

use std::collections::{BTreeMap, HashMap};

use crate::diagram::{Keys, relationships};
use crate::model::{FkAction, Schema, Table};

/// Sizes and spacing, in SVG user units (pixels at 100 %).
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// Column names.
    pub font_size: f64,
    /// Types and key markers.
    pub small_font_size: f64,
    /// Table names.
    pub title_font_size: f64,
    /// The advance of one character of the monospace font, in em (0.6 for most monospace fonts; a bit
    /// more so that text never overflows its box).
    pub char_em: f64,
    pub row_height: f64,
    pub header_height: f64,
    /// Inside a box, left and right.
    pub padding: f64,
    pub min_box_width: f64,
    /// Longer names are shortened with `…` (the full name is in the tooltip).
    pub max_name_chars: usize,
    /// Between boxes stacked in a column.
    pub box_gap: f64,
    /// Between clusters, and between the columns of unrelated tables.
    pub cluster_gap: f64,
    /// Between a box and the first lane: room for the cardinality marks.
    pub channel_margin: f64,
    pub lane_gap: f64,
    /// Around the whole diagram.
    pub margin: f64,
    /// The height of a section title ("Related by foreign keys").
    pub label_height: f64,
    /// Rows of clusters and columns of unrelated tables are filled up to this width.
    pub max_width: f64,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            font_size: 12.0,
            small_font_size: 10.5,
            title_font_size: 13.0,
            char_em: 0.62,
            row_height: 20.0,
            header_height: 28.0,
            padding: 10.0,
            min_box_width: 170.0,
            max_name_chars: 40,
            box_gap: 24.0,
            cluster_gap: 48.0,
            channel_margin: 30.0,
            lane_gap: 12.0,
            margin: 20.0,
            label_height: 30.0,
            max_width: 1360.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// The laid-out diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    /// One per table, in the schema's (name) order.
    pub boxes: Vec<TableBox>,
    /// One per foreign key whose referenced table is in the schema.
    pub connectors: Vec<Connector>,
    /// Section titles, when there are both related and unrelated tables.
    pub labels: Vec<Label>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableBox {
    pub name: String,
    /// `name`, shortened to [`Style::max_name_chars`].
    pub title: String,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub header_height: f64,
    pub row_height: f64,
    /// The width of the key-marker column at the left of the rows (0 when no column is a key).
    pub key_width: f64,
    pub rows: Vec<Row>,
}

impl TableBox {
    /// The vertical middle of row `index`.
    pub fn row_middle(&self, index: usize) -> f64 {
        self.y + self.header_height + (index as f64 + 0.5) * self.row_height
    }

    /// Where a line meets the box for `column`: its row, or the header when there is no such column.
    fn anchor(&self, column: Option<&str>) -> f64 {
        column
            .and_then(|c| self.rows.iter().position(|r| r.name == c))
            .map_or(self.y + self.header_height / 2.0, |i| self.row_middle(i))
    }

    pub fn right(&self) -> f64 {
        self.x + self.width
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }

    fn shift(&mut self, dx: f64, dy: f64) {
        self.x += dx;
        self.y += dy;
    }
}

/// One column of a table box.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    /// `name`, shortened.
    pub label: String,
    /// The logical type, with `?` when the column is nullable.
    pub type_label: String,
    pub keys: Keys,
}

/// The line of one foreign key.
#[derive(Debug, Clone, PartialEq)]
pub struct Connector {
    pub child: String,
    pub columns: Vec<String>,
    pub parent: String,
    pub references: Vec<String>,
    /// Orthogonal polyline from the child's key row (on its box's side) to the parent's referenced row.
    pub points: Vec<Point>,
    pub optional: bool,
    pub one_to_one: bool,
    pub on_delete: FkAction,
    /// How far from its row's middle the line meets the parent (not 0 when lines with different marks
    /// leave the same row: they are drawn apart, with smaller marks).
    pub parent_offset: f64,
}

impl Connector {
    fn shift(&mut self, dx: f64, dy: f64) {
        for p in &mut self.points {
            p.x += dx;
            p.y += dy;
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub x: f64,
    /// The text's baseline.
    pub y: f64,
    pub text: String,
}

/// Lays out a schema.
pub fn layout(schema: &Schema, style: &Style) -> Layout {
    let mut boxes: Vec<TableBox> = schema.tables.iter().map(|t| measure(t, style)).collect();
    let index: HashMap<&str, usize> = schema
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_ref(), i))
        .collect();
    let edges: Vec<Edge> = relationships(schema)
        .iter()
        .filter_map(|r| {
            Some(Edge {
                child: *index.get(r.child.name.as_ref())?,
                parent: *index.get(r.parent())?,
                columns: r
                    .foreign_key
                    .columns
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
                references: r
                    .foreign_key
                    .references_columns
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
                optional: r.optional,
                one_to_one: r.one_to_one,
                on_delete: r.foreign_key.on_delete,
            })
        })
        .collect();

    // Connected components over the foreign keys.
    let mut components = UnionFind::new(boxes.len());
    for edge in &edges {
        components.join(edge.child, edge.parent);
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..boxes.len() {
        groups.entry(components.find(i)).or_default().push(i);
    }
    let (related, unrelated): (Vec<Vec<usize>>, Vec<Vec<usize>>) = groups
        .into_values()
        .partition(|members| members.len() > 1 || edges.iter().any(|e| e.child == members[0]));
    let mut clusters: Vec<Cluster> = related
        .iter()
        .map(|members| layout_cluster(members, &edges, &mut boxes, style))
        .collect();
    // Big clusters first; ties by their first table's name (members are in name order).
    clusters.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then(a.members[0].cmp(&b.members[0]))
    });
    let unrelated: Vec<usize> = unrelated.into_iter().flatten().collect();

    let mut labels = Vec::new();
    let titled = !clusters.is_empty() && !unrelated.is_empty();
    let mut y = style.margin;
    let mut width: f64 = 0.0;
    let mut connectors = Vec::new();

    // Clusters, in rows.
    if !clusters.is_empty() {
        if titled {
            labels.push(Label {
                x: style.margin,
                y: y + style.label_height * 0.6,
                text: "Related by foreign keys".to_owned(),
            });
            y += style.label_height;
        }
        let mut x = style.margin;
        let mut row_height: f64 = 0.0;
        for mut cluster in clusters {
            if x > style.margin && x + cluster.width > style.margin + style.max_width {
                x = style.margin;
                y += row_height + style.cluster_gap;
                row_height = 0.0;
            }
            for &m in &cluster.members {
                boxes[m].shift(x, y);
            }
            for c in &mut cluster.connectors {
                c.shift(x, y);
            }
            connectors.append(&mut cluster.connectors);
            width = width.max(x + cluster.width);
            row_height = row_height.max(cluster.height);
            x += cluster.width + style.cluster_gap;
        }
        y += row_height + style.cluster_gap;
    }

    // Unrelated tables, in equal columns, each into the shortest one.
    if !unrelated.is_empty() {
        if titled {
            labels.push(Label {
                x: style.margin,
                y: y + style.label_height * 0.6,
                text: "Tables without foreign keys".to_owned(),
            });
            y += style.label_height;
        }
        let column_width = unrelated
            .iter()
            .map(|&i| boxes[i].width)
            .fold(style.min_box_width, f64::max);
        let fit = ((style.max_width + style.cluster_gap) / (column_width + style.cluster_gap))
            .floor()
            .max(1.0) as usize;
        let mut bottoms = vec![y; fit.min(unrelated.len())];
        for &i in &unrelated {
            let (column, top) =
                bottoms
                    .iter()
                    .copied()
                    .enumerate()
                    .fold(
                        (0, f64::INFINITY),
                        |best, (c, b)| if b < best.1 { (c, b) } else { best },
                    );
            let b = &mut boxes[i];
            b.width = column_width;
            b.x = style.margin + column as f64 * (column_width + style.cluster_gap);
            b.y = top;
            bottoms[column] = top + b.height + style.box_gap;
            width = width.max(b.right());
        }
    }

    let height = boxes.iter().map(TableBox::bottom).fold(0.0, f64::max);
    Layout {
        width: (width + style.margin).ceil(),
        height: (height + style.margin).ceil(),
        boxes,
        connectors,
        labels,
    }
}

/// A foreign key between two tables of the schema (by index).
#[derive(Debug, Clone)]
struct Edge {
    child: usize,
    parent: usize,
    columns: Vec<String>,
    references: Vec<String>,
    optional: bool,
    one_to_one: bool,
    on_delete: FkAction,
}

/// A laid-out cluster, in its own coordinates (top left at 0, 0).
struct Cluster {
    members: Vec<usize>,
    width: f64,
    height: f64,
    connectors: Vec<Connector>,
}

/// Which side of a box a line leaves from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Side {
    Left,
    Right,
}

fn layout_cluster(
    members: &[usize],
    all_edges: &[Edge],
    boxes: &mut [TableBox],
    style: &Style,
) -> Cluster {
    let edges: Vec<&Edge> = all_edges
        .iter()
        .filter(|e| members.contains(&e.child))
        .collect();

    // Columns by foreign-key depth.
    let mut depth: HashMap<usize, usize> = HashMap::new();
    for &m in members {
        depth_of(m, &edges, &mut depth, &mut Vec::new());
    }
    let columns = members.iter().map(|m| depth[m]).max().unwrap_or(0) + 1;
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for &m in members {
        layers[depth[&m]].push(m);
    }
    // Column 0 by name (members come in name order); the others by where their parents are.
    let mut position: HashMap<usize, f64> = HashMap::new();
    for (i, &m) in layers[0].iter().enumerate() {
        position.insert(m, i as f64);
    }
    for layer in layers.iter_mut().skip(1) {
        let mut keyed: Vec<(f64, usize)> = layer
            .iter()
            .map(|&m| {
                let parents: Vec<f64> = edges
                    .iter()
                    .filter(|e| e.child == m)
                    .filter_map(|e| position.get(&e.parent).copied())
                    .collect();
                let key = if parents.is_empty() {
                    f64::MAX
                } else {
                    parents.iter().sum::<f64>() / parents.len() as f64
                };
                (key, m)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        *layer = keyed.into_iter().map(|(_, m)| m).collect();
        for (i, &m) in layer.iter().enumerate() {
            position.insert(m, i as f64);
        }
    }

    // Stack each column, then move parents level with their children, then children level with the
    // key row of their parents.
    for layer in &layers {
        let mut y = 0.0;
        for &m in layer {
            boxes[m].y = y;
            y += boxes[m].height + style.box_gap;
        }
    }
    for k in (0..columns.saturating_sub(1)).rev() {
        let next = &layers[k + 1];
        let wanted: Vec<Option<f64>> = layers[k]
            .iter()
            .map(|&m| {
                let children: Vec<f64> = edges
                    .iter()
                    .filter(|e| e.parent == m && next.contains(&e.child))
                    .map(|e| boxes[e.child].y + boxes[e.child].height / 2.0)
                    .collect();
                (!children.is_empty()).then(|| {
                    children.iter().sum::<f64>() / children.len() as f64 - boxes[m].height / 2.0
                })
            })
            .collect();
        settle(&layers[k], &wanted, boxes, style);
    }
    for (k, layer) in layers.iter().enumerate().skip(1) {
        let wanted: Vec<Option<f64>> = layer
            .iter()
            .map(|&m| {
                let offsets: Vec<f64> = edges
                    .iter()
                    .filter(|e| e.child == m && depth[&e.parent] < k)
                    .map(|e| {
                        let parent =
                            boxes[e.parent].anchor(e.references.first().map(String::as_str));
                        let own =
                            boxes[m].anchor(e.columns.first().map(String::as_str)) - boxes[m].y;
                        parent - own
                    })
                    .collect();
                (!offsets.is_empty()).then(|| offsets.iter().sum::<f64>() / offsets.len() as f64)
            })
            .collect();
        settle(layer, &wanted, boxes, style);
    }
    // A parent's key row level with a row where another parent's line enters a child would read as one
    // line running through: move the parent down half a row at a time (and the boxes below it) until
    // the two are apart.
    for (k, layer) in layers.iter().enumerate().take(columns.saturating_sub(1)) {
        for (index, &m) in layer.iter().enumerate() {
            for _ in 0..40 {
                let own: Vec<f64> = edges
                    .iter()
                    .filter(|e| e.parent == m && depth[&e.child] == k + 1)
                    .map(|e| boxes[m].anchor(e.references.first().map(String::as_str)))
                    .collect();
                let clash = edges
                    .iter()
                    .filter(|e| e.parent != m && depth[&e.child] == k + 1 && depth[&e.parent] <= k)
                    .map(|e| boxes[e.child].anchor(e.columns.first().map(String::as_str)))
                    .any(|y| own.iter().any(|o| (y - o).abs() < style.row_height * 0.4));
                if !clash {
                    break;
                }
                boxes[m].y += style.row_height / 2.0;
                let mut floor = boxes[m].bottom() + style.box_gap;
                for &below in &layer[index + 1..] {
                    boxes[below].y = boxes[below].y.max(floor);
                    floor = boxes[below].bottom() + style.box_gap;
                }
            }
        }
    }
    let top = members
        .iter()
        .map(|&m| boxes[m].y)
        .fold(f64::INFINITY, f64::min);
    for &m in members {
        boxes[m].y -= top;
    }

    // Which gaps each line runs in, and from which sides. Gap k is at the left of column k; gap
    // `columns` is at the right of the last column. A line between neighbouring columns (or within one)
    // takes one lane; a line across columns goes up its first gap into a corridor above the cluster,
    // across, and down its last gap, so it never runs through the boxes of the columns in between.
    let mut routes: Vec<Route> = Vec::new();
    let mut corridors = 0;
    for &edge in &edges {
        let (c, p) = (depth[&edge.child], depth[&edge.parent]);
        let child_y = boxes[edge.child].anchor(edge.columns.first().map(String::as_str));
        let parent_y = boxes[edge.parent].anchor(edge.references.first().map(String::as_str));
        let (child_side, parent_side, child_gap, parent_gap) = if p == c {
            (Side::Right, Side::Right, c + 1, c + 1)
        } else if p < c {
            (Side::Left, Side::Right, c, p + 1)
        } else {
            (Side::Right, Side::Left, c + 1, p)
        };
        let corridor = (child_gap != parent_gap).then(|| {
            corridors += 1;
            -(style.channel_margin / 2.0 + (corridors - 1) as f64 * style.lane_gap)
        });
        routes.push(Route {
            edge,
            child_side,
            parent_side,
            child_gap,
            parent_gap,
            child_y,
            parent_y,
            parent_offset: 0.0,
            corridor,
        });
    }
    // Lines from one parent row share a trunk only when they end there with the same marks: a nullable
    // key ("zero or one") and a required one ("exactly one") leave the row a little apart.
    let mut kinds: BTreeMap<(usize, Side, i64), Vec<bool>> = BTreeMap::new();
    let row_key = |r: &Route| {
        (
            r.edge.parent,
            r.parent_side,
            (r.parent_y * 10.0).round() as i64,
        )
    };
    for r in &routes {
        let list = kinds.entry(row_key(r)).or_default();
        if !list.contains(&r.edge.optional) {
            list.push(r.edge.optional);
            list.sort();
        }
    }
    for r in &mut routes {
        let list = &kinds[&row_key(r)];
        if list.len() > 1 {
            let i = list.iter().position(|&o| o == r.edge.optional).unwrap_or(0);
            r.parent_offset = (i as f64 - 0.5) * style.row_height / 2.0;
            r.parent_y += r.parent_offset;
        }
    }
    // Lines from the same parent row share a lane (a bus); lanes of a gap whose spans overlap are set
    // apart.
    let lane_keys = |i: usize, r: &Route| -> [(usize, LaneKey); 2] {
        match r.corridor {
            None => {
                let bus = LaneKey::Bus {
                    parent: r.edge.parent,
                    side: r.parent_side,
                    row: (r.parent_y * 10.0).round() as i64,
                };
                [(r.child_gap, bus), (r.parent_gap, bus)]
            }
            Some(_) => [
                (r.child_gap, LaneKey::Own { route: i, end: 0 }),
                (r.parent_gap, LaneKey::Own { route: i, end: 1 }),
            ],
        }
    };
    let mut spans: BTreeMap<(usize, LaneKey), (f64, f64)> = BTreeMap::new();
    // The horizontal pieces leaving each lane towards a box: (height, -1 leftwards or +1 rightwards).
    let mut stubs: HashMap<(usize, LaneKey), Vec<(f64, f64)>> = HashMap::new();
    let towards = |side: Side| if side == Side::Left { 1.0 } else { -1.0 };
    for (i, r) in routes.iter().enumerate() {
        let [child_lane, parent_lane] = lane_keys(i, r);
        let (child_end, parent_end) = match r.corridor {
            None => (r.parent_y, r.child_y),
            Some(y) => (y, y),
        };
        for (lane, a, b, side) in [
            (child_lane, r.child_y, child_end, r.child_side),
            (parent_lane, r.parent_y, parent_end, r.parent_side),
        ] {
            let span = spans.entry(lane).or_insert((a, a));
            span.0 = span.0.min(a).min(b);
            span.1 = span.1.max(a).max(b);
            stubs.entry(lane).or_default().push((a, towards(side)));
        }
    }
    let mut by_gap: BTreeMap<usize, Vec<(LaneKey, Span)>> = BTreeMap::new();
    for (&(gap, key), &span) in &spans {
        by_gap.entry(gap).or_default().push((key, span));
    }
    let mut lane_of: HashMap<(usize, LaneKey), usize> = HashMap::new();
    let mut lanes_in: HashMap<usize, usize> = HashMap::new();
    for (gap, mut list) in by_gap {
        list.sort_by(|a, b| a.1.0.total_cmp(&b.1.0).then(a.0.cmp(&b.0)));
        let mut lane_bottoms: Vec<f64> = Vec::new();
        for (key, (top, bottom)) in list {
            let lane = match lane_bottoms
                .iter()
                .position(|&b| b + style.row_height < top)
            {
                Some(lane) => lane,
                None => {
                    lane_bottoms.push(f64::NEG_INFINITY);
                    lane_bottoms.len() - 1
                }
            };
            lane_bottoms[lane] = bottom;
            lane_of.insert((gap, key), lane);
        }
        // Then put the lanes in the order where the fewest horizontal pieces cross another lane.
        let keys: Vec<(LaneKey, usize)> = lane_of
            .iter()
            .filter(|((g, _), _)| *g == gap)
            .map(|((_, key), &lane)| (*key, lane))
            .collect();
        let crossings = |position: &[usize]| -> usize {
            let mut n = 0;
            for (a, lane_a) in &keys {
                for &(y, dir) in stubs.get(&(gap, *a)).map_or(&[][..], Vec::as_slice) {
                    for (b, lane_b) in &keys {
                        let ahead =
                            (position[*lane_b] as f64 - position[*lane_a] as f64) * dir > 0.0;
                        let (top, bottom) = spans[&(gap, *b)];
                        if ahead && top < y && y < bottom {
                            n += 1;
                        }
                    }
                }
            }
            n
        };
        let mut position: Vec<usize> = (0..lane_bottoms.len()).collect();
        let mut best = crossings(&position);
        let mut improved = true;
        while improved && best > 0 {
            improved = false;
            for i in 0..position.len().saturating_sub(1) {
                let mut swapped = position.clone();
                let (a, b) = (
                    swapped.iter().position(|&p| p == i),
                    swapped.iter().position(|&p| p == i + 1),
                );
                if let (Some(a), Some(b)) = (a, b) {
                    swapped.swap(a, b);
                }
                let count = crossings(&swapped);
                if count < best {
                    best = count;
                    position = swapped;
                    improved = true;
                }
            }
        }
        for ((g, _), lane) in lane_of.iter_mut() {
            if *g == gap {
                *lane = position[*lane];
            }
        }
        lanes_in.insert(gap, lane_bottoms.len());
    }
    let gap_width = |gap: usize| -> f64 {
        match lanes_in.get(&gap) {
            Some(&n) if n > 0 => 2.0 * style.channel_margin + (n - 1) as f64 * style.lane_gap,
            _ if gap == columns => 0.0,
            _ => 2.0 * style.channel_margin,
        }
    };

    // Columns side by side; column 0 aligned right (towards its children), the others left.
    let widths: Vec<f64> = layers
        .iter()
        .map(|l| l.iter().map(|&m| boxes[m].width).fold(0.0, f64::max))
        .collect();
    let mut lefts = vec![0.0; columns];
    for k in 1..columns {
        lefts[k] = lefts[k - 1] + widths[k - 1] + gap_width(k);
    }
    for (k, layer) in layers.iter().enumerate() {
        for &m in layer {
            boxes[m].x = if k == 0 && columns > 1 {
                widths[0] - boxes[m].width
            } else {
                lefts[k]
            };
        }
    }
    let width = lefts[columns - 1] + widths[columns - 1] + gap_width(columns);

    let lane_x = |gap: usize, key: LaneKey| {
        let lane = lane_of.get(&(gap, key)).copied().unwrap_or(0);
        lefts[gap - 1] + widths[gap - 1] + style.channel_margin + lane as f64 * style.lane_gap
    };
    let side_x = |b: &TableBox, side: Side| match side {
        Side::Left => b.x,
        Side::Right => b.right(),
    };
    let mut connectors: Vec<Connector> = routes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let [child_lane, parent_lane] = lane_keys(i, r);
            let child = &boxes[r.edge.child];
            let parent = &boxes[r.edge.parent];
            let child_x = lane_x(child_lane.0, child_lane.1);
            let parent_x = lane_x(parent_lane.0, parent_lane.1);
            let mut points = vec![
                Point {
                    x: side_x(child, r.child_side),
                    y: r.child_y,
                },
                Point {
                    x: child_x,
                    y: r.child_y,
                },
            ];
            if let Some(y) = r.corridor {
                points.push(Point { x: child_x, y });
                points.push(Point { x: parent_x, y });
            }
            points.push(Point {
                x: parent_x,
                y: r.parent_y,
            });
            points.push(Point {
                x: side_x(parent, r.parent_side),
                y: r.parent_y,
            });
            Connector {
                child: child.name.clone(),
                columns: r.edge.columns.clone(),
                parent: parent.name.clone(),
                references: r.edge.references.clone(),
                points: simplify(points),
                optional: r.edge.optional,
                one_to_one: r.edge.one_to_one,
                on_delete: r.edge.on_delete,
                parent_offset: r.parent_offset,
            }
        })
        .collect();

    // Corridors are above the boxes: move everything down below them.
    let top = connectors
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.y))
        .fold(0.0, f64::min);
    for &m in members {
        boxes[m].y -= top;
    }
    for c in &mut connectors {
        c.shift(0.0, -top);
    }
    let height = members
        .iter()
        .map(|&m| boxes[m].bottom())
        .fold(0.0, f64::max);
    Cluster {
        members: members.to_vec(),
        width,
        height,
        connectors,
    }
}

/// The top and bottom of a lane.
type Span = (f64, f64);

/// How one foreign key's line runs through a cluster.
struct Route<'e> {
    edge: &'e Edge,
    child_side: Side,
    parent_side: Side,
    /// The gap the line's lane next to the child is in, and the one next to the parent (the same gap
    /// unless the line crosses columns).
    child_gap: usize,
    parent_gap: usize,
    child_y: f64,
    /// Where the line meets the parent: its row's middle, moved by `parent_offset`.
    parent_y: f64,
    parent_offset: f64,
    /// The height of the corridor above the boxes a line across columns takes.
    corridor: Option<f64>,
}

/// A vertical lane in a gap: shared by the lines from one parent row, or a line's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum LaneKey {
    Bus { parent: usize, side: Side, row: i64 },
    Own { route: usize, end: u8 },
}

/// Places the boxes of one column, in order, as near their wanted top as the boxes above allow.
fn settle(layer: &[usize], wanted: &[Option<f64>], boxes: &mut [TableBox], style: &Style) {
    let mut floor = f64::NEG_INFINITY;
    for (&m, want) in layer.iter().zip(wanted) {
        let y = want.unwrap_or(boxes[m].y).max(floor);
        boxes[m].y = y;
        floor = y + boxes[m].height + style.box_gap;
    }
}

/// A table's column: 0 when it references no other table of its cluster, else one more than its
/// deepest parent. A parent still being visited closes a cycle and is not followed.
fn depth_of(
    table: usize,
    edges: &[&Edge],
    depth: &mut HashMap<usize, usize>,
    visiting: &mut Vec<usize>,
) -> usize {
    if let Some(&d) = depth.get(&table) {
        return d;
    }
    visiting.push(table);
    let mut d = 0;
    for edge in edges
        .iter()
        .filter(|e| e.child == table && e.parent != table)
    {
        if !visiting.contains(&edge.parent) {
            d = d.max(depth_of(edge.parent, edges, depth, visiting) + 1);
        }
    }
    visiting.pop();
    depth.insert(table, d);
    d
}

/// Drops repeated points and points in the middle of a straight run.
fn simplify(points: Vec<Point>) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::with_capacity(points.len());
    for p in points {
        if out.last().is_some_and(|q| same(q.x, p.x) && same(q.y, p.y)) {
            continue;
        }
        if out.len() >= 2 {
            let (a, b) = (out[out.len() - 2], out[out.len() - 1]);
            let straight = (same(a.x, b.x) && same(b.x, p.x)) || (same(a.y, b.y) && same(b.y, p.y));
            // Only a point between the two others; a line that turns back keeps its corner.
            let between = (b.x - a.x) * (p.x - b.x) >= 0.0 && (b.y - a.y) * (p.y - b.y) >= 0.0;
            if straight && between {
                out.pop();
            }
        }
        out.push(p);
    }
    out
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.01
}

/// A box sized for its text.
fn measure(table: &Table, style: &Style) -> TableBox {
    let rows: Vec<Row> = table
        .columns
        .iter()
        .map(|c| {
            let keys = Keys::of(table, &c.name);
            let nullable = c.nullable && !keys.primary;
            Row {
                name: c.name.to_string(),
                label: shorten(&c.name, style.max_name_chars),
                type_label: format!("{}{}", c.ty.as_str(), if nullable { "?" } else { "" }),
                keys,
            }
        })
        .collect();
    let small = style.small_font_size * style.char_em;
    let key_width = rows
        .iter()
        .map(|r| {
            let labels = r.keys.labels();
            // "PK FK": the labels and a space between each.
            let chars =
                labels.iter().map(|l| l.len()).sum::<usize>() + labels.len().saturating_sub(1);
            chars as f64 * small
        })
        .fold(0.0, f64::max);
    let key_width = if key_width > 0.0 {
        key_width + 8.0
    } else {
        0.0
    };
    let name_width = rows
        .iter()
        .map(|r| text_chars(&r.label) as f64 * style.font_size * style.char_em)
        .fold(0.0, f64::max);
    let type_width = rows
        .iter()
        .map(|r| text_chars(&r.type_label) as f64 * small)
        .fold(0.0, f64::max);
    let title = shorten(&table.name, style.max_name_chars);
    let title_width = text_chars(&title) as f64 * style.title_font_size * style.char_em;
    let width = (2.0 * style.padding + key_width + name_width + 18.0 + type_width)
        .max(2.0 * style.padding + title_width)
        .max(style.min_box_width)
        .ceil();
    TableBox {
        name: table.name.to_string(),
        title,
        x: 0.0,
        y: 0.0,
        width,
        height: style.header_height + rows.len() as f64 * style.row_height + 4.0,
        header_height: style.header_height,
        row_height: style.row_height,
        key_width,
        rows,
    }
}

/// `text`, cut to `max` characters with `…`.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Width in monospace cells: East Asian wide characters take two.
fn text_chars(text: &str) -> usize {
    text.chars()
        .map(|c| {
            if ('\u{1100}'..='\u{115F}').contains(&c) || c >= '\u{2E80}' {
                2
            } else {
                1
            }
        })
        .sum()
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        let mut i = i;
        while self.parent[i] != root {
            let next = self.parent[i];
            self.parent[i] = root;
            i = next;
        }
        root
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        // The smaller index becomes the root, so the grouping is independent of edge order.
        if a < b {
            self.parent[b] = a;
        } else {
            self.parent[a] = b;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;
    use crate::diagram::tests::{fk, small_schema};
    use crate::model::{Column, ColumnType, Name};
    use crate::schema::TABLES;

    /// Whether two boxes share any area (touching edges is not overlapping).
    fn overlap(a: &TableBox, b: &TableBox) -> bool {
        a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom()
    }

    /// Whether a horizontal or vertical segment passes through a box's inside.
    fn crosses(p: Point, q: Point, b: &TableBox) -> bool {
        let eps = 0.5;
        let (x0, x1) = (p.x.min(q.x), p.x.max(q.x));
        let (y0, y1) = (p.y.min(q.y), p.y.max(q.y));
        x0 < b.right() - eps && x1 > b.x + eps && y0 < b.bottom() - eps && y1 > b.y + eps
    }

    /// The geometric promises of a layout: no overlapping boxes, everything inside the canvas, lines
    /// orthogonal, starting and ending on the side of their boxes at the right row, and never through
    /// a box.
    pub(crate) fn assert_sound(schema: &Schema, layout: &Layout) {
        assert_eq!(layout.boxes.len(), schema.tables.len());
        for (i, a) in layout.boxes.iter().enumerate() {
            assert!(a.x >= 0.0 && a.y >= 0.0, "{} outside", a.name);
            assert!(
                a.right() <= layout.width && a.bottom() <= layout.height,
                "{} outside",
                a.name
            );
            for b in &layout.boxes[i + 1..] {
                assert!(!overlap(a, b), "{} overlaps {}", a.name, b.name);
            }
        }
        let find = |name: &str| layout.boxes.iter().find(|b| b.name == name).unwrap();
        for c in &layout.connectors {
            let what = format!("{}.{:?} → {}", c.child, c.columns, c.parent);
            assert!(c.points.len() >= 2, "{what}");
            for w in c.points.windows(2) {
                assert!(
                    same(w[0].x, w[1].x) || same(w[0].y, w[1].y),
                    "{what}: diagonal"
                );
                for b in &layout.boxes {
                    assert!(!crosses(w[0], w[1], b), "{what} crosses {}", b.name);
                }
            }
            let (child, parent) = (find(&c.child), find(&c.parent));
            let (first, last) = (c.points[0], c.points[c.points.len() - 1]);
            assert!(
                same(first.x, child.x) || same(first.x, child.right()),
                "{what}"
            );
            assert!(
                same(last.x, parent.x) || same(last.x, parent.right()),
                "{what}"
            );
            let row = child
                .rows
                .iter()
                .position(|r| r.name == c.columns[0])
                .unwrap();
            assert!(same(first.y, child.row_middle(row)), "{what}");
            let row = parent
                .rows
                .iter()
                .position(|r| r.name == c.references[0])
                .unwrap();
            assert!(
                same(last.y, parent.row_middle(row) + c.parent_offset),
                "{what}"
            );
            assert!(
                c.parent_offset.abs() < parent.row_height / 2.0 - 4.0,
                "{what}: out of its row"
            );
            // The first and last segments are horizontal and leave room for the cardinality marks.
            assert!(same(c.points[0].y, c.points[1].y), "{what}");
            let n = c.points.len();
            assert!(same(c.points[n - 2].y, c.points[n - 1].y), "{what}");
        }
    }

    #[test]
    fn the_declared_schema_is_laid_out_without_overlaps_or_lines_through_boxes() {
        let schema = Schema::from_declared(TABLES);
        let layout = layout(&schema, &Style::default());
        assert_sound(&schema, &layout);
        assert_eq!(layout.connectors.len(), schema.foreign_key_count());
        assert_eq!(layout.labels.len(), 2);
        // Parents to the left of their children.
        for c in &layout.connectors {
            let x = |n: &str| layout.boxes.iter().find(|b| b.name == n).unwrap().x;
            assert!(x(&c.parent) < x(&c.child), "{} → {}", c.child, c.parent);
        }
        // A reasonably shaped picture: as wide as asked, not a strip.
        assert!(layout.width <= Style::default().max_width + 2.0 * Style::default().margin + 1.0);
        assert!(
            layout.height < 3.0 * layout.width,
            "{} × {}",
            layout.width,
            layout.height
        );
    }

    #[test]
    fn a_single_parent_child_pair_is_joined_by_a_straight_line() {
        let schema = Schema::from_declared(TABLES);
        let layout = layout(&schema, &Style::default());
        let runs = layout
            .connectors
            .iter()
            .find(|c| c.child == "scheduled_job_runs")
            .unwrap();
        assert_eq!(runs.points.len(), 2, "{:?}", runs.points);
    }

    #[test]
    fn required_and_nullable_keys_to_one_row_leave_it_apart() {
        let schema = Schema::from_declared(TABLES);
        let layout = layout(&schema, &Style::default());
        let end = |child: &str| {
            let c = layout.connectors.iter().find(|c| c.child == child).unwrap();
            *c.points.last().unwrap()
        };
        // agent_skills and agent_tools (required) share a trunk; context_rules (nullable) has its own.
        assert_eq!(end("agent_skills"), end("agent_tools"));
        assert!((end("agent_skills").y - end("context_rules").y).abs() >= 8.0);
        // Alone at its row, a line meets the row's middle.
        let runs = layout
            .connectors
            .iter()
            .find(|c| c.child == "scheduled_job_runs")
            .unwrap();
        assert_eq!(runs.parent_offset, 0.0);
    }

    #[test]
    fn cycles_self_references_and_deep_chains_are_laid_out_soundly() {
        let table = |name: &str, refs: &[(&str, &str)]| {
            let mut t = Table::new(name.to_owned());
            let mut columns = vec![Column::new("id", ColumnType::BigInt).not_null()];
            for (column, _) in refs {
                columns.push(Column::new((*column).to_owned(), ColumnType::BigInt));
            }
            t.columns = columns.into();
            t.primary_key = vec![Name::from("id")].into();
            t.foreign_keys = refs
                .iter()
                .map(|(column, parent)| fk(&[column], parent, &["id"], FkAction::NoAction))
                .collect::<Vec<_>>()
                .into();
            t
        };
        let schema = Schema::new(vec![
            table("a", &[("b_id", "b")]),
            table("b", &[("c_id", "c")]),
            table("c", &[("a_id", "a"), ("parent_id", "c")]),
            table("d", &[("c_id", "c"), ("a_id", "a")]),
            table("lonely", &[]),
            table("tree", &[("parent_id", "tree")]),
            table("ghost_child", &[("x_id", "not_in_schema")]),
        ]);
        let layout = layout(&schema, &Style::default());
        assert_sound(&schema, &layout);
        // The key to a table outside the schema has no line; every other key has one.
        assert_eq!(layout.connectors.len(), schema.foreign_key_count() - 1);
        let tree = layout
            .connectors
            .iter()
            .find(|c| c.child == "tree")
            .unwrap();
        assert_eq!(
            tree.points.len(),
            4,
            "a loop out of the right side and back"
        );
        // d (column 3) → c (column 0) crosses two columns: up into the corridor above the boxes.
        let across = layout
            .connectors
            .iter()
            .find(|c| c.child == "d" && c.parent == "c")
            .unwrap();
        assert_eq!(across.points.len(), 6, "{:?}", across.points);
        let highest = across
            .points
            .iter()
            .map(|p| p.y)
            .fold(f64::INFINITY, f64::min);
        let cluster = ["a", "b", "c", "d"];
        assert!(
            layout
                .boxes
                .iter()
                .filter(|b| cluster.contains(&b.name.as_str()))
                .all(|b| b.y > highest)
        );
    }

    #[test]
    fn a_narrow_page_stacks_clusters_and_uses_one_column() {
        let schema = small_schema();
        let style = Style {
            max_width: 200.0,
            ..Style::default()
        };
        let layout = layout(&schema, &style);
        assert_sound(&schema, &layout);
        let settings = layout.boxes.iter().find(|b| b.name == "settings").unwrap();
        let users = layout.boxes.iter().find(|b| b.name == "users").unwrap();
        assert!(settings.y > users.bottom());
    }

    #[test]
    fn long_and_wide_names_are_measured_and_shortened() {
        let mut t = Table::new("x".repeat(60));
        t.columns = vec![
            Column::new("名前", ColumnType::Text),
            Column::new("ab", ColumnType::Text),
        ]
        .into();
        let b = measure(&t, &Style::default());
        assert_eq!(b.title.chars().count(), 40);
        assert!(b.title.ends_with('…'));
        assert_eq!(text_chars("名前"), text_chars("abcd"));
        assert_eq!(b.rows[0].type_label, "text?");
        assert_eq!(b.key_width, 0.0);
    }
}
