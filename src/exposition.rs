//! `/metrics`: the Prometheus text exposition, built from the latest
//! snapshot by a custom collector (DESIGN.md §4).
//!
//! Jobs publish a [`Snapshot`] (cumulative series, state and KPI gauges,
//! self-metrics); a scrape renders it and never waits on a database. Series
//! whose labels vanished from the snapshot vanish from the exposition.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;

use prometheus::core::{Collector, Desc};
use prometheus::proto::{self, MetricFamily, MetricType};
use prometheus::{Encoder, Registry, TextEncoder};

use crate::metrics::{self, Buckets, Family, Kind};
use crate::state::series::{Cumulative, Histogram, SeriesKey};

/// Everything one scrape shows.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub cumulative: Cumulative,
    /// Gauges and process counters (state, KPI, self-metrics).
    pub values: Vec<(SeriesKey, f64)>,
    pub buckets: Option<Buckets>,
}

/// The snapshot shared between the jobs (writers) and scrapes (readers).
#[derive(Clone, Default)]
pub struct Shared(Arc<RwLock<Arc<Snapshot>>>);

impl Shared {
    pub fn publish(&self, s: Snapshot) {
        match self.0.write() {
            Ok(mut g) => *g = Arc::new(s),
            // A panicked writer cannot leave a half-written Arc behind.
            Err(poisoned) => *poisoned.into_inner() = Arc::new(s),
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        match self.0.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

struct SnapshotCollector {
    shared: Shared,
    descs: Vec<Desc>,
}

impl Collector for SnapshotCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        families(&self.shared.current())
    }
}

/// An owned registry with the snapshot collector (never the global one:
/// parallel tests would share it).
pub fn registry(shared: Shared) -> prometheus::Result<Registry> {
    let descs = metrics::ALL
        .iter()
        .map(|f| {
            Desc::new(
                f.name.to_string(),
                f.help.to_string(),
                f.labels.iter().map(|l| l.to_string()).collect(),
                Default::default(),
            )
        })
        .collect::<prometheus::Result<Vec<_>>>()?;
    let r = Registry::new();
    r.register(Box::new(SnapshotCollector { shared, descs }))?;
    Ok(r)
}

/// The `/metrics` body of the current snapshot, rendered once per
/// published snapshot: scrapes between two jobs share one rendering (a
/// snapshot of thousands of series takes milliseconds to encode; a copy of
/// the bytes takes microseconds).
pub struct Exposition {
    shared: Shared,
    registry: Registry,
    rendered: Mutex<Option<Rendered>>,
}

/// One snapshot's body, and its gzip form once a scraper asked for it:
/// compressed once per snapshot, not once per scrape (Prometheus asks
/// for gzip on every scrape).
struct Rendered {
    snapshot: Arc<Snapshot>,
    text: Bytes,
    gzip: Option<Bytes>,
}

/// How a `/metrics` body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
}

