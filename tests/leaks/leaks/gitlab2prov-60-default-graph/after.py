# Fixed shape of DLR-SC/gitlab2prov commit 500a40e: a new graph per call unless one is passed in.


class ProvDocument:
    def __init__(self):
        self.records = []

    def activity(self, *args):
        self.records.append(("activity", args))

    def agent(self, *args):
        self.records.append(("agent", args))


def graph_factory():
    return ProvDocument()


def addition(commit, parents, rev, graph=None):
    if graph is None:
        graph = graph_factory()
    graph.activity(commit)
    graph.agent(commit, "author")
    for parent in parents:
        graph.activity(parent)
    return graph


def commit_model(commits):
    return [addition(c, [], None) for c in commits]
