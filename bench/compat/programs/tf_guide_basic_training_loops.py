"""Corpus program: TensorFlow guide "Basic training loops".

Source: https://www.tensorflow.org/guide/basic_training_loops
        (tensorflow/docs, site/en/guide/basic_training_loops.ipynb)
What it exercises: tf.linspace, tf.cast, tf.random.normal, a tf.Module holding two
tf.Variables (model.variables), a loss with tf.reduce_mean/tf.square, a GradientTape step with
assign_sub, the same model as a keras.Model subclass with Variables as attributes (tracked as
its weights), save_weights to a .weights.h5 file, compile(run_eagerly=False,
SGD, MeanSquaredError) and fit on the whole set as one batch.
Written for this corpus in scratchnn's own words, following the guide's API calls and
settings one for one.
Adaptations: the plots are left out; the loss is tf.keras.losses.MeanSquaredError() (the guide's
tf.keras.losses.mean_squared_error is gone from TensorFlow 2.21's Keras). The compared number is
the fitted slope.
"""
# compat-metric: slope = keras_model.w
import tensorflow as tf

TRUE_W = 3.0
TRUE_B = 2.0
NUM_EXAMPLES = 201
x = tf.linspace(-2, 2, NUM_EXAMPLES)
x = tf.cast(x, tf.float32)


def f(x):
    return x * TRUE_W + TRUE_B


noise = tf.random.normal(shape=[NUM_EXAMPLES])
y = f(x) + noise


class MyModel(tf.Module):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable(5.0)
        self.b = tf.Variable(0.0)

    def __call__(self, x):
        return self.w * x + self.b


model = MyModel()
print("Variables:", model.variables)
assert model(3.0).numpy() == 15.0


def loss(target_y, predicted_y):
    return tf.reduce_mean(tf.square(target_y - predicted_y))


print("Current loss: %1.6f" % loss(y, model(x)).numpy())


def train(model, x, y, learning_rate):
    with tf.GradientTape() as t:
        current_loss = loss(y, model(x))
    dw, db = t.gradient(current_loss, [model.w, model.b])
    model.w.assign_sub(learning_rate * dw)
    model.b.assign_sub(learning_rate * db)


weights, biases = [], []
epochs = range(10)


def report(model, loss):
    return f"W = {model.w.numpy():1.2f}, b = {model.b.numpy():1.2f}, loss={loss:2.5f}"


def training_loop(model, x, y):
    for epoch in epochs:
        train(model, x, y, learning_rate=0.1)
        weights.append(model.w.numpy())
        biases.append(model.b.numpy())
        current_loss = loss(y, model(x))
        print(f"Epoch {epoch:2d}:")
        print("    ", report(model, current_loss))


training_loop(model, x, y)


class MyModelKeras(tf.keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable(5.0)
        self.b = tf.Variable(0.0)

    def call(self, x):
        return self.w * x + self.b


keras_model = MyModelKeras()
training_loop(keras_model, x, y)
keras_model.save_weights("my_checkpoint.weights.h5")

keras_model = MyModelKeras()
keras_model.compile(run_eagerly=False, optimizer=tf.keras.optimizers.SGD(learning_rate=0.1),
                    loss=tf.keras.losses.MeanSquaredError())  # ADAPTED: see the header
print(x.shape[0])
keras_model.fit(x, y, epochs=10, batch_size=1000)
