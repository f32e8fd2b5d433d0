//! "Support metrics exporter health": is the exporter scraped, reading its
//! source and running its jobs on time?

use super::panel::Panel;
use super::raw;
use crate::config::Settings;
use crate::metrics as m;
use crate::rules::stale_limit;

pub(super) fn panels(settings: &Settings) -> Vec<Panel> {
    let job = &settings.alerts.prometheus_job;
    let up = raw("up", &[]);
    // The same limit as the stale-data alert.
    let stale = stale_limit(
        settings,
        "collect",
        &settings.schedule.collect,
        &mut Vec::new(),
    );
    let since = |job_name: &str| {
        format!(
            "time() - {}",
            raw(
                m::JOB_LAST_SUCCESS.name,
                &[&format!("job_name=\"{job_name}\"")]
            )
        )
    };
    vec![
        Panel::row("Status"),
        Panel::stat("Scraped", "none", &format!("Prometheus' `up` of scrape job {job}: 1 when the last scrape succeeded (one value per instance)."))
            .query(up.clone(), "{{instance}}")
            .steps("red", &[(1.0, "green")]),
        Panel::stat("Source readable", "none", "1 when the last collection could read the helpdesk database, else 0.")
            .query(raw(m::SOURCE_UP.name, &[]), "{{instance}}")
            .steps("red", &[(1.0, "green")]),
        Panel::stat("Since last collection", "s", &format!("Time since the collect job last succeeded. Red from {}, the stale-data alert's limit.", crate::rules::duration(stale)))
            .query(since("collect"), "{{instance}}")
            .steps("green", &[(stale.as_secs_f64(), "red")]),
        Panel::stat("Rows rejected, 24 h", "short", "Source rows skipped in the last 24 hours because they break the source contract; the log names each relation and reason once.")
            .query(format!("sum(increase({}[1d])) or vector(0)", raw(m::ROWS_REJECTED.name, &[])), "rejected")
            .steps("green", &[(1.0, "orange")])
            .decimals(0),
        Panel::stat("Digest emails failed, 7 days", "short", "Weekly digest emails the SMTP server did not accept in the last 7 days (retried every 10 minutes).")
            .query(format!("sum(increase({}[7d])) or vector(0)", raw(m::DIGEST_EMAILS.name, &["result=\"failed\""])), "failed")
            .steps("green", &[(1.0, "red")])
            .decimals(0),
        Panel::stat("Version", "none", "support-metrics version of each instance (support_build_info).")
            .query(format!("count by (version) ({})", raw(m::BUILD_INFO.name, &[])), "{{version}}"),
        Panel::row("Jobs"),
        Panel::timeseries("Job runs per hour", "short", "Runs of the collect, kpi and digest jobs per hour, by result (ok or error).")
            .query(format!("sum by (job_name, result) (increase({}[1h]))", raw(m::JOB_RUNS.name, &[])), "{{job_name}} {{result}}")
            .min(0.0),
        Panel::timeseries("Job duration", "s", "Duration of each job's last run.")
            .query(format!("max by (job_name) ({})", raw(m::JOB_DURATION.name, &[])), "{{job_name}}")
            .min(0.0),
        {
            // Each job against its own limit (the stale-data alert's, from
            // its schedule): one line in seconds for a 15-minute job and a
            // weekly one is always crossed by one of them.
            let mut p = Panel::timeseries(
                "Time since last success, share of each job's limit",
                "percentunit",
                "Time since each job last succeeded, divided by that job's staleness limit (twice the longest gap of its schedule plus 5 minutes, or alerts.stale_after): 100% is stale. The digest job runs weekly, collect and kpi on their schedules.",
            );
            // The limits as a vector by job_name, to divide by.
            let limits: Vec<String> = [
                ("collect", &settings.schedule.collect),
                ("kpi", &settings.schedule.kpi),
                ("digest", &settings.schedule.digest),
            ]
            .into_iter()
            .map(|(job_name, schedule)| {
                let limit = stale_limit(settings, job_name, schedule, &mut Vec::new());
                format!(
                    "label_replace(vector({}), \"job_name\", \"{job_name}\", \"\", \"\")",
                    limit.as_secs()
                )
            })
            .collect();
            p = p.query(
                format!(
                    "(time() - max by (job_name) ({}))\n/ on (job_name)\n({})",
                    raw(m::JOB_LAST_SUCCESS.name, &[]),
                    limits.join("\nor\n")
                ),
                "{{job_name}}",
            );
            p.steps("green", &[(1.0, "red")]).lines().min(0.0)
        },
        Panel::timeseries("Rows read by the last collection", "short", "Source rows the last run read, by relation: incremental runs read only what changed.")
            .query(format!("sum by (relation) ({})", raw(m::JOB_ROWS_READ.name, &["job_name=\"collect\""])), "{{relation}}")
            .min(0.0),
        Panel::timeseries("Rows rejected per hour", "short", "Source rows skipped because they break the source contract, by relation and reason.")
            .query(format!("sum by (relation, reason) (increase({}[1h]))", raw(m::ROWS_REJECTED.name, &[])), "{{relation}}: {{reason}}")
            .min(0.0),
        Panel::timeseries("Digest emails", "short", "Weekly digest emails per hour by result: sent, already_sent (another replica or run sent it), busy (claimed by another process), failed.")
            .query(format!("sum by (result) (increase({}[1h]))", raw(m::DIGEST_EMAILS.name, &[])), "{{result}}")
            .min(0.0),
        Panel::timeseries("Scrape duration", "s", &format!("How long Prometheus takes to scrape each instance of {job}: /metrics renders a cached snapshot, so this stays small whatever the database does."))
            .query(raw("scrape_duration_seconds", &[]), "{{instance}}")
            .min(0.0),
    ]
}
