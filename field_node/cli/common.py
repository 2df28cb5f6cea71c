"""What every `fieldsync-node` command shares: opening the node's data folder and turning its errors into words
the station's staff can act on.  A leaf: it imports no command module."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from peewee import DatabaseError

from field_node.sync import node as node_module
from shared.errors import FieldsyncError, joined_messages

STORAGE_FAILED = ("存储卡已满或读写出错：这一次的录入没有保存（之前保存的记录不受影响）。"
                  "请清理存储空间或检查存储卡后重新运行。")


def with_node(command: Callable) -> Callable:
    """Open the node's data folder for a command; print FieldsyncErrors as a person can act on them."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            opened = node_module.open_node(click.get_current_context().obj["data_dir"])
            return command(opened, *args, **kwargs)
        except FieldsyncError as error:
            click.echo(f"错误：{error.message}", err=True)
            for field, messages in error.details.items():  # which field, and what to change
                click.echo(f"  {field}: {joined_messages(messages)}",
                           err=True)
            sys.exit(1)
        except (DatabaseError, OSError) as error:  # a full or failing SD card, most often
            click.echo(f"错误：{STORAGE_FAILED}（{type(error).__name__}）", err=True)
            sys.exit(1)

    return wrapper
