-- A sequence is received once per organization and application, unless its transfer was
-- cancelled while still arriving; racing manifests for one sequence cannot both open.
CREATE UNIQUE INDEX submission_transfers_received_once ON submission_transfers (org_id, application, sequence)
    WHERE side = 'received' AND status <> 'cancelled';
-- Whose an application number is: a manifest naming another organization's is refused.
CREATE INDEX submission_transfers_application ON submission_transfers (application, side, org_id);
-- A sender sends one sequence at a time.
CREATE UNIQUE INDEX submission_transfers_sending_once ON submission_transfers (org_id, application, sequence)
    WHERE side = 'sent' AND status = 'sending';
-- Completion is claimed (UTC milliseconds until the claim lapses): one call rebuilds, files and
-- acknowledges at a time, and a crashed one's claim lapses for the next call to resume.
ALTER TABLE submission_transfers ADD COLUMN claimed_until BIGINT;
-- The sender's own copy of the transfer's SM4 key, sealed with the site's sealing key, so a
-- send interrupted by a restart resumes the same transfer.
ALTER TABLE submission_transfers ADD COLUMN own_key BLOB;
-- A sequence's build is claimed the same way: two builds of one draft never write its folder at
-- once.
ALTER TABLE submission_sequences ADD COLUMN claimed_until BIGINT;
