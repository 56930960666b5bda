"""Pure NumPy LeNet: layers, the network, preprocessing, MNIST data and training. No web here."""
