//! `[servqual]`: how much each SERVQUAL dimension counts in the weighted
//! score (DESIGN.md §3 "SERVQUAL"). Raw TOML in, validated
//! [`ServqualWeights`] out, every problem named by its key path.
//!
//! The weights are percentages, one per dimension, summing to 100 — the
//! points a customer shares out among the five dimensions in the
//! SERVQUAL form's importance question. Without the section every
//! dimension counts 20.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::engine::servqual::ServqualWeights;
use crate::model::ServqualDimension;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServqual {
    weights: Option<BTreeMap<String, f64>>,
}

pub(super) fn validate(raw: RawServqual, problems: &mut Vec<String>) -> ServqualWeights {
    let Some(raw) = raw.weights else {
        return ServqualWeights::default();
    };
    let names = || {
        ServqualDimension::ALL
            .map(ServqualDimension::as_str)
            .join(", ")
    };
    let mut weights = [None; 5];
    let mut named = [false; 5];
    for (key, w) in &raw {
        let Some(d) = ServqualDimension::parse(key) else {
            problems.push(format!(
                "servqual.weights.{key}: not a SERVQUAL dimension; expected one of {}",
                names()
            ));
            continue;
        };
        named[d.index()] = true;
        if !w.is_finite() || *w < 0.0 {
            problems.push(format!(
                "servqual.weights.{key}: {w} is not a percentage (0 or more)"
            ));
            continue;
        }
        weights[d.index()] = Some(*w);
    }
    let missing: Vec<&str> = ServqualDimension::ALL
        .into_iter()
        .filter(|d| !named[d.index()])
        .map(ServqualDimension::as_str)
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "servqual.weights: no weight for {}; give all five ({}), summing to 100",
            missing.join(", "),
            names()
        ));
        return ServqualWeights::default();
    }
    let Some(all) = weights.into_iter().collect::<Option<Vec<f64>>>() else {
        return ServqualWeights::default();
    };
    let sum: f64 = all.iter().sum();
    if (sum - 100.0).abs() > 1e-9 {
        problems.push(format!(
            "servqual.weights: the five weights sum to {sum}, not 100 (they are percentages)"
        ));
        return ServqualWeights::default();
    }
    let mut out = [0.0; 5];
    out.copy_from_slice(&all);
    ServqualWeights(out)
}
