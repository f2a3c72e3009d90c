# Shape of cowrie/cowrie#40493, fixed by cowrie/cowrie#40541 ("release misp session tracking when
# the session closes"). Minimal reproduction written for this corpus.


class Output:
    def start(self, misp):
        self.misp = misp
        self.session_tracking = {}  # <- one entry per session, never removed

    def write(self, event):
        session = event["session"]
        tracking = self.session_tracking.setdefault(session, {"commands": [], "downloads": []})  # <- per session
        if event["eventid"] == "cowrie.command.input":
            tracking["commands"].append(event["input"])
        elif event["eventid"] == "cowrie.session.file_download":
            tracking["downloads"].append(event["url"])
        elif event["eventid"] == "cowrie.session.closed":
            if tracking["commands"] or tracking["downloads"]:
                self.misp.add_event(session, tracking)

    def stop(self):
        for session, tracking in self.session_tracking.items():
            self.misp.add_event(session, tracking)
