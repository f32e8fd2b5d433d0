//! One Grafana panel and its JSON model (schema 39: timeseries, stat and
//! row panels), built with a few chained calls so that a dashboard reads as
//! a list of questions it answers.

use serde_json::{Value, json};

/// The Prometheus datasource every panel and query uses: the dashboard's
/// `${datasource}` variable, so one import works against any Prometheus.
pub fn datasource() -> Value {
    json!({"type": "prometheus", "uid": "${datasource}"})
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Timeseries,
    Stat,
    /// A collapsible section title, full width.
    Row,
    /// A grid of coloured cells: an instant query's series laid out by two
    /// of their labels (Grafana's "grouping to matrix"), rows sorted.
    Matrix {
        rows: &'static str,
        columns: &'static str,
    },
}

#[derive(Debug, Clone)]
pub struct Query {
    pub expr: String,
    pub legend: String,
}

/// A coloured band starting at `from` (`None`: from minus infinity).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub color: &'static str,
    pub from: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Panel {
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub unit: &'static str,
    pub queries: Vec<Query>,
    pub steps: Vec<Step>,
    /// Draw the thresholds as lines on a time series (SLO targets).
    pub threshold_lines: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub decimals: Option<u32>,
    /// Grafana's minimum query interval: support counters move per hour,
    /// not per scrape, so rates over a few seconds would be noise.
    pub interval: Option<&'static str>,
    pub width: u32,
    pub height: u32,
    /// What a panel says when its query returns nothing (no answers in
    /// the window), instead of "No data" or NaN.
    pub no_value: Option<&'static str>,
}

impl Panel {
    fn new(kind: Kind, title: &str, unit: &'static str, description: &str) -> Panel {
        Panel {
            kind,
            title: title.to_string(),
            description: description.to_string(),
            unit,
            queries: Vec::new(),
            steps: vec![Step {
                color: "green",
                from: None,
            }],
            threshold_lines: false,
            min: None,
            max: None,
            decimals: None,
            interval: None,
            width: 12,
            height: 8,
            no_value: None,
        }
    }

    /// Shown when the query returns nothing.
    pub fn no_value(mut self, text: &'static str) -> Panel {
        self.no_value = Some(text);
        self
    }

    /// One neutral colour: a count that is never good or bad in itself.
    pub fn neutral(self) -> Panel {
        self.steps("blue", &[])
    }

    pub fn timeseries(title: &str, unit: &'static str, description: &str) -> Panel {
        Panel::new(Kind::Timeseries, title, unit, description)
    }

    /// A single number, 4 columns wide.
    pub fn stat(title: &str, unit: &'static str, description: &str) -> Panel {
        Panel {
            width: 4,
            height: 4,
            ..Panel::new(Kind::Stat, title, unit, description)
        }
    }

    /// A heatmap-like table of one instant query, `rows` × `columns` labels.
    pub fn matrix(
        title: &str,
        unit: &'static str,
        description: &str,
        rows: &'static str,
        columns: &'static str,
    ) -> Panel {
        let mut p = Panel::new(Kind::Matrix { rows, columns }, title, unit, description);
        p.width = 24;
        p.height = 9;
        p
    }

    pub fn row(title: &str) -> Panel {
        Panel {
            width: 24,
            height: 1,
            steps: vec![],
            ..Panel::new(Kind::Row, title, "", "")
        }
    }

    pub fn query(mut self, expr: impl Into<String>, legend: &str) -> Panel {
        self.queries.push(Query {
            expr: expr.into(),
            legend: legend.to_string(),
        });
        self
    }

