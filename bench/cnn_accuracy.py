"""Test accuracy of the reference CNN after each epoch (issue 5's reference results).

    python bench/cnn_accuracy.py [--dataset mnist|fashion_mnist] [--epochs 10] [--seed 0] [--batch-norm]

The model: Rescaling(1/255) -> Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) ->
MaxPooling2D(2) -> Flatten -> Dense(128, relu) -> Dropout(0.5) -> Dense(10, softmax), Adam(1e-3),
batch 128, on the full training set (no validation split); ``--batch-norm`` puts
BatchNormalization (then the ReLU) after each convolution. Prints the test accuracy and the
seconds of each epoch.
"""
import argparse
import sys
import time


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist", choices=["mnist", "fashion_mnist"])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-norm", action="store_true")
    args = p.parse_args(argv)

    import scratchnn as snn
    from scratchnn import layers as L
    (x, y), (x_test, y_test) = getattr(snn.datasets, args.dataset).load_data(verbose=False)
    snn.utils.set_random_seed(args.seed)

    def block(filters):
        if args.batch_norm:
            return [L.Conv2D(filters, 3), L.BatchNormalization(), L.Activation("relu"), L.MaxPooling2D(2)]
        return [L.Conv2D(filters, 3, activation="relu"), L.MaxPooling2D(2)]

    model = snn.Sequential([L.Input((28, 28)), L.Rescaling(1 / 255), L.Reshape((28, 28, 1))]
                           + block(32) + block(64)
                           + [L.Flatten(), L.Dense(128, activation="relu"), L.Dropout(0.5),
                              L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"{args.dataset}, seed {args.seed}, batch norm {args.batch_norm}")
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=128, verbose=0)
        seconds = time.perf_counter() - start
        _, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
        print(f"epoch {epoch:2d}  test accuracy {accuracy:.4f}  ({seconds:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
