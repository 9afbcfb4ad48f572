"""Qt-free, I/O-free core: record models, parsers, composers and the rules that make findings."""
