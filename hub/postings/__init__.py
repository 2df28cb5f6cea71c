"""Job postings at the hub: recognising duplicates, QR codes (issue 5)."""
