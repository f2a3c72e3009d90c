# Shape of ipython/ipykernel#990 ("Close memory leak"): objects parented to the process-wide Qt app and
# connected to a new closure on every call. Minimal reproduction written for this corpus.
import zmq
from IPython.external.qt_for_kernel import QtCore


def _notify_stream_qt(kernel, stream):
    # called on every iteration of the kernel's Qt loop integration
    def process_stream_events():
        if stream.flush(limit=1):
            notifier.setEnabled(False)
            kernel.app.quit()

    fd = stream.getsockopt(zmq.FD)
    notifier = QtCore.QSocketNotifier(fd, QtCore.QSocketNotifier.Read, kernel.app)
    notifier.activated.connect(process_stream_events)  # <- new closure connected per call, owned by the app
    timer = QtCore.QTimer(kernel.app)
    timer.setSingleShot(True)
    timer.timeout.connect(process_stream_events)  # <- likewise
    timer.start(0)
