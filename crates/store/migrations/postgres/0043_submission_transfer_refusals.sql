-- A refused transfer (a package that did not rebuild to its signed manifest) frees its
-- sequence, as a cancelled one does.
DROP INDEX submission_transfers_received_once;
CREATE UNIQUE INDEX submission_transfers_received_once ON submission_transfers (org_id, application, sequence)
    WHERE side = 'received' AND status NOT IN ('cancelled', 'refused');
-- A sender's sends of a sequence are not kept unique by an index: the newest still under way is
-- resumed, and one begun before its key was kept is cancelled at both ends and sent anew.
DROP INDEX submission_transfers_sending_once;
