"""A report service: loads datasets, renders reports, notifies subscribers."""
