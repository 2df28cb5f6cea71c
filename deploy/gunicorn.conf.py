# gunicorn configuration for the county hub under systemd:
#   gunicorn -c deploy/gunicorn.conf.py 'hub.web.app:create_app()'
# The environment (FIELDSYNC_DATABASE_URL, FIELDSYNC_DATA_DIR, ...) comes from the service unit.
import os

from hub.web.server import gunicorn_options

globals().update(gunicorn_options(os.environ.get("FIELDSYNC_BIND", "127.0.0.1:8000"),
                                  int(os.environ.get("FIELDSYNC_WORKERS", "2"))))
