"""The browser extension's sources, shipped in the package so the server can build its zip."""
