"""FastAPI server and command line for lenet-vis: turns requests into calls on `model/`."""
