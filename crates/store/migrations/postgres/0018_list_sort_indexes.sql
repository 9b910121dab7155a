-- Sortable list headers (docs/ui.md §5): a sort key of a big table's list has an index that
-- serves `ORDER BY <column>, id` with the page's LIMIT, so a sorted page reads one page of the
-- index, not the whole table. (Products: 批准文号, 通用名 and 更新时间 have theirs since 0004;
-- the audit log is paged by its primary key.)

-- 电子证照: 许可证编号, 证照类型, 持证主体, and the default order (last changed first);
-- 有效期至 has licenses_valid_until.
CREATE INDEX licenses_number_sort ON licenses (number, id);
CREATE INDEX licenses_kind_sort ON licenses (kind, id);
CREATE INDEX licenses_holder_sort ON licenses (holder_name, id);
CREATE INDEX licenses_updated_sort ON licenses (updated_at, id);

-- 办件: 事项, 状态, 办理时限 (申请编号 has its unique index, 提交时间 applications_submitted).
CREATE INDEX applications_type_sort ON applications (type_code, id);
CREATE INDEX applications_status_sort ON applications (status, id);
CREATE INDEX applications_due_sort ON applications (phase_due_on, id);

-- 追溯异常: the default order (newest detected first) and 发生时间; 类型 and 状态 are served by
-- trace_anomalies_kind and trace_anomalies_status.
CREATE INDEX trace_anomalies_detected_sort ON trace_anomalies (detected_at, id);
CREATE INDEX trace_anomalies_time_sort ON trace_anomalies (event_time, id);
