// Loaded before every test file (bunfig.toml): tests run in a fixed time zone so formatted times are stable.
process.env.TZ = "UTC";
