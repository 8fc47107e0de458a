//! Prometheus metrics: request counts by route and status, latency histograms by route.
//! Routes are the matched patterns (`/api/v1/units/{id}`), never raw paths, so the number of
//! series stays bounded whatever clients send.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::Mutex,
    time::{Duration, Instant},
};

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};

const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Series {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<(String, String), Histogram>,
}

#[derive(Default)]
pub struct Metrics {
    series: Mutex<Series>,
    started: Option<Instant>,
}

impl Metrics {
    pub fn new() -> Self {
        Self {
            series: Mutex::default(),
            started: Some(Instant::now()),
        }
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut s = self.series.lock().unwrap_or_else(|p| p.into_inner());
        *s.requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let h = s
            .latency
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        let secs = elapsed.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let s = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::with_capacity(4096);
        let _ = writeln!(
            out,
            "# HELP http_requests_total HTTP requests served, by method, route and status."
        );
        let _ = writeln!(out, "# TYPE http_requests_total counter");
        for ((method, route, status), n) in &s.requests {
            let _ = writeln!(
                out,
                "http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP http_request_duration_seconds Time to serve an HTTP request, by method and route."
        );
        let _ = writeln!(out, "# TYPE http_request_duration_seconds histogram");
        for ((method, route), h) in &s.latency {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        if let Some(started) = self.started {
            let _ = writeln!(
                out,
                "# HELP process_uptime_seconds Seconds since the process started."
            );
            let _ = writeln!(out, "# TYPE process_uptime_seconds gauge");
            let _ = writeln!(
                out,
                "process_uptime_seconds {}",
                started.elapsed().as_secs_f64()
            );
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Middleware: times every request and records it under its matched route.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        metrics.observe(&method, &route, res.status().as_u16(), start.elapsed());
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::new();
        m.observe("GET", "/api/v1/units/{id}", 200, Duration::from_millis(3));
        m.observe("GET", "/api/v1/units/{id}", 404, Duration::from_millis(30));
        let text = m.render();
        assert!(text.contains(
            "http_requests_total{method=\"GET\",route=\"/api/v1/units/{id}\",status=\"200\"} 1"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        assert!(text.contains(
            "http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/units/{id}\"} 2"
        ));
    }
}
