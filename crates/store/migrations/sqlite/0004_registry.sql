-- Registry: 一品一档 (products). Current state; every change is also a record version.
CREATE TABLE products (
    id                  INTEGER PRIMARY KEY,
    approval_number     TEXT    NOT NULL UNIQUE,
    category            TEXT    NOT NULL,
    generic_name        TEXT    NOT NULL,
    trade_name          TEXT    NOT NULL DEFAULT '',
    dosage_form         TEXT    NOT NULL,
    strength            TEXT    NOT NULL,
    pack                TEXT    NOT NULL DEFAULT '',
    mah_org_id          INTEGER NOT NULL REFERENCES orgs (id),
    manufacturer_org_id INTEGER REFERENCES orgs (id),
    drug_code           TEXT    UNIQUE,
    status              TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
    version             INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX products_mah ON products (mah_org_id);
CREATE INDEX products_generic ON products (generic_name);
CREATE INDEX products_updated ON products (updated_at);

-- GTINs (GTIN-14) of a product's pack levels; a GTIN belongs to one product.
CREATE TABLE product_gtins (
    gtin        TEXT    PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products (id)
);
CREATE INDEX product_gtins_product ON product_gtins (product_id);