impl Encoding {
    /// What an `Accept-Encoding` header allows: gzip unless absent or
    /// refused (`gzip;q=0`), identity otherwise.
    pub fn accepted(header: Option<&str>) -> Encoding {
        let gzip = header.into_iter().flat_map(|h| h.split(',')).any(|part| {
            let mut it = part.split(';').map(str::trim);
            let name = it.next().unwrap_or_default();
            let refused = it.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f64>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        });
        if gzip {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
}

fn gzip(text: &[u8]) -> std::io::Result<Bytes> {
    use std::io::Write;
    // Level 1: the body is text that compresses ~10× even at the fastest
    // level, and the compression runs once per snapshot on the scrape path.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text)?;
    Ok(Bytes::from(enc.finish()?))
}

impl Exposition {
    pub fn new(shared: Shared) -> prometheus::Result<Exposition> {
        Ok(Exposition {
            registry: registry(shared.clone())?,
            shared,
            rendered: Mutex::new(None),
        })
    }

    pub fn text(&self) -> Result<Bytes, prometheus::Error> {
        self.body(Encoding::Identity)
    }

    /// The current snapshot's body in `encoding`.
    pub fn body(&self, encoding: Encoding) -> Result<Bytes, prometheus::Error> {
        let current = self.shared.current();
        // Concurrent scrapes after a publish wait for one rendering.
        let mut cache = match self.rendered.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let r = match &mut *cache {
            Some(r) if Arc::ptr_eq(&r.snapshot, &current) => r,
            // The collector reads the snapshot again: if a newer one was
            // published meanwhile, its text is cached under the older key
            // and the next scrape renders again.
            slot => slot.insert(Rendered {
                snapshot: current,
                text: Bytes::from(render(&self.registry)?),
                gzip: None,
            }),
        };
        match (encoding, &r.gzip) {
            (Encoding::Identity, _) => Ok(r.text.clone()),
            (Encoding::Gzip, Some(gz)) => Ok(gz.clone()),
            (Encoding::Gzip, None) => {
                let gz = gzip(&r.text).map_err(|e| prometheus::Error::Msg(e.to_string()))?;
                r.gzip = Some(gz.clone());
                Ok(gz)
            }
        }
    }
}

/// The text format of everything `registry` gathers.
pub fn render(registry: &Registry) -> Result<String, prometheus::Error> {
    let mut buf = Vec::new();
    TextEncoder::new().encode(&registry.gather(), &mut buf)?;
    String::from_utf8(buf).map_err(|e| prometheus::Error::Msg(e.to_string()))
}

fn label_pairs(key: &SeriesKey) -> Vec<proto::LabelPair> {
    key.labels
        .iter()
        .map(|(k, v)| {
            let mut p = proto::LabelPair::default();
            p.set_name(k.to_string());
            p.set_value(v.clone());
            p
        })
        .collect()
}

fn histogram_metric(key: &SeriesKey, h: &Histogram, bounds: &[f64]) -> proto::Metric {
    let mut ph = proto::Histogram::default();
    ph.set_sample_count(h.count);
    ph.set_sample_sum(h.sum);
    ph.bucket = h
        .cumulative(bounds)
        .map(|(upper, count)| {
            let mut b = proto::Bucket::default();
            b.set_upper_bound(upper);
            b.set_cumulative_count(count);
            b
        })
        .collect();
    let mut m = proto::Metric::from_label(label_pairs(key));
    m.set_histogram(ph);
    m
}

fn value_metric(kind: Kind, key: &SeriesKey, v: f64) -> proto::Metric {
    let mut m = proto::Metric::from_label(label_pairs(key));
    if kind == Kind::Counter {
        let mut c = proto::Counter::default();
        c.set_value(v);
        m.set_counter(c);
    } else {
        let mut g = proto::Gauge::default();
        g.set_value(v);
        m.set_gauge(g);
    }
    m
}

/// Summaries being built, by family name and their labels but `quantile`.
type Summaries<'k> = BTreeMap<(&'k str, Vec<(&'k str, &'k str)>), proto::Summary>;

/// One value of a summary family into the summary of its other labels:
/// a quantile, or the sum or count (see [`metrics::SUMMARY_SUM`]).
fn add_to_summary<'k>(summaries: &mut Summaries<'k>, key: &'k SeriesKey, v: f64) {
    let mut quantile = None;
    let mut labels = Vec::new();
    for (k, value) in &key.labels {
        if *k == "quantile" {
            quantile = Some(value.as_str());
        } else {
            labels.push((*k, value.as_str()));
        }
    }
    let summary = summaries.entry((key.name, labels)).or_default();
    match quantile {
        Some(metrics::SUMMARY_SUM) => summary.set_sample_sum(v),
        Some(metrics::SUMMARY_COUNT) => summary.set_sample_count(v as u64),
        Some(q) => {
            if let Ok(q) = q.parse::<f64>() {
                let mut pq = proto::Quantile::default();
                pq.set_quantile(q);
                pq.set_value(v);
                summary.quantile.push(pq);
            }
        }
        None => {}
    }
}

