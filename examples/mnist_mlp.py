"""The lecture program: a 784-50-10 network learns MNIST, written for tf.keras.

Only the import differs from the TensorFlow version of a deep-learning course:

    import tensorflow as tf                     # the course
    import scratchnn.compat.tensorflow as tf    # here

    python examples/mnist_mlp.py [--epochs 5]

MNIST is downloaded once (or taken from a mirror listed in $SCRATCHNN_DATASET_MIRRORS),
checked against its published SHA-256 and cached in ~/.cache/scratchnn.
"""
import argparse
import time

import scratchnn.compat.tensorflow as tf


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tf.random.set_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    x_train, x_test = x_train / 255.0, x_test / 255.0

    model = tf.keras.models.Sequential([
        tf.keras.layers.Flatten(input_shape=(28, 28)),
        tf.keras.layers.Dense(50, activation='relu'),
        tf.keras.layers.Dense(10, activation='softmax')])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    model.summary()

    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs)
    seconds = time.perf_counter() - start
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=2)

    print(f"\ntraining: {seconds:.1f} s for {args.epochs} epoch(s) "
          f"({seconds / max(args.epochs, 1):.2f} s per epoch)")
    print("loss per epoch:    ", " ".join(f"{v:.4f}" for v in history.history['loss']))
    print("accuracy per epoch:", " ".join(f"{v:.4f}" for v in history.history['accuracy']))
    print(f"test loss {test_loss:.4f}, test accuracy {test_accuracy:.4f}")


if __name__ == "__main__":
    main()
