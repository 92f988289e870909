"""The config file, from YAML text to a validated `Config`: source positions, `${VAR}`
interpolation, the models (inputs, outputs, theme, server settings), the checks that span
keys, the JSON Schema, and the loader that reports every problem with its line."""
