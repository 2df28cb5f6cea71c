-- Why a station's last certificate order failed, in words for the county's operator (issue 14): the Chinese
-- message of the failure (e.g. the DNS server refused the TSIG key), shown on the overview page and by
-- `fieldsync-hub nodes` beside last_error (the ErrorCode name and a short reason).  Never holds a secret.
ALTER TABLE station_certificate ADD COLUMN last_error_text TEXT
