-- Accepted events, one row per message. ReplacingMergeTree collapses redeliveries of the same
-- message (identical sorting key, message_id last in it); read with FINAL for exact counts.
-- Open objects (properties, traits, context, integrations) are kept whole as JSON text: the JSON type
-- (max_dynamic_paths=256) measured 5.5-9.4k rows/s on insert in the embedded engine against 42-60k
-- for String (200k rows), drops null values and refuses objects holding both "a.b" and {"a":{"b"}}.
-- Query them with JSONExtract*(properties, 'key').
CREATE TABLE IF NOT EXISTS events
(
    workspace_id       LowCardinality(String),
    message_id         String,
    type               LowCardinality(String),
    event              LowCardinality(String) COMMENT 'track event name',
    name               String COMMENT 'page / screen name',
    user_id            String,
    anonymous_id       String,
    user_key           String COMMENT 'user_id, else anonymous_id',
    group_id           String,
    previous_id        String,
    timestamp          DateTime64(3, 'UTC') COMMENT 'skew-corrected event time',
    received_at        DateTime64(3, 'UTC'),
    sent_at            Nullable(DateTime64(3, 'UTC')),
    original_timestamp Nullable(DateTime64(3, 'UTC')),
    page_path          String,
    page_url           String,
    page_referrer      String,
    page_title         String,
    ip                 String,
    user_agent         String,
    browser            LowCardinality(String),
    browser_version    LowCardinality(String),
    os                 LowCardinality(String),
    os_version         LowCardinality(String),
    device_type        LowCardinality(String),
    is_bot             Bool,
    library_name       LowCardinality(String),
    library_version    LowCardinality(String),
    properties         String COMMENT 'JSON object text',
    traits             String COMMENT 'JSON object text',
    context            String COMMENT 'JSON object text',
    integrations       String COMMENT 'JSON object text'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (workspace_id, user_key, timestamp, message_id);

-- The log's StoredEvent lines (schema/stored-event.ts) as they are: the sink inserts them here as
-- JSONEachRow and the view below maps them to `events`, so no event is parsed or re-serialised in JS.
-- Stores nothing (Null). The sink's insert settings make a missing or null field, or a missing `ua`
-- member, an error; the constraints refuse what the types cannot: both refuse the whole insert, and
-- the sink then singles out the offending log entries and dead-letters them.
-- `event` is the client's event object kept as its JSON text (input_format_json_read_objects_as_strings).
CREATE TABLE IF NOT EXISTS events_in
(
    v                 UInt8,
    workspaceId       String,
    messageId         String,
    type              String,
    userKey           String,
    receivedAt        String,
    timestamp         String,
    originalTimestamp Nullable(String),
    sentAt            Nullable(String),
    ip                String,
    userAgent         String,
    ua                Tuple(browser String, browserVersion String, os String, osVersion String, deviceType String, isBot Bool),
    event             String,
    CONSTRAINT version_1 CHECK v = 1,
    CONSTRAINT known_type CHECK type IN ('track', 'page', 'screen', 'identify', 'group', 'alias'),
    CONSTRAINT event_is_object CHECK startsWith(event, '{'),
    -- DateTime64 holds 1900-01-01 … 2299-12-31; the engine would otherwise clamp or wrap the value.
    CONSTRAINT timestamp_storable CHECK toYear(parseDateTime64BestEffortOrNull(timestamp, 3, 'UTC')) BETWEEN 1900 AND 2299,
    CONSTRAINT received_at_storable CHECK toYear(parseDateTime64BestEffortOrNull(receivedAt, 3, 'UTC')) BETWEEN 1900 AND 2299
)
ENGINE = Null;

-- StoredEvent → events row. Ids and names are scalars as text (numbers and booleans as written,
-- anything else empty); open objects whole, '{}' when not objects; page fields from context.page,
-- else (page events) from the page properties; unstorable optional times become NULL.
-- Extracting a String gives an object's or array's JSON text, so only a value starting with { or [
-- has its JSON type checked (short-circuit evaluation skips JSONType for every other row).
CREATE MATERIALIZED VIEW IF NOT EXISTS events_in_mv TO events AS
WITH
    JSONExtract(eventJson, 'Tuple(event String, name String, userId String, anonymousId String, groupId String, previousId String, properties String, traits String, context String, integrations String)') AS e,
    if(startsWith(tupleElement(e, 'properties'), '{'), tupleElement(e, 'properties'), '{}') AS propertiesJson,
    if(startsWith(tupleElement(e, 'traits'), '{'), tupleElement(e, 'traits'), '{}') AS traitsJson,
    if(startsWith(tupleElement(e, 'context'), '{'), tupleElement(e, 'context'), '{}') AS contextJson,
    if(startsWith(tupleElement(e, 'integrations'), '{'), tupleElement(e, 'integrations'), '{}') AS integrationsJson,
    JSONExtract(contextJson, 'Tuple(page Map(String, String), library Map(String, String))') AS c,
    tupleElement(c, 'page') AS page,
    tupleElement(c, 'library') AS library,
    if(type = 'page', JSONExtract(propertiesJson, 'Map(String, String)'), map()) AS pageProps,
    if(left(page['path'], 1) IN ('{', '[') AND JSONType(contextJson, 'page', 'path') IN ('Object', 'Array'), '', page['path']) AS page_path_ctx,
    if(left(pageProps['path'], 1) IN ('{', '[') AND JSONType(propertiesJson, 'path') IN ('Object', 'Array'), '', pageProps['path']) AS page_path_props,
    if(left(page['url'], 1) IN ('{', '[') AND JSONType(contextJson, 'page', 'url') IN ('Object', 'Array'), '', page['url']) AS page_url_ctx,
    if(left(pageProps['url'], 1) IN ('{', '[') AND JSONType(propertiesJson, 'url') IN ('Object', 'Array'), '', pageProps['url']) AS page_url_props,
    if(left(page['referrer'], 1) IN ('{', '[') AND JSONType(contextJson, 'page', 'referrer') IN ('Object', 'Array'), '', page['referrer']) AS page_referrer_ctx,
    if(left(pageProps['referrer'], 1) IN ('{', '[') AND JSONType(propertiesJson, 'referrer') IN ('Object', 'Array'), '', pageProps['referrer']) AS page_referrer_props,
    if(left(page['title'], 1) IN ('{', '[') AND JSONType(contextJson, 'page', 'title') IN ('Object', 'Array'), '', page['title']) AS page_title_ctx,
    if(left(pageProps['title'], 1) IN ('{', '[') AND JSONType(propertiesJson, 'title') IN ('Object', 'Array'), '', pageProps['title']) AS page_title_props,
    parseDateTime64BestEffortOrNull(sentAt, 3, 'UTC') AS sent,
    parseDateTime64BestEffortOrNull(originalTimestamp, 3, 'UTC') AS original
SELECT
    workspaceId AS workspace_id,
    messageId AS message_id,
    type,
    if(type = 'track', if(left(tupleElement(e, 'event'), 1) IN ('{', '[') AND JSONType(eventJson, 'event') IN ('Object', 'Array'), '', tupleElement(e, 'event')), '') AS event,
    if(type IN ('page', 'screen'), if(left(tupleElement(e, 'name'), 1) IN ('{', '[') AND JSONType(eventJson, 'name') IN ('Object', 'Array'), '', tupleElement(e, 'name')), '') AS name,
    if(left(tupleElement(e, 'userId'), 1) IN ('{', '[') AND JSONType(eventJson, 'userId') IN ('Object', 'Array'), '', tupleElement(e, 'userId')) AS user_id,
    if(left(tupleElement(e, 'anonymousId'), 1) IN ('{', '[') AND JSONType(eventJson, 'anonymousId') IN ('Object', 'Array'), '', tupleElement(e, 'anonymousId')) AS anonymous_id,
    userKey AS user_key,
    if(left(tupleElement(e, 'groupId'), 1) IN ('{', '[') AND JSONType(eventJson, 'groupId') IN ('Object', 'Array'), '', tupleElement(e, 'groupId')) AS group_id,
    if(left(tupleElement(e, 'previousId'), 1) IN ('{', '[') AND JSONType(eventJson, 'previousId') IN ('Object', 'Array'), '', tupleElement(e, 'previousId')) AS previous_id,
    parseDateTime64BestEffort(timestamp, 3, 'UTC') AS timestamp,
    parseDateTime64BestEffort(receivedAt, 3, 'UTC') AS received_at,
    if(toYear(sent) BETWEEN 1900 AND 2299, sent, NULL) AS sent_at,
    if(toYear(original) BETWEEN 1900 AND 2299, original, NULL) AS original_timestamp,
    if(page_path_ctx != '', page_path_ctx, page_path_props) AS page_path,
    if(page_url_ctx != '', page_url_ctx, page_url_props) AS page_url,
    if(page_referrer_ctx != '', page_referrer_ctx, page_referrer_props) AS page_referrer,
    if(page_title_ctx != '', page_title_ctx, page_title_props) AS page_title,
    ip,
    userAgent AS user_agent,
    tupleElement(ua, 'browser') AS browser,
    tupleElement(ua, 'browserVersion') AS browser_version,
    tupleElement(ua, 'os') AS os,
    tupleElement(ua, 'osVersion') AS os_version,
    tupleElement(ua, 'deviceType') AS device_type,
    tupleElement(ua, 'isBot') AS is_bot,
    if(left(library['name'], 1) IN ('{', '[') AND JSONType(contextJson, 'library', 'name') IN ('Object', 'Array'), '', library['name']) AS library_name,
    if(left(library['version'], 1) IN ('{', '[') AND JSONType(contextJson, 'library', 'version') IN ('Object', 'Array'), '', library['version']) AS library_version,
    propertiesJson AS properties,
    traitsJson AS traits,
    contextJson AS context,
    integrationsJson AS integrations
-- `event` renamed: the output column of the same name would shadow it.
FROM (SELECT * EXCEPT event, event AS eventJson FROM events_in);
