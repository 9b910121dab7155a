-- 办件 sorted by 状态 follow the workflow — 待受理, 待补正, 审查中, then 准予许可, 不予许可,
-- 不予受理, 已撤回 — not the alphabetical order of the status codes, which reads as no order at
-- all in Chinese. The list's ORDER BY is this same expression (`STATUS_ORDER` in `services::applications`),
-- so a sorted page reads one page of this index.
CREATE INDEX applications_status_order ON applications ((CASE status WHEN 'submitted' THEN 1
    WHEN 'correction' THEN 2 WHEN 'accepted' THEN 3 WHEN 'approved' THEN 4 WHEN 'rejected' THEN 5
    WHEN 'refused' THEN 6 WHEN 'withdrawn' THEN 7 ELSE 8 END), id);
