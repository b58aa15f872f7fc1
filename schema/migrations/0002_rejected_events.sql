-- Events the collector refused inside otherwise valid requests, kept for inspection.
-- Keyed on id so a redelivered log entry does not duplicate them (read with FINAL).
CREATE TABLE IF NOT EXISTS rejected_events
(
    id           String,
    workspace_id LowCardinality(String),
    received_at  DateTime64(3, 'UTC'),
    reason       String,
    raw          String COMMENT 'the refused payload as received'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (workspace_id, received_at, id);
