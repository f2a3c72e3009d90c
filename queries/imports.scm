; Imports: every import statement, so rules can resolve `ft.lru_cache` to `functools.lru_cache`
; without a second walk of the tree.
(import_statement) @import
(import_from_statement) @import
