"""Training the reference CNN on MNIST: scratchnn against PyTorch and tf.keras.

Cases (``--cases``, default both):

* ``cnn``    - Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2)
  -> Flatten -> Dense(128, relu) -> Dropout(0.5) -> Dense(10, softmax), Adam(1e-3), batch 128;
* ``cnn_bn`` - the same with BatchNormalization after each convolution (needs the layer).

The machinery (one fresh subprocess per framework and case, epoch timing, RSS figures, the
columns) is ``bench/mlp.py``'s; see its docstring. Run on a quiet machine:

    python bench/cnn.py [--epochs 5] [--cases cnn,cnn_bn] [--frameworks scratchnn,torch,tfkeras]
                        [--quick] [--tf-python PATH] [--rounds R] [--busy]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mlp  # noqa: E402  (the shared benchmark machinery)

if __name__ == "__main__":
    if "--worker" in sys.argv:       # workers are started as bench/mlp.py
        mlp.main()
    else:
        mlp.main(description=__doc__, default_cases="cnn,cnn_bn")
