-- The audit page's counts (统一审计: by action, by user, per day ok or refused) read daily
-- rollups of the audit log instead of grouping every event of the last 14 days: at a
-- province's million events that GROUP BY took half a second. `day` is the China calendar day
-- as a number, (at + 8 h) / 86,400,000 ms; `n` is how many events of that day fall under the
-- row's key. Two narrow tables rather than one keyed by action and actor together: that one
-- would hold up to actors × actions rows a day, nearly as many as the events, while these hold
-- actions × outcomes and actors rows a day, which the page sums over 14 days in milliseconds.
-- `audit::record` (the one write path of audit_events) adds 1 to each in the event's own
-- transaction; nothing else writes them. Tamper detection stays the ledger's job: a row changed
-- or deleted in audit_events behind the system's back is not reflected here.
CREATE TABLE audit_daily_actions (
    day         INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (day, action, outcome)
) WITHOUT ROWID;

CREATE TABLE audit_daily_actors (
    day         INTEGER NOT NULL,
    actor_name  TEXT    NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (day, actor_name)
) WITHOUT ROWID;

-- The events recorded before this migration, counted once.
INSERT INTO audit_daily_actions (day, action, outcome, n)
SELECT (at + 28800000) / 86400000, action, outcome, COUNT(*)
FROM audit_events
GROUP BY (at + 28800000) / 86400000, action, outcome;

INSERT INTO audit_daily_actors (day, actor_name, n)
SELECT (at + 28800000) / 86400000, actor_name, COUNT(*)
FROM audit_events
GROUP BY (at + 28800000) / 86400000, actor_name;
