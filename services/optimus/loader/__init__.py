"""`optimus load`: load CSV, TSV, JSON Lines and Parquet files into a version, resumably."""
