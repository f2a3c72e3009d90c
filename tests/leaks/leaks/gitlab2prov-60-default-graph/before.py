# Shape of DLR-SC/gitlab2prov#60, fixed by commit 500a40e ("Move mutable default arguments into
# function"). Minimal reproduction written for this corpus.


class ProvDocument:
    def __init__(self):
        self.records = []

    def activity(self, *args):
        self.records.append(("activity", args))

    def agent(self, *args):
        self.records.append(("agent", args))


def graph_factory():
    return ProvDocument()


def addition(commit, parents, rev,  # <- the default below is one graph shared by every call
             graph=graph_factory()):  # <- built once, grows with every call
    graph.activity(commit)
    graph.agent(commit, "author")
    for parent in parents:
        graph.activity(parent)
    return graph


def commit_model(commits):
    return [addition(c, [], None) for c in commits]
