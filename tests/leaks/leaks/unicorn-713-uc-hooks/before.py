# Shape of unicorn-engine/unicorn#710 (fixed by unicorn-engine/unicorn#713): hook wrappers kept on
# the instance capture the instance, and the class defines __del__.
# Minimal reproduction written for this corpus.
import ctypes

HOOK_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_void_p)


def _uc_open(arch, mode):
    return ctypes.c_void_p()


def _uc_close(handle):
    pass


class Uc:  # <- class with __del__ in a cycle
    def __init__(self, arch, mode):
        self._uch = _uc_open(arch, mode)
        self._ctype_cbs = []

    def hook_add(self, callback, user_data=None):
        def _hook_code(handle, address, size, data):
            callback(self, address, size, user_data)

        cb = HOOK_CB(_hook_code)
        self._ctype_cbs.append(cb)  # <- self -> list -> callback -> closure -> self
        return len(self._ctype_cbs)

    def __del__(self):
        _uc_close(self._uch)


def emulate(arch, mode, tracer):
    uc = Uc(arch, mode)
    uc.hook_add(tracer)
    return uc
