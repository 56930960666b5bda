"""lenet-vis: a NumPy LeNet that shows its work, served by FastAPI.

`lenet_vis.model` is the network (pure NumPy, no web); `lenet_vis.app` serves it. Assets
(weights, templates, static files, the sample digits) ship inside the package.
"""
