-- The "251" employment-support ledger (台账) per labourer (issue 16; DOMAIN.md §4; hub/roster/support_ledger.py).
-- One row per support action a township or county user recorded on the hub for a labourer (each also audited):
-- action: guidance (职业指导/政策宣传) | job (a post recommended outside fieldsync's postings) | training (技能培训).
-- The postings recommended through fieldsync (table recommendation) count as job actions without a row here.
-- id_number: the labourer's, as in recommendation and visit_employment (a roster re-import keeps the ledger).
-- action_date: YYYY-MM-DD, the day it was done (counted in its calendar year).
CREATE TABLE support_action (
    id {ID},
    id_number TEXT NOT NULL,
    action TEXT NOT NULL,
    action_date TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at {TS} NOT NULL
);
CREATE INDEX support_action_person ON support_action (id_number, action_date)
