# Fixed shape of ipython/ipykernel#990: the notifier and timer are made and connected once per kernel.
import zmq
from IPython.external.qt_for_kernel import QtCore


def _notify_stream_qt(kernel):
    def process_stream_events():
        if kernel.shell_stream.flush(limit=1):
            kernel._qt_notifier.setEnabled(False)
            kernel.app.quit()

    if not hasattr(kernel, "_qt_notifier"):
        fd = kernel.shell_stream.getsockopt(zmq.FD)
        kernel._qt_notifier = QtCore.QSocketNotifier(fd, QtCore.QSocketNotifier.Read, kernel.app)
        kernel._qt_notifier.activated.connect(process_stream_events)
    else:
        kernel._qt_notifier.setEnabled(True)
    if not hasattr(kernel, "_qt_timer"):
        kernel._qt_timer = QtCore.QTimer(kernel.app)
        kernel._qt_timer.setSingleShot(True)
        kernel._qt_timer.timeout.connect(process_stream_events)
    kernel._qt_timer.start(0)
