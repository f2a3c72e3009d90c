# Fixed version (one way to fix it; CloudWanderer-io/CloudWanderer#192 has the project's change):
# the memo is stored on the instance.
class ServiceMap:
    def __init__(self, boto3_session):
        self.boto3_session = boto3_session
        self._resource_types = {}

    def get_resource_types(self, service_name):
        if service_name not in self._resource_types:
            resource = self.boto3_session.resource(service_name)
            self._resource_types[service_name] = resource.get_available_subresources()
        return self._resource_types[service_name]


def scan(session_factory, services):
    smap = ServiceMap(session_factory())
    return {s: smap.get_resource_types(s) for s in services}
