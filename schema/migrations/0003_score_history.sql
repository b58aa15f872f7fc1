-- Score history: one row per scorer call that moved a profile's score, awarded points or changed its
-- segments (scoring/runtime/outputs.ts `scoreRowOf`). Keyed so a re-run of the same call after a
-- scorer or sink crash collapses onto one row (read with FINAL). `message_id` is '' for timers.
CREATE TABLE IF NOT EXISTS score_changes
(
    workspace_id LowCardinality(String),
    user_key     String,
    at           DateTime64(3, 'UTC'),
    message_id   String,
    model        LowCardinality(String),
    score_before Float64,
    score_after  Float64,
    awards       String COMMENT 'JSON array text: [{rule, points, capped?}]'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (workspace_id, user_key, at, message_id);

-- Segment entries and exits, one row per segment a change entered or exited.
CREATE TABLE IF NOT EXISTS segment_changes
(
    workspace_id LowCardinality(String),
    segment      LowCardinality(String),
    user_key     String,
    change       Enum8('entered' = 1, 'exited' = 2),
    at           DateTime64(3, 'UTC'),
    score        Float64 COMMENT 'the score after the change',
    message_id   String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (workspace_id, segment, at, user_key, change);

-- The scorer's `sc` lines as they are (the sink inserts them as JSONEachRow, like `events_in` in
-- 0001): stores nothing, the views below map them. The sink's insert settings make a missing or null
-- field an error; the constraints refuse what the types cannot; either refuses the whole insert and
-- the sink singles out the offending stream entries and dead-letters them.
CREATE TABLE IF NOT EXISTS score_changes_in
(
    workspace_id String,
    user_key     String,
    at           String COMMENT 'YYYY-MM-DD hh:mm:ss.sss, UTC',
    message_id   String,
    model        String,
    score_before Float64,
    score_after  Float64,
    awards       String,
    entered      Array(String),
    exited       Array(String),
    CONSTRAINT workspace_given CHECK workspace_id != '',
    CONSTRAINT user_key_given CHECK user_key != '',
    -- DateTime64 holds 1900-01-01 … 2299-12-31; the engine would otherwise clamp or wrap the value.
    CONSTRAINT at_storable CHECK toYear(parseDateTime64BestEffortOrNull(at, 3, 'UTC')) BETWEEN 1900 AND 2299,
    CONSTRAINT awards_is_array CHECK startsWith(awards, '[') AND isValidJSON(awards),
    -- A JSON null reads as NaN into Float64 even with the sink's strict settings.
    CONSTRAINT scores_finite CHECK isFinite(score_before) AND isFinite(score_after)
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS score_changes_in_mv TO score_changes AS
SELECT
    workspace_id,
    user_key,
    parseDateTime64BestEffort(at, 3, 'UTC') AS at,
    message_id,
    model,
    score_before,
    score_after,
    awards
FROM score_changes_in;

-- Each entered, then each exited segment of a change becomes a row (ARRAY JOIN drops changes with none).
CREATE MATERIALIZED VIEW IF NOT EXISTS segment_changes_in_mv TO segment_changes AS
SELECT
    workspace_id,
    tupleElement(c, 2) AS segment,
    user_key,
    CAST(tupleElement(c, 1), 'Enum8(\'entered\' = 1, \'exited\' = 2)') AS change,
    parseDateTime64BestEffort(at, 3, 'UTC') AS at,
    score_after AS score,
    message_id
FROM score_changes_in
ARRAY JOIN arrayConcat(arrayMap(s -> ('entered', s), entered), arrayMap(s -> ('exited', s), exited)) AS c;
