-- 办件统计 and the 工作台's trends of a bureau sum this rollup of the applications instead of
-- grouping every application in the bureau's scope: at a province's 100,000 applications that
-- pass took a quarter of a second (docs/benchmarks.md). One row per group of applications that
-- share every value the figures need:
--   region_org_id  the applicant company's parent organization. A bureau's scope (本单位及下级
--                  or 全部) holds a company exactly when it holds the company's parent, since a
--                  company is never a bureau; so the scope filter reads the region's path.
--   type_code      the application type.
--   sday, dday     China calendar days (as numbers, (ms + 8 h) / 86,400,000) of submission and
--                  decision; dday is -1 while undecided.
--   accepted_on    the day of 受理 (YYYY-MM-DD), '' before it; limit_days the type's time limit.
--   is_open        1 while submitted, in 补正 or under review.
--   n, paused, auto  how many, their 补正 days, and how many were decided by a rule (秒批).
-- `applications::save` and `submit_at` (the one write path of applications) move an
-- application between groups in its own transaction; nothing else writes this table. Working
-- days need the calendar, so they are counted when the figures are read, per group.
CREATE TABLE application_rollup (
    region_org_id BIGINT  NOT NULL,
    sday          BIGINT  NOT NULL,
    dday          BIGINT  NOT NULL,
    type_code     TEXT    NOT NULL,
    accepted_on   TEXT    NOT NULL,
    limit_days    BIGINT  NOT NULL,
    is_open       BIGINT  NOT NULL,
    n             BIGINT  NOT NULL,
    paused        BIGINT  NOT NULL,
    auto          BIGINT  NOT NULL,
    PRIMARY KEY (region_org_id, sday, dday, type_code, accepted_on, limit_days, is_open)
);

-- The 工作台's submissions and decisions of the last twelve weeks.
CREATE INDEX application_rollup_submitted ON application_rollup (sday);
CREATE INDEX application_rollup_decided ON application_rollup (dday);

-- The applications submitted before this migration, counted once.
INSERT INTO application_rollup
    (region_org_id, sday, dday, type_code, accepted_on, limit_days, is_open, n, paused, auto)
SELECT o.parent_id, (a.submitted_at + 28800000) / 86400000,
       COALESCE((a.decided_at + 28800000) / 86400000, -1), a.type_code, COALESCE(a.accepted_on, ''),
       a.limit_days, CASE WHEN a.status IN ('submitted', 'correction', 'accepted') THEN 1 ELSE 0 END,
       COUNT(*), SUM(a.paused_days), SUM(a.auto_decided)
FROM applications a JOIN orgs o ON o.id = a.applicant_org_id
GROUP BY 1, 2, 3, 4, 5, 6, 7;
