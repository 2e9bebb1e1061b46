"""Corpus program: TensorFlow tutorial "Save and load models".

Source: https://www.tensorflow.org/tutorials/keras/save_and_load
        (tensorflow/docs, site/en/tutorials/keras/save_and_load.ipynb)
What it exercises: the first 1000 MNIST images, Dense(512, input_shape=(784,)), Dropout,
SparseCategoricalAccuracy; ModelCheckpoint(save_weights_only=True) to a .weights.h5 file,
load_weights into a fresh model; checkpoints named with "{epoch:04d}" and
save_freq=5*n_batches; save_weights/load_weights by hand; model.save to .keras and
tf.keras.models.load_model; the legacy HDF5 format (model.save('my_model.h5')).
Written for this corpus in scratchnn's own words, following the tutorial's API calls,
architecture and settings one for one.
Adaptations: 10 epochs instead of 50 for the checkpoint-every-5-epochs part (time); the folder of
each hand-saved checkpoint is created first (Keras 3's save_weights no longer creates it).
"""
import math
import os

import tensorflow as tf
from tensorflow import keras

(train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
train_labels = train_labels[:1000]
test_labels = test_labels[:1000]
train_images = train_images[:1000].reshape(-1, 28 * 28) / 255.0
test_images = test_images[:1000].reshape(-1, 28 * 28) / 255.0


def create_model():
    model = tf.keras.Sequential([
        keras.layers.Dense(512, activation="relu", input_shape=(784,)),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])
    return model


model = create_model()
model.summary()

checkpoint_path = "training_1/cp.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
cp_callback = tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_path, save_weights_only=True, verbose=1)
model.fit(train_images, train_labels, epochs=10, validation_data=(test_images, test_labels),
          callbacks=[cp_callback])
print(os.listdir(checkpoint_dir))

model = create_model()
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Untrained model, accuracy: {:5.2f}%".format(100 * acc))
model.load_weights(checkpoint_path)
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * acc))

checkpoint_path = "training_2/cp-{epoch:04d}.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
batch_size = 32
n_batches = math.ceil(len(train_images) / batch_size)
cp_callback = tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_path, verbose=1, save_weights_only=True,
                                                 save_freq=5 * n_batches)
model = create_model()
os.makedirs(checkpoint_dir, exist_ok=True)  # ADAPTED: Keras 3 no longer creates the folder
model.save_weights(checkpoint_path.format(epoch=0))
model.fit(train_images, train_labels, epochs=10,  # ADAPTED: 50 in the source
          batch_size=batch_size, callbacks=[cp_callback], validation_data=(test_images, test_labels), verbose=0)
print(sorted(os.listdir(checkpoint_dir)))

os.makedirs("./checkpoints", exist_ok=True)  # ADAPTED: as above
model.save_weights("./checkpoints/my_checkpoint.weights.h5")
model = create_model()
model.load_weights("./checkpoints/my_checkpoint.weights.h5")
loss, acc = model.evaluate(test_images, test_labels, verbose=2)

model = create_model()
model.fit(train_images, train_labels, epochs=5)
model.save("my_model.keras")
new_model = tf.keras.models.load_model("my_model.keras")
new_model.summary()
loss, acc = new_model.evaluate(test_images, test_labels, verbose=2)
print(new_model.predict(test_images).shape)

model = create_model()
model.fit(train_images, train_labels, epochs=5)
model.save("my_model.h5")
new_model = tf.keras.models.load_model("my_model.h5")
new_model.summary()
loss, acc = new_model.evaluate(test_images, test_labels, verbose=2)
