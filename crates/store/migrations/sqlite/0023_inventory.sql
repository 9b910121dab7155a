-- Reagent, standard and material inventory (试剂、标准品与物料库存). The quantity on hand of a
-- lot is derived: it is the sum of the lot's posted movements, kept in `inv_lots.on_hand` by the
-- write path in the movement's own transaction (and checked against the sum by `ledger verify`).
-- Quantities are integers in thousandths of the item's unit (0.001 g, 0.001 mL), so sums are
-- exact. Dates are China day numbers (days since 1970-01-01 in UTC+08:00).

-- An item (物料): what a lot is of. Held by an organization (the company, or the site or lab
-- whose stockroom keeps it).
CREATE TABLE inv_items (
    id                 INTEGER PRIMARY KEY,
    org_id             INTEGER NOT NULL REFERENCES orgs (id),
    code               TEXT    NOT NULL,
    name_zh            TEXT    NOT NULL,
    name_en            TEXT    NOT NULL DEFAULT '',
    synonyms           TEXT    NOT NULL DEFAULT '',
    cas                TEXT,
    formula            TEXT    NOT NULL DEFAULT '',
    category           TEXT    NOT NULL,
    unit               TEXT    NOT NULL,
    control            TEXT    NOT NULL DEFAULT '',
    ghs                TEXT    NOT NULL DEFAULT '',
    hazards            TEXT    NOT NULL DEFAULT '',
    storage            TEXT    NOT NULL DEFAULT '',
    requisition_limit  INTEGER,
    status             TEXT    NOT NULL DEFAULT 'active',
    version            INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (org_id, code)
);
CREATE INDEX inv_items_org_name ON inv_items (org_id, name_zh);
CREATE INDEX inv_items_org_updated ON inv_items (org_id, updated_at);
CREATE INDEX inv_items_cas ON inv_items (cas);

-- Search grams of every name, synonym, CAS number and formula of an item: each character and
-- each pair of neighbouring characters of the folded text, so a partial name is found through
-- the index, not by reading every item.
CREATE TABLE inv_item_grams (
    gram     TEXT    NOT NULL,
    item_id  INTEGER NOT NULL REFERENCES inv_items (id),
    PRIMARY KEY (gram, item_id)
);
CREATE INDEX inv_item_grams_item ON inv_item_grams (item_id);

-- A lot (批次) of an item: one receipt from a supplier, with its dates and place.
CREATE TABLE inv_lots (
    id            INTEGER PRIMARY KEY,
    item_id       INTEGER NOT NULL REFERENCES inv_items (id),
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    lot_no        TEXT    NOT NULL,
    supplier      TEXT    NOT NULL DEFAULT '',
    received_at   INTEGER NOT NULL,
    expires_on    INTEGER NOT NULL,
    retest_on     INTEGER,
    opened_on     INTEGER,
    room          TEXT    NOT NULL DEFAULT '',
    cabinet       TEXT    NOT NULL DEFAULT '',
    shelf         TEXT    NOT NULL DEFAULT '',
    container     TEXT    NOT NULL DEFAULT '',
    received_qty  INTEGER NOT NULL,
    on_hand       INTEGER NOT NULL CHECK (on_hand >= 0),
    status        TEXT    NOT NULL DEFAULT 'active',
    version       INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (item_id, lot_no)
);
CREATE INDEX inv_lots_item_expiry ON inv_lots (item_id, expires_on);
CREATE INDEX inv_lots_org_expiry ON inv_lots (org_id, expires_on);

-- A movement (库存变动): receipt, issue, return, adjustment or disposal of a quantity of a lot.
-- Posted movements make the stock; an adjustment from a count waits (`pending`) for approval.
CREATE TABLE inv_movements (
    id            INTEGER PRIMARY KEY,
    lot_id        INTEGER NOT NULL REFERENCES inv_lots (id),
    item_id       INTEGER NOT NULL REFERENCES inv_items (id),
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    kind          TEXT    NOT NULL,
    qty           INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    actor         TEXT    NOT NULL,
    witness       TEXT,
    purpose       TEXT    NOT NULL DEFAULT '',
    fefo_reason   TEXT    NOT NULL DEFAULT '',
    at            INTEGER NOT NULL,
    decided_by    TEXT,
    decided_at    INTEGER,
    decision_note TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX inv_movements_lot ON inv_movements (lot_id, id);
CREATE INDEX inv_movements_org_status ON inv_movements (org_id, status, id);