/// The metric families of a snapshot, in catalog order, series sorted.
pub fn families(s: &Snapshot) -> Vec<MetricFamily> {
    let mut by_name: BTreeMap<&str, Vec<proto::Metric>> = BTreeMap::new();
    let buckets = s.buckets.clone().unwrap_or_else(|| Buckets::for_slos(&[]));
    let mut histograms: Vec<_> = s.cumulative.histograms().collect();
    histograms.sort_by(|a, b| a.0.cmp(b.0));
    for (key, h) in histograms {
        if let Some(Family {
            kind: Kind::Histogram(layout),
            ..
        }) = metrics::family(key.name)
        {
            let bounds = buckets.bounds(*layout);
            // A series saved under other bounds is not shown mislabelled.
            if h.counts.len() == bounds.len() + 1 {
                by_name
                    .entry(key.name)
                    .or_default()
                    .push(histogram_metric(key, h, bounds));
            }
        }
    }
    let mut values: Vec<(&SeriesKey, f64)> = s.cumulative.counters().collect();
    values.extend(s.values.iter().map(|(k, v)| (k, *v)));
    values.sort_by(|a, b| a.0.cmp(b.0));
    let mut summaries = Summaries::new();
    for (key, v) in values {
        match metrics::family(key.name) {
            Some(f) if f.kind == Kind::Summary => add_to_summary(&mut summaries, key, v),
            Some(f) => by_name
                .entry(key.name)
                .or_default()
                .push(value_metric(f.kind, key, v)),
            None => {}
        }
    }
    for ((name, labels), summary) in summaries {
        let pairs = labels
            .into_iter()
            .map(|(k, v)| {
                let mut p = proto::LabelPair::default();
                p.set_name(k.to_string());
                p.set_value(v.to_string());
                p
            })
            .collect();
        let mut m = proto::Metric::from_label(pairs);
        m.set_summary(summary);
        by_name.entry(name).or_default().push(m);
    }
    metrics::ALL
        .iter()
        .filter_map(|f| {
            let metrics = by_name.remove(f.name)?;
            let mut mf = MetricFamily::default();
            mf.set_name(f.name.to_string());
            mf.set_help(f.help.to_string());
            mf.set_field_type(match f.kind {
                Kind::Counter => MetricType::COUNTER,
                Kind::Gauge => MetricType::GAUGE,
                Kind::Histogram(_) => MetricType::HISTOGRAM,
                Kind::Summary => MetricType::SUMMARY,
            });
            mf.set_metric(metrics);
            Some(mf)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_picks_gzip_unless_refused() {
        use super::Encoding::{Gzip, Identity};
        for (header, want) in [
            (None, Identity),
            (Some("gzip"), Gzip),
            (Some("deflate, GZIP;q=0.5"), Gzip),
            (Some("gzip;q=0"), Identity),
            (Some("gzip; q=0.0, identity"), Identity),
            (Some("*"), Gzip),
            (Some("br"), Identity),
            (Some("x-gzip"), Identity),
        ] {
            assert_eq!(super::Encoding::accepted(header), want, "{header:?}");
        }
    }

    #[test]
    fn scrapes_share_one_rendering_per_published_snapshot() {
        let shared = Shared::default();
        let up = |v: f64| Snapshot {
            values: vec![(SeriesKey::new(&metrics::SOURCE_UP, vec![]), v)],
            ..Snapshot::default()
        };
        shared.publish(up(1.0));
        let exposition = Exposition::new(shared.clone()).unwrap();
        let first = exposition.text().unwrap();
        assert!(
            std::str::from_utf8(&first)
                .unwrap()
                .contains("support_source_up 1")
        );
        // The same snapshot: the very same bytes, not a new rendering.
        assert_eq!(exposition.text().unwrap().as_ptr(), first.as_ptr());
        // Its gzip form: the same text, compressed once.
        let gz = exposition.body(super::Encoding::Gzip).unwrap();
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped)
            .unwrap();
        assert_eq!(unzipped, first.to_vec());
        assert_eq!(
            exposition.body(super::Encoding::Gzip).unwrap().as_ptr(),
            gz.as_ptr()
        );
        shared.publish(up(0.0));
        let next = exposition.text().unwrap();
        assert!(
            std::str::from_utf8(&next)
                .unwrap()
                .contains("support_source_up 0")
        );
        // A new snapshot is compressed anew.
        let gz_next = exposition.body(super::Encoding::Gzip).unwrap();
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&gz_next[..]),
            &mut unzipped,
        )
        .unwrap();
        assert_eq!(unzipped, next.to_vec());
    }

    #[test]
    fn renders_counters_histograms_and_gauges_from_the_snapshot() {
        let buckets = Buckets::for_slos(&[]);
        let mut c = Cumulative::default();
        let labels = vec![
            ("team", "billing".to_string()),
            ("channel", "email".to_string()),
            ("priority", "high".to_string()),
        ];
        c.inc(&metrics::CREATED, &labels, 3.0);
        for v in [30.0, 90.0, 1e9] {
            c.observe(&metrics::FIRST_RESPONSE, &labels, &buckets.seconds, v);
        }
        let shared = Shared::default();
        shared.publish(Snapshot {
            cumulative: c,
            values: vec![(SeriesKey::new(&metrics::SOURCE_UP, vec![]), 1.0)],
            buckets: Some(buckets),
        });
        let text = render(&registry(shared.clone()).unwrap()).unwrap();
        assert!(
            text.contains("# TYPE support_tickets_created_total counter"),
            "{text}"
        );
        assert!(text.contains(
            r#"support_tickets_created_total{team="billing",channel="email",priority="high"} 3"#
        ));
        assert!(text.contains(r#"support_first_response_seconds_bucket{team="billing",channel="email",priority="high",le="60"} 1"#), "{text}");
        assert!(text.contains(r#"support_first_response_seconds_bucket{team="billing",channel="email",priority="high",le="300"} 2"#));
        assert!(text.contains(r#"support_first_response_seconds_bucket{team="billing",channel="email",priority="high",le="+Inf"} 3"#));
        assert!(text.contains(r#"support_first_response_seconds_count{team="billing",channel="email",priority="high"} 3"#));
        assert!(text.contains("support_source_up 1"));

        // A new snapshot without the counter: the series is gone.
        shared.publish(Snapshot::default());
        let text = render(&registry(shared).unwrap()).unwrap();
        assert!(!text.contains("support_tickets_created_total"), "{text}");
    }
}
