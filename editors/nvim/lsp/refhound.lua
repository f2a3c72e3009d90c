-- refhound: the code shapes that leak memory in Python (`refhound server`, LSP over stdio).
--
-- A configuration in the shape of Neovim 0.11's `vim.lsp.config` and of nvim-lspconfig's
-- `lsp/` files. With this directory on 'runtimepath' (or the file copied to
-- `~/.config/nvim/lsp/`), `vim.lsp.enable('refhound')` is all it takes; see ../README.md.
--
-- `settings.refhound` takes the keys of `[tool.refhound]` (camelCase or kebab-case), e.g.
--   settings = { refhound = { ignore = { 'RH601' }, severity = { RH302 = 'error' } } }
-- and overrides the project's pyproject.toml / refhound.toml.
--
-- The empty settings are `vim.empty_dict()`, not `{}`: Neovim sends an empty Lua table as a
-- JSON list (`[]`), which refhound rejects ("the settings must be a table, not a list").
return {
  cmd = { 'refhound', 'server' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'refhound.toml', 'setup.py', 'setup.cfg', '.git' },
  settings = { refhound = vim.empty_dict() },
}
