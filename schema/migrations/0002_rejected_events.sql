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

-- The log's RejectedEvent lines as they are, mapped to `rejected_events` by the view below (see
-- `events_in` in 0001 for why and how refused lines are caught).
CREATE TABLE IF NOT EXISTS rejected_events_in
(
    v           UInt8,
    id          String,
    workspaceId String,
    receivedAt  String,
    reason      String,
    raw         String,
    CONSTRAINT version_1 CHECK v = 1,
    CONSTRAINT received_at_storable CHECK toYear(parseDateTime64BestEffortOrNull(receivedAt, 3, 'UTC')) BETWEEN 1900 AND 2299
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS rejected_events_in_mv TO rejected_events AS
SELECT
    id,
    workspaceId AS workspace_id,
    parseDateTime64BestEffort(receivedAt, 3, 'UTC') AS received_at,
    reason,
    raw
FROM rejected_events_in;
