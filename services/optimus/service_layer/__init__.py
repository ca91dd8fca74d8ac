"""Use cases of Optimus, written against ports that the adapters implement."""
