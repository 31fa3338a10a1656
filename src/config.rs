//! Configuration: the TOML config file with embedded defaults and partial user overrides.
