"""An anomaly's statuses: the one vocabulary of its state machine (table ``anomaly``, hub/store/models.py).

A cleaning run opens, reopens and closes anomalies (hub/cleaning/runner.py); a county or township user answers or
reopens one, or sends it to the field, where a station's answer closes the loop (hub/verification/tasks.py).
"""

from __future__ import annotations

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
IN_FIELD = "in_field"  # an anomaly sent to the field: open until the station answers
ANSWER_CORRECT = "correct"  # 核实无误: stays answered until the data it was raised on change
STATUS_ZH = {OPEN: "待核实", IN_FIELD: "已派村级核实", ANSWERED: "已核实", CLOSED: "已消除"}
