"""The outbox: records signed on the station and kept until the hub has them (``records``), and what keeps ID
numbers off the card on the way (``privacy``)."""
