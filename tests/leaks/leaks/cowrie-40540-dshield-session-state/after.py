# Fixed shape of cowrie/cowrie#40540: the entry is dropped once it is consumed.


class Output:
    def start(self):
        self.session_state = {}
        self.batch = []

    def _state(self, session):
        if session not in self.session_state:
            self.session_state[session] = {"logins": [], "commands": []}
        return self.session_state[session]

    def write(self, event):
        state = self._state(event["session"])
        if event["eventid"] == "cowrie.login.success":
            state["logins"].append(event["username"])
        elif event["eventid"] == "cowrie.command.input":
            state["commands"].append(event["input"])
        elif event["eventid"] == "cowrie.session.closed":
            self.batch.append({"session": event["session"], **state})
            del self.session_state[event["session"]]
