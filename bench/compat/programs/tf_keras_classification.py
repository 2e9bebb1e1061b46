"""Corpus program: "Basic classification: classify images of clothing".

Source: https://www.tensorflow.org/tutorials/keras/classification
        (tensorflow/docs, site/en/tutorials/keras/classification.ipynb)
What it exercises: keras.datasets.fashion_mnist, tf.__version__, Sequential with
Flatten(input_shape=...), a logits output, compile with a loss object, fit, evaluate(verbose=2),
a probability model Sequential([model, Softmax()]), predict, np.argmax on predictions,
predicting one image after np.expand_dims.
Written for this corpus in scratchnn's own words, following the tutorial's API calls,
architecture and settings one for one. Adaptations: none.
"""
import numpy as np
import tensorflow as tf

print(tf.__version__)

fashion_mnist = tf.keras.datasets.fashion_mnist
(train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()
class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
print(train_images.shape, len(train_labels), test_images.shape)

train_images = train_images / 255.0
test_images = test_images / 255.0

model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(10),
])
model.compile(optimizer="adam",
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(train_images, train_labels, epochs=10)

test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
print("\nTest accuracy:", test_acc)

probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
predictions = probability_model.predict(test_images)
print(predictions[0], np.argmax(predictions[0]), test_labels[0])

img = np.expand_dims(test_images[1], 0)
predictions_single = probability_model.predict(img)
print(class_names[np.argmax(predictions_single[0])])
