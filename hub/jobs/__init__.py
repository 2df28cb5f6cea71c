"""Long work off the web request (issue 15): a huey queue, its tasks, and the job table that records them.

``queue.py`` binds the queue at app start-up (SQLite in the data folder, or Redis at QUEUE_URL); ``tasks.py`` has
the work (a cleaning run, the roster, a department list, postings) and the scheduled cleaning runs;
``records.py`` owns the ``job`` table (who asked for what, its state, its report).  `fieldsync-hub worker` runs
the consumer.  The layer sits between ``web`` (which enqueues and shows) and the domain packages (which do the
work, through the same functions as the command line).
"""
