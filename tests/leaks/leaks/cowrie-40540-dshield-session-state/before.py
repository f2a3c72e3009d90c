# Shape of cowrie/cowrie#40492, fixed by cowrie/cowrie#40540 ("release dshield session state when
# the session closes"). Minimal reproduction written for this corpus.


class Output:
    def start(self):
        self.session_state = {}  # <- one entry per session, never removed
        self.batch = []

    def _state(self, session):
        if session not in self.session_state:
            self.session_state[session] = {"logins": [], "commands": []}  # <- added per session
        return self.session_state[session]

    def write(self, event):
        state = self._state(event["session"])
        if event["eventid"] == "cowrie.login.success":
            state["logins"].append(event["username"])
        elif event["eventid"] == "cowrie.command.input":
            state["commands"].append(event["input"])
        elif event["eventid"] == "cowrie.session.closed":
            self.batch.append({"session": event["session"], **state})
