//! Every metric cardcrm exports, described once (`# HELP` / `# TYPE` on `/metrics`) and present
//! from start-up: counters at zero for the label values known in advance, so dashboards and
//! alerts have series to read before the first event. The README's metrics table lists the same
//! names (a test checks that each is on `/metrics` of a fresh server).

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Unit};

/// Describes every metric and creates its zero-valued series. Called once, when the Prometheus
/// recorder is installed.
pub fn register() {
    describe_counter!("http_requests_total", "HTTP requests by method, route template and status");
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "time to answer an HTTP request, by method and route template"
    );
    // Scrapes of /metrics are counted like any request; their series exist from the start.
    counter!("http_requests_total", "method" => "GET", "path" => "/metrics", "status" => "200").increment(0);
    let _ = histogram!("http_request_duration_seconds", "method" => "GET", "path" => "/metrics");

    describe_counter!("ocr_processing_total", "cards read, by engine and outcome (done, failed, cached, timeout; engine `device`: cards read in the browser and saved, outcome `saved`)");
    for engine in service::scans::engine_names() {
        for outcome in ["done", "failed", "cached", "timeout"] {
            counter!("ocr_processing_total", "engine" => engine, "outcome" => outcome).increment(0);
        }
    }
    counter!("ocr_processing_total", "engine" => service::scans::device::DEVICE_ENGINE, "outcome" => "saved")
        .increment(0);
    describe_counter!(
        "ocr_fields_saved_total",
        "fields of card drafts saved, by outcome (kept as read, corrected by the person)"
    );
    for outcome in ["kept", "corrected"] {
        counter!("ocr_fields_saved_total", "outcome" => outcome).increment(0);
    }
    describe_gauge!("scans_in_progress", "card images being decoded or read right now");
    gauge!("scans_in_progress").set(0.0);
    describe_counter!("scan_queue_refusals_total", "uploads refused because the person's scan queue was full");
    counter!("scan_queue_refusals_total").increment(0);
    describe_gauge!("scan_queue_depth", "scan jobs by status (queued, processing)");

    describe_gauge!("contacts_total", "live contacts (not in the trash)");
    describe_counter!("contacts_created_total", "contacts created, by source");
    for source in service::contacts::SOURCES {
        counter!("contacts_created_total", "source" => source).increment(0);
    }

    describe_counter!("auth_attempts_total", "sign-ins by outcome (success, failure, inactive)");
    for outcome in ["success", "failure", "inactive"] {
        counter!("auth_attempts_total", "outcome" => outcome).increment(0);
    }
    describe_counter!("rate_limited_total", "requests answered 429, by limit class and scope (address, user)");
    for class in ["login", "register", "upload", "api"] {
        for scope in ["address", "user"] {
            counter!("rate_limited_total", "class" => class, "scope" => scope).increment(0);
        }
    }
    describe_counter!(
        "cross_site_requests_refused_total",
        "cookie-authenticated writes refused because they came from another site"
    );
    counter!("cross_site_requests_refused_total").increment(0);

    describe_counter!("bot_updates_total", "Telegram and WhatsApp updates, by integration and outcome");
    describe_counter!("bot_update_retries_total", "bot updates retried after a failure, by integration");
    for integration in ["telegram", "whatsapp"] {
        for outcome in ["contact_created", "duplicate", "rejected", "failed"] {
            counter!("bot_updates_total", "integration" => integration, "outcome" => outcome).increment(0);
        }
        counter!("bot_update_retries_total", "integration" => integration).increment(0);
    }

    describe_gauge!("duplicate_pairs", "duplicate pairs by status (pending, reviewed, ignored, merged)");
    describe_gauge!("duplicate_pairs_found", "pairs found by the last full duplicate scan");
    gauge!("duplicate_pairs_found").set(0.0);
    describe_counter!("duplicate_scans_total", "full duplicate scans finished");
    counter!("duplicate_scans_total").increment(0);
    describe_counter!("duplicate_merges_total", "merges of duplicate contacts");
    counter!("duplicate_merges_total").increment(0);

    describe_counter!("imports_total", "contact files imported (previews not counted), by format");
    describe_counter!("import_rows_total", "rows read by finished imports");
    counter!("import_rows_total").increment(0);
    describe_counter!("exports_total", "contact exports, by format");
    for format in service::import_dto::EXPORT_FORMATS {
        counter!("exports_total", "format" => format).increment(0);
    }
    for format in service::import_dto::IMPORT_FORMATS {
        counter!("imports_total", "format" => format).increment(0);
    }

    describe_counter!("maintenance_runs_total", "scheduled maintenance runs, by job and outcome");
    describe_counter!("maintenance_removed_total", "rows or files removed by scheduled maintenance, by job");
    for (job, _) in service::admin::maintenance::JOBS {
        for outcome in ["ok", "failed"] {
            counter!("maintenance_runs_total", "job" => job, "outcome" => outcome).increment(0);
        }
        counter!("maintenance_removed_total", "job" => job).increment(0);
    }
}
