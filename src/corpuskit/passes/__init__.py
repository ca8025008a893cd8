"""Built-in passes: each module is a plugin, registered through the same hooks as a
third-party one."""
