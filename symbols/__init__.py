"""What code is: tree-sitter scoping into symbols, the repository index, the
repo map and offline localization. Imports nothing from the other packages."""
