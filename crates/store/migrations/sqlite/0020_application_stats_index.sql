-- Statistics (办件统计) read every application in a bureau's scope in one grouped pass
-- (`applications::statistics`): this index holds every column that pass reads, so the pass
-- reads the index instead of the applications themselves, whose data runs to kilobytes each
-- (figures in docs/benchmarks.md).
CREATE INDEX applications_stats ON applications (applicant_org_id, type_code, status, submitted_at, decided_at,
    phase_due_on, accepted_on, limit_days, paused_days, auto_decided);
