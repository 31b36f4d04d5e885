"""The one compiled part: the file-system walk in C over the system's libtsk (The Sleuth Kit).

Everything else is in pyproject.toml. The walk is built when libtsk's headers are installed
(Debian and Ubuntu: ``apt install libtsk-dev``) and a C compiler is there; without them the tool
installs as before and walks through pytsk3, with the same entries, a few times slower.
EVIDENCE_INTAKE_NATIVE=1 makes a failed build an error (CI), =0 never builds it.
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

from setuptools import Extension, setup


def _libtsk_headers() -> bool:
    places = ["/usr/include", "/usr/local/include", "/opt/homebrew/include", sysconfig.get_path("include")]
    places += [p for p in os.environ.get("CPATH", "").split(os.pathsep) if p]
    return any((Path(place) / "tsk" / "libtsk.h").is_file() for place in places if place)


_wanted = os.environ.get("EVIDENCE_INTAKE_NATIVE", "")
_extensions = []
if _wanted == "1" or (_wanted != "0" and _libtsk_headers()):
    _extensions.append(
        Extension(
            "evidence_intake.evidence._tskwalk",
            sources=["evidence_intake/evidence/_tskwalk.c"],
            libraries=["tsk"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wno-unused-parameter"],
            optional=_wanted != "1",
        )
    )

setup(ext_modules=_extensions)