    /// Colour bands: the base colour, then `(value, colour)` ascending.
    pub fn steps(mut self, base: &'static str, steps: &[(f64, &'static str)]) -> Panel {
        self.steps = std::iter::once(Step {
            color: base,
            from: None,
        })
        .chain(steps.iter().map(|(v, c)| Step {
            color: c,
            from: Some(*v),
        }))
        .collect();
        self
    }

    /// Draws the thresholds as dashed lines (time series only).
    pub fn lines(mut self) -> Panel {
        self.threshold_lines = true;
        self
    }

    pub fn range(mut self, min: f64, max: f64) -> Panel {
        self.min = Some(min);
        self.max = Some(max);
        self
    }

    pub fn min(mut self, min: f64) -> Panel {
        self.min = Some(min);
        self
    }

    pub fn decimals(mut self, d: u32) -> Panel {
        self.decimals = Some(d);
        self
    }

    pub fn interval(mut self, i: &'static str) -> Panel {
        self.interval = Some(i);
        self
    }

    pub fn size(mut self, width: u32, height: u32) -> Panel {
        self.width = width;
        self.height = height;
        self
    }

    /// The panel's JSON model at `(x, y)` with `id`.
    pub fn to_json(&self, id: u32, x: u32, y: u32) -> Value {
        let grid = json!({"h": self.height, "w": self.width, "x": x, "y": y});
        if self.kind == Kind::Row {
            return json!({
                "id": id, "type": "row", "title": self.title, "collapsed": false,
                "gridPos": grid, "panels": [],
            });
        }
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|s| json!({"color": s.color, "value": s.from}))
            .collect();
        let mut defaults = json!({
            "unit": self.unit,
            "color": {"mode": match self.kind {
                Kind::Stat => "thresholds",
                Kind::Matrix { .. } => "continuous-GrYlRd",
                _ => "palette-classic",
            }},
            "thresholds": {"mode": "absolute", "steps": steps},
        });
        for (key, v) in [("min", self.min), ("max", self.max)] {
            if let Some(v) = v {
                defaults[key] = json!(v);
            }
        }
        if let Some(d) = self.decimals {
            defaults["decimals"] = json!(d);
        }
        if let Some(t) = self.no_value {
            defaults["noValue"] = json!(t);
        }
        let (type_, options) = match self.kind {
            Kind::Timeseries => {
                defaults["custom"] = json!({
                    "drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
                    "showPoints": "never", "spanNulls": true,
                    "thresholdsStyle": {"mode": if self.threshold_lines { "dashed" } else { "off" }},
                });
                (
                    "timeseries",
                    json!({
                        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": true},
                        "tooltip": {"mode": "multi", "sort": "desc"},
                    }),
                )
            }
            Kind::Matrix { .. } => {
                defaults["custom"] = json!({
                    "align": "center",
                    "cellOptions": {"type": "color-background"},
                });
                ("table", json!({"showHeader": true, "cellHeight": "sm"}))
            }
            Kind::Stat | Kind::Row => (
                "stat",
                json!({
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": false},
                    "colorMode": "background", "graphMode": "area", "textMode": "auto",
                    "justifyMode": "auto", "orientation": "auto",
                }),
            ),
        };
        let targets: Vec<Value> = self
            .queries
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let mut t = json!({
                    "refId": ref_id(i),
                    "datasource": datasource(),
                    "editorMode": "code",
                    "expr": q.expr,
                    "legendFormat": q.legend,
                    "range": true,
                });
                // A matrix reads one instant value per series, as a table.
                if matches!(self.kind, Kind::Matrix { .. }) {
                    t["range"] = json!(false);
                    t["instant"] = json!(true);
                    t["format"] = json!("table");
                }
                t
            })
            .collect();
        let mut panel = json!({
            "id": id,
            "type": type_,
            "title": self.title,
            "description": self.description,
            "datasource": datasource(),
            "gridPos": grid,
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": options,
            "targets": targets,
        });
        if let Kind::Matrix { rows, columns } = self.kind {
            panel["transformations"] = json!([
                {"id": "groupingToMatrix", "options": {
                    "columnField": columns, "rowField": rows, "valueField": "Value",
                    "emptyValue": "zero",
                }},
                {"id": "sortBy", "options": {"sort": [{"field": format!("{rows}\\{columns}")}]}},
            ]);
        }
        if let Some(i) = self.interval {
            panel["interval"] = json!(i);
        }
        panel
    }
}

fn ref_id(i: usize) -> String {
    let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    letters
        .get(i)
        .map(|c| (*c as char).to_string())
        .unwrap_or_else(|| format!("Q{i}"))
}
