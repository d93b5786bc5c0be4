"""Air quality: 300 real cities -> hourly measurements (daily partitions) -> yearly Parquet."""
