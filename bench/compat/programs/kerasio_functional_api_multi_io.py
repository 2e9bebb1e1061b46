"""Corpus program: keras.io guide "The Functional API", the model with several inputs and
outputs (ranking and routing customer tickets).

Source: https://keras.io/guides/functional_api/
        (keras-team/keras-io, guides/functional_api.py)
What it exercises: named keras.Input of variable length, Embedding, LSTM reducing a sequence
to a vector, layers.concatenate, two named Dense outputs, keras.Model with lists of inputs and
outputs, compile with a list of losses and loss_weights, then again with dicts keyed by output
name, fit with dicts of NumPy arrays keyed by input and output names.
Written for this corpus in scratchnn's own words, following the guide's API calls,
architecture and settings one for one. Adaptations: none (the data are random, as in the
guide).
"""
import keras
import numpy as np
from keras import layers

num_tags = 12
num_words = 10000
num_departments = 4

title_input = keras.Input(shape=(None,), name="title")
body_input = keras.Input(shape=(None,), name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")

title_features = layers.Embedding(num_words, 64)(title_input)
body_features = layers.Embedding(num_words, 64)(body_input)
title_features = layers.LSTM(128)(title_features)
body_features = layers.LSTM(32)(body_features)
x = layers.concatenate([title_features, body_features, tags_input])
priority_pred = layers.Dense(1, name="priority")(x)
department_pred = layers.Dense(num_departments, name="department")(x)

model = keras.Model(inputs=[title_input, body_input, tags_input],
                    outputs=[priority_pred, department_pred])

model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss=[keras.losses.BinaryCrossentropy(from_logits=True),
                    keras.losses.CategoricalCrossentropy(from_logits=True)],
              loss_weights=[1.0, 0.2])
model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
              loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                    "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
              loss_weights={"priority": 1.0, "department": 0.2})

title_data = np.random.randint(num_words, size=(1280, 10))
body_data = np.random.randint(num_words, size=(1280, 100))
tags_data = np.random.randint(2, size=(1280, num_tags)).astype("float32")
priority_targets = np.random.random(size=(1280, 1))
dept_targets = np.random.randint(2, size=(1280, num_departments))

model.fit({"title": title_data, "body": body_data, "tags": tags_data},
          {"priority": priority_targets, "department": dept_targets},
          epochs=2, batch_size=32)
