"""The embedded host: one process, local disk, nothing to install (`optimus serve`)."""
