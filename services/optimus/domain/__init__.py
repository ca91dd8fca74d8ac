"""Pure domain model: datasets, versions and their lifecycle. No I/O, no framework."""
