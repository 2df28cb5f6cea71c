-- A station's TLS certificate (issue 14, docs/certificates.md): one row per station.  csr_pem is the last CSR the
-- station sent (its key never leaves the station); certificate_pem the full chain the county's ACME CA issued for
-- it, with its validity.  last_error: why the last ACME order failed (an ErrorCode name and a short reason).
-- revoked_at: when `fieldsync-hub revoke-node` had the CA revoke it (a stolen station).
CREATE TABLE station_certificate (
    id {ID},
    node_id BIGINT NOT NULL UNIQUE REFERENCES node (id),
    domain TEXT NOT NULL,
    csr_pem TEXT NOT NULL,
    requested_at {TS} NOT NULL,
    certificate_pem TEXT,
    not_before {TS},
    not_after {TS},
    issued_at {TS},
    delivered_at {TS},
    last_error TEXT,
    last_attempt_at {TS},
    revoked_at {TS}
)
