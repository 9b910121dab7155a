-- Laboratory instruments (仪器设备) and their use (使用记录): an instrument is usable only while
-- its calibration (校准) is current; every calibration is a version of the instrument, every use
-- a versioned record of its own (entities `lab_instrument`, `lab_instrument_use`). Dates are China
-- day numbers.

CREATE TABLE lab_instruments (
    id                         INTEGER PRIMARY KEY,
    org_id                     INTEGER NOT NULL REFERENCES orgs (id),
    code                       TEXT    NOT NULL,
    name                       TEXT    NOT NULL,
    model                      TEXT    NOT NULL DEFAULT '',
    serial_no                  TEXT    NOT NULL DEFAULT '',
    location                   TEXT    NOT NULL DEFAULT '',
    calibration_interval_days  INTEGER NOT NULL,
    calibrated_on              INTEGER,
    calibration_due_on         INTEGER,
    certificate                TEXT    NOT NULL DEFAULT '',
    status                     TEXT    NOT NULL,
    version                    INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL,
    UNIQUE (org_id, code)
);
CREATE INDEX lab_instruments_org_due ON lab_instruments (org_id, calibration_due_on);

CREATE TABLE lab_instrument_uses (
    id             INTEGER PRIMARY KEY,
    instrument_id  INTEGER NOT NULL REFERENCES lab_instruments (id),
    org_id         INTEGER NOT NULL REFERENCES orgs (id),
    user_name      TEXT    NOT NULL,
    purpose        TEXT    NOT NULL,
    record_ref     TEXT    NOT NULL DEFAULT '',
    at             INTEGER NOT NULL
);
CREATE INDEX lab_instrument_uses_instrument ON lab_instrument_uses (instrument_id, id);
