"""One module per intent; each takes a HandlerContext and returns an Outcome."""
