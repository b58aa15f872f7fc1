-- Rollups for the dashboards' read API (server/api/*.query.ts), kept by ClickHouse at insert: the
-- queries read one row per user and day or per segment member instead of every event or change.
-- Both hold sets, not counts: a redelivered row (same message, identical columns) adds an element
-- already there, so they stay exact under the sink's at-least-once delivery without FINAL (queries
-- take the distinct elements of the rows not merged yet; merges keep the union).

-- Per user and UTC day: the user's events as (timestamp in ms, cityHash64(message_id)). Events,
-- sessions (a gap over 30 minutes starts one) and the window's exact edges come from the timestamps.
CREATE TABLE IF NOT EXISTS user_days
(
    workspace_id LowCardinality(String),
    user_key     String,
    day          Date,
    messages     SimpleAggregateFunction(groupUniqArrayArray, Array(Tuple(Int64, UInt64)))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (workspace_id, user_key, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS user_days_mv TO user_days AS
SELECT workspace_id, user_key, toDate(timestamp) AS day,
    groupUniqArray((toUnixTimestamp64Milli(timestamp), cityHash64(message_id))) AS messages
FROM events
GROUP BY workspace_id, user_key, day;

-- Per segment and user: every entry and exit (at, change). Membership over any window comes from
-- these few changes, one row per pair instead of a scan of the segment's history.
CREATE TABLE IF NOT EXISTS segment_members
(
    workspace_id LowCardinality(String),
    segment      LowCardinality(String),
    user_key     String,
    changes      SimpleAggregateFunction(groupUniqArrayArray, Array(Tuple(DateTime64(3, 'UTC'), Enum8('entered' = 1, 'exited' = 2))))
)
ENGINE = AggregatingMergeTree
ORDER BY (workspace_id, segment, user_key);

CREATE MATERIALIZED VIEW IF NOT EXISTS segment_members_mv TO segment_members AS
SELECT workspace_id, segment, user_key, groupUniqArray((at, change)) AS changes
FROM segment_changes
GROUP BY workspace_id, segment, user_key;

-- Track events with their properties, by event name and time: the dashboards' conversions (any
-- event name the request asks for) read the few rows of one event in the window, not every event's
-- properties. Same key as `events` plus the name first, so redeliveries collapse the same way.
CREATE TABLE IF NOT EXISTS track_events
(
    workspace_id LowCardinality(String),
    event        LowCardinality(String),
    timestamp    DateTime64(3, 'UTC'),
    user_key     String,
    message_id   String,
    properties   String COMMENT 'JSON object text'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (workspace_id, event, timestamp, user_key, message_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS track_events_mv TO track_events AS
SELECT workspace_id, event, timestamp, user_key, message_id, properties FROM events WHERE type = 'track';

-- Backfill what was stored before the views existed. Rows the views took meanwhile may be written
-- twice: sets and ReplacingMergeTree keys, so nothing counts twice (nor if this migration is re-run).
INSERT INTO user_days
SELECT workspace_id, user_key, toDate(timestamp) AS day,
    groupUniqArray((toUnixTimestamp64Milli(timestamp), cityHash64(message_id))) AS messages
FROM events
GROUP BY workspace_id, user_key, day
SETTINGS optimize_aggregation_in_order = 1;

INSERT INTO segment_members
SELECT workspace_id, segment, user_key, groupUniqArray((at, change)) AS changes
FROM segment_changes
GROUP BY workspace_id, segment, user_key;

INSERT INTO track_events
SELECT workspace_id, event, timestamp, user_key, message_id, properties FROM events WHERE type = 'track';
