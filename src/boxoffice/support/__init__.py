"""Support: finding an order from what a buyer can tell us (a short code, an e-mail address)."""
