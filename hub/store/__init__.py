"""The bottom of the hub: the database binding, every model, the migrations, backup, rate-limit storage."""
