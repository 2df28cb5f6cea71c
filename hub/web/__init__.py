"""The hub's HTTP layer: the app factory (app.py) and one module per blueprint; views ask the domain packages."""
