"""The field node: the village station's store of signed records, and its sync with the county hub.

Packages by layer, each importing only those below it (README "Layout"; import-linter checks it): ``cli`` and
``web`` on top, then ``sync``, then ``outbox``, then the domain (``roster``, ``postings``, ``tasks``,
``accounts``), and ``store`` (with ``settings``) at the bottom.  It never imports ``hub``.
"""
