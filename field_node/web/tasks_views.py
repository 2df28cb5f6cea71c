"""Verification tasks at the station: the county asks, the grid member checks on site and answers here, offline;
the answer is a signed record that closes the task at the hub after the next sync."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from field_node import tasks
from field_node.outbox import records
from field_node.store.models import Task
from field_node.store.state import now_text
from field_node.web import auth, scope
from shared import free_text
from shared.errors import field_messages
from shared.verification import ANSWERS

bp = Blueprint("tasks", __name__)
auth.require_sign_in(bp)


@bp.route("/tasks")
def listing() -> Any:
    return render_template("tasks.html", tasks=tasks.waiting(within=scope.household_numbers()), answers=ANSWERS,
                           errors={})


@bp.route("/tasks/<int:task_id>", methods=["POST"])
def answer(task_id: int) -> Any:
    task = Task.get_or_none(Task.id == task_id)
    if task is None or not task.open or task.answered_seq:
        abort(404)
    scope.household_or_404(task.household)
    body = {"task": task.id, "household": task.household, "answer": request.form.get("answer", ""),
            "note": request.form.get("note", "").strip(), "date": now_text()[:10],
            "author": current_user.username}
    found = free_text.problem(body["note"])  # a number in a note escapes every mask (shared/free_text.py)
    if found:
        return render_template("tasks.html", tasks=tasks.waiting(within=scope.household_numbers()), answers=ANSWERS,
                               errors={task.id: found}, refused_notes={task.id: found}), 422
    node = current_app.config["NODE"]
    saved, problems = records.save_records(node.key(), node.node_id, [("verification", body)])
    if problems:
        errors = {task.id: "；".join(field_messages(problems[0].details).values())}
        return render_template("tasks.html", tasks=tasks.waiting(within=scope.household_numbers()), answers=ANSWERS,
                               errors=errors), 422
    return redirect(url_for("households.household", number=task.household, saved=saved[0].seq))
