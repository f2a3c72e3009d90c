# Shape of CloudWanderer-io/CloudWanderer#192 ("Memory leak fix": lru_cache on methods).
# Minimal reproduction written for this corpus; names are illustrative.
from functools import lru_cache


class ServiceMap:
    def __init__(self, boto3_session):
        self.boto3_session = boto3_session

    @lru_cache()  # <- keeps each ServiceMap alive
    def get_resource_types(self, service_name):
        return self.boto3_session.resource(service_name).get_available_subresources()


def scan(session_factory, services):
    smap = ServiceMap(session_factory())
    return {s: smap.get_resource_types(s) for s in services}
