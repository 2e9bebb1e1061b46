"""Corpus program: convolutions on Fashion-MNIST and a look at the activations, from
DeepLearning.AI's course "Introduction to TensorFlow for Artificial Intelligence"
(course 1, week 3).

Source: https://github.com/https-deeplearning-ai/tensorflow-1-public
        (C1/W3/ungraded_labs/C1_W3_Lab_1_improving_accuracy_using_convolutions.ipynb;
        first published in lmoroney/dlaicourse)
What it exercises: images reshaped to (N, 28, 28, 1), tf.keras.Input then Conv2D(64, (3,3)),
MaxPooling2D(2, 2), summary, fit/evaluate, then the model of the activations:
tf.keras.models.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
on a trained Sequential, and predict on one image.
Written for this corpus in scratchnn's own words, following the lab's API calls,
architecture and settings one for one.
Follows the lab's current version: the model starts with tf.keras.Input and the activations model
takes model.inputs (the first version's Conv2D(..., input_shape=...) and model.input fail on
Keras 3).
Adaptations: 2 epochs instead of 5 (time); the activation maps are summed instead of drawn.
"""
import tensorflow as tf

mnist = tf.keras.datasets.fashion_mnist
(training_images, training_labels), (test_images, test_labels) = mnist.load_data()
training_images = training_images.reshape(60000, 28, 28, 1)
training_images = training_images / 255.0
test_images = test_images.reshape(10000, 28, 28, 1)
test_images = test_images / 255.0

model = tf.keras.models.Sequential([
    tf.keras.Input(shape=(28, 28, 1)),
    tf.keras.layers.Conv2D(64, (3, 3), activation="relu"),
    tf.keras.layers.MaxPooling2D(2, 2),
    tf.keras.layers.Conv2D(64, (3, 3), activation="relu"),
    tf.keras.layers.MaxPooling2D(2, 2),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()
model.fit(training_images, training_labels, epochs=2)  # ADAPTED: 5 in the source
test_loss = model.evaluate(test_images, test_labels)

layer_outputs = [layer.output for layer in model.layers]
activation_model = tf.keras.models.Model(inputs=model.inputs, outputs=layer_outputs)
for image in (0, 7, 26):
    maps = activation_model.predict(test_images[image].reshape(1, 28, 28, 1))
    print(image, [m.shape for m in maps], float(maps[0][0, :, :, 1].sum()))  # ADAPTED: printed, not drawn
