# Fixed shape of cowrie/cowrie#40541: the entry is deleted at the end of the close branch.


class Output:
    def start(self, misp):
        self.misp = misp
        self.session_tracking = {}

    def write(self, event):
        session = event["session"]
        tracking = self.session_tracking.setdefault(session, {"commands": [], "downloads": []})
        if event["eventid"] == "cowrie.command.input":
            tracking["commands"].append(event["input"])
        elif event["eventid"] == "cowrie.session.file_download":
            tracking["downloads"].append(event["url"])
        elif event["eventid"] == "cowrie.session.closed":
            if tracking["commands"] or tracking["downloads"]:
                self.misp.add_event(session, tracking)
            del self.session_tracking[session]

    def stop(self):
        for session, tracking in self.session_tracking.items():
            self.misp.add_event(session, tracking)
