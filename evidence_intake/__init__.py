"""evidence-intake: digital-forensics evidence intake with a tamper-evident chain of custody."""

from __future__ import annotations

import os

# The one place the version is written; pyproject.toml reads it from here. (Looking it up through
# importlib.metadata at every start costs a command 30 ms before it does anything.)
__version__ = "0.1.0"

SOFTWARE = f"evidence-intake {__version__}"


def host_name() -> str:
    """The name of this machine as recorded in ledger entries and acquisition logs.

    On the Unix systems the tool runs on, socket.gethostname() returns uname's node name; reading it
    here spares every command the import of socket (about 5 ms at start).
    """
    return os.uname().nodename


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (one of another user counts), as the
    commands that find work left 'running' by a killed process ask before closing it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user has that id
        return True
    except OSError:
        return False
    return True
