-- Environment monitoring of laboratory rooms (环境监测): a room with its temperature and
-- relative-humidity limits (entity `lab_room`); readings recorded by a person or a logger, each
-- a versioned record (entity `lab_env_reading`); a reading outside a limit is an excursion (超限)
-- and opens a deviation in the same transaction. Values are tenths (°C × 10, %RH × 10); times
-- milliseconds.

CREATE TABLE lab_rooms (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    code        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    temp_low    INTEGER NOT NULL,
    temp_high   INTEGER NOT NULL,
    rh_low      INTEGER NOT NULL,
    rh_high     INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE lab_env_readings (
    id            INTEGER PRIMARY KEY,
    room_id       INTEGER NOT NULL REFERENCES lab_rooms (id),
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    at            INTEGER NOT NULL,
    temperature   INTEGER NOT NULL,
    humidity      INTEGER NOT NULL,
    recorded_by   TEXT    NOT NULL,
    excursion     INTEGER NOT NULL DEFAULT 0,
    deviation_id  INTEGER
);
CREATE INDEX lab_env_readings_room ON lab_env_readings (room_id, at);
