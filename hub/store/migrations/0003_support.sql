-- Support data for rules P7, P8 and P10 (optional roster columns of the national system's export).

ALTER TABLE household ADD COLUMN helper TEXT NOT NULL DEFAULT '';
ALTER TABLE household ADD COLUMN helper_since TEXT;
ALTER TABLE household ADD COLUMN plan_date TEXT;
ALTER TABLE household ADD COLUMN measures TEXT NOT NULL DEFAULT '';
ALTER TABLE household ADD COLUMN risk_eliminated TEXT;
ALTER TABLE person ADD COLUMN returned_since TEXT;
ALTER TABLE person ADD COLUMN support_251 {BOOL} NOT NULL DEFAULT {FALSE}
