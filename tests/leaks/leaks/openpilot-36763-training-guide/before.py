# Shape of commaai/openpilot#36763 ("ui: fix TrainingGuide leak"): a child widget kept a callback
# into its parent. Minimal reproduction written for this corpus.


class Button:
    def __init__(self, text, click_callback):
        self.text = text
        self.click_callback = click_callback


class TrainingGuide:
    def __init__(self, completed_callback=None):
        self._completed_callback = completed_callback
        self._step = 0
        self._continue = Button("Continue", self._advance_step)  # <- self -> button -> bound method -> self

    def _advance_step(self):
        self._step += 1


def show_onboarding(done):
    return TrainingGuide(done)
