"""The question bank: its schema, its TOML files and the loader that validates them."""
