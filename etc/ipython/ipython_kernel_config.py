# Installed by `make` into the environment ($VENV/etc/ipython), where every kernel
# that papermill and nbval start reads it.
#
# ipykernel warns on every start that its TCP transport is not encrypted. Here the
# kernel listens on 127.0.0.1 only and every message is HMAC-signed with a fresh
# key, and papermill's command line cannot ask jupyter_client for CurveZMQ keys
# (KernelManager.transport_encryption) or IPC transport; so the warning is noise
# in `make all`'s output. Only that message is dropped; every other kernel
# warning still shows.
import logging


class QuietLoopbackTransport(logging.Filter):
    def filter(self, record):
        return "running over TCP without encryption" not in record.getMessage()


c = get_config()  # noqa: F821 (provided by IPython when it loads this file)
c.IPKernelApp.logging_config = {
    "filters": {"loopback_tcp": {"()": QuietLoopbackTransport}},
    "handlers": {"console": {"filters": ["loopback_tcp"]}},
}
