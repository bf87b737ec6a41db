"""Pages: thin interfaces that parse, check, call one service or selector, and render."""
