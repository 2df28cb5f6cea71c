"""Files holding personal data or keys are readable by their owner only: 0600 files in a 0700 folder.

The station's node.db (and its WAL and SHM files), node.key, sync.log, and the hub's data folder with hub.db,
its keys and exports hold ID numbers, phones, incomes or secrets.  ``make_private`` sets the process umask so
that every file created afterwards (SQLite creates its WAL and SHM files itself) is 0600, creates the folder
0700, and narrows the modes of what an earlier release left readable by others.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
PRIVATE_UMASK = 0o077


def make_private(folder: Path) -> Path:
    """Create ``folder`` (mode 0700) if needed, set the umask, and narrow what it already holds to 0600/0700."""
    os.umask(PRIVATE_UMASK)
    folder = Path(folder)
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _narrow(folder, FOLDER_MODE)
    for entry in folder.iterdir():
        if entry.is_symlink():
            continue
        if entry.is_file():
            _narrow(entry, FILE_MODE)
        elif entry.is_dir():
            _narrow(entry, FOLDER_MODE)
    return folder


def _narrow(path: Path, mode: int) -> None:
    """Take away group and other rights (never adds any); a file owned by someone else is left alone."""
    info = path.stat()
    if info.st_uid != os.getuid():
        return
    current = stat.S_IMODE(info.st_mode)
    if current & 0o077:
        path.chmod(current & mode)
