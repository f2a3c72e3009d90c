# Fixed version (one way to fix it; unicorn-engine/unicorn#713 has the project's change): the hook
# wrappers reach the instance weakly.
import ctypes
import weakref

HOOK_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_void_p)


def _uc_open(arch, mode):
    return ctypes.c_void_p()


def _uc_close(handle):
    pass


class Uc:
    def __init__(self, arch, mode):
        self._uch = _uc_open(arch, mode)
        self._ctype_cbs = []

    def hook_add(self, callback, user_data=None):
        uc_ref = weakref.ref(self)

        def _hook_code(handle, address, size, data):
            uc = uc_ref()
            if uc is not None:
                callback(uc, address, size, user_data)

        cb = HOOK_CB(_hook_code)
        self._ctype_cbs.append(cb)
        return len(self._ctype_cbs)

    def __del__(self):
        _uc_close(self._uch)


def emulate(arch, mode, tracer):
    uc = Uc(arch, mode)
    uc.hook_add(tracer)
    return uc
