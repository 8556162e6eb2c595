"""The ledger: split rules, the exact split of each sale (``split``), and the append-only entries
written in the same transaction as every sale and refund. Sales call it; revenue reads it."""
