-- An administrator's password reset from the management pages (issue 15): the user signs in with the temporary
-- password shown once to the administrator, and must choose their own before any other page opens.
ALTER TABLE county_user ADD COLUMN must_change_password {BOOL} NOT NULL DEFAULT {FALSE};
