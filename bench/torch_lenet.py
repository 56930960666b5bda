"""The project's LeNet in PyTorch eager, with the same weights: the benchmarks' yardstick.

PyTorch is never a project dependency; import this only where `import torch` worked.
"""

from __future__ import annotations

from lenet_vis.model.lenet import LeNet


def torch_lenet(net: LeNet):
    import torch
    from torch import nn

    class TorchLeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = (
                nn.Linear(400, 120),
                nn.Linear(120, 100),
                nn.Linear(100, 10),
            )

        def forward(self, x):
            """Every layer's output, as lenet.forward returns them."""
            out = {"input": x}
            out["conv1"] = h = self.conv1(x)
            out["relu1"] = h = torch.relu(h)
            out["pool1"] = h = torch.max_pool2d(h, 2, 2)
            out["conv2"] = h = self.conv2(h)
            out["relu2"] = h = torch.relu(h)
            out["pool2"] = h = torch.max_pool2d(h, 2, 2)
            out["fc1"] = h = self.fc1(h.flatten(1))
            out["relu3"] = h = torch.relu(h)
            out["fc2"] = h = self.fc2(h)
            out["relu4"] = h = torch.relu(h)
            out["fc3"] = h = self.fc3(h)
            out["softmax"] = torch.softmax(h, dim=1)
            return out

        def predict(self, x):
            return self.forward(x)["softmax"]

    model = TorchLeNet().eval()
    with torch.no_grad():
        for name in ("conv1", "conv2", "fc1", "fc2", "fc3"):
            getattr(model, name).weight.copy_(torch.from_numpy(net.layers[name].params["W"].copy()))
            getattr(model, name).bias.copy_(torch.from_numpy(net.layers[name].params["b"].copy()))
    return torch, model
