# Fixed shape of commaai/openpilot#36763: the button's callback reaches the guide through a weak
# reference.
import weakref


class Button:
    def __init__(self, text, click_callback):
        self.text = text
        self.click_callback = click_callback


class TrainingGuide:
    def __init__(self, completed_callback=None):
        self._completed_callback = completed_callback
        self._step = 0
        self_ref = weakref.ref(self)

        def on_continue():
            guide = self_ref()
            if guide is not None:
                guide._advance_step()

        self._continue = Button("Continue", on_continue)

    def _advance_step(self):
        self._step += 1


def show_onboarding(done):
    return TrainingGuide(done)
