"""Certificates for the stations: a publicly trusted name per station, obtained by ACME DNS-01 (docs/certificates.md).

``requests`` takes a station's CSR at sync, ``issuer`` talks to the county's ACME CA, ``dns`` sets the TXT
records, ``status`` says which certificates need renewing and which the county must be warned about.
"""
