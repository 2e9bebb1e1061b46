"""Corpus program: TensorFlow tutorial "Custom layers".

Source: https://www.tensorflow.org/tutorials/customization/custom_layers
        (tensorflow/docs, site/en/tutorials/customization/custom_layers.ipynb)
What it exercises: Dense with input_shape=(None, 5), layer.variables, layer.kernel and
layer.bias, a layer whose build calls add_weight(name="kernel", shape=[...]), trainable_variables
names, a keras.Model subclass with name='' made
of Conv2D and BatchNormalization sublayers whose call takes training=False, tf.nn.relu,
`x += input_tensor`, block.layers, len(block.variables), summary, a Sequential of the same
layers with input_shape=(None, None, 3).
Written for this corpus in scratchnn's own words, following the tutorial's API calls and
settings one for one. Adaptations: add_weight's name is passed by keyword (the tutorial passes it
first, which TensorFlow 2.16+ with Keras 3 refuses). The compared number is the block's variable
count.
"""
# compat-metric: variables = len(block.variables)
import tensorflow as tf

layer = tf.keras.layers.Dense(100)
layer = tf.keras.layers.Dense(10, input_shape=(None, 5))
layer(tf.zeros([10, 5]))
print(layer.variables)
print(layer.kernel, layer.bias)


class MyDenseLayer(tf.keras.layers.Layer):
    def __init__(self, num_outputs):
        super(MyDenseLayer, self).__init__()
        self.num_outputs = num_outputs

    def build(self, input_shape):
        # ADAPTED: name= by keyword; the tutorial's add_weight("kernel", shape=...) is refused by Keras 3
        self.kernel = self.add_weight(name="kernel", shape=[int(input_shape[-1]), self.num_outputs])

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel)


layer = MyDenseLayer(10)
_ = layer(tf.zeros([10, 5]))
print([var.name for var in layer.trainable_variables])


class ResnetIdentityBlock(tf.keras.Model):
    def __init__(self, kernel_size, filters):
        super(ResnetIdentityBlock, self).__init__(name="")
        filters1, filters2, filters3 = filters
        self.conv2a = tf.keras.layers.Conv2D(filters1, (1, 1))
        self.bn2a = tf.keras.layers.BatchNormalization()
        self.conv2b = tf.keras.layers.Conv2D(filters2, kernel_size, padding="same")
        self.bn2b = tf.keras.layers.BatchNormalization()
        self.conv2c = tf.keras.layers.Conv2D(filters3, (1, 1))
        self.bn2c = tf.keras.layers.BatchNormalization()

    def call(self, input_tensor, training=False):
        x = self.conv2a(input_tensor)
        x = self.bn2a(x, training=training)
        x = tf.nn.relu(x)
        x = self.conv2b(x)
        x = self.bn2b(x, training=training)
        x = tf.nn.relu(x)
        x = self.conv2c(x)
        x = self.bn2c(x, training=training)
        x += input_tensor
        return tf.nn.relu(x)


block = ResnetIdentityBlock(1, [1, 2, 3])
_ = block(tf.zeros([1, 2, 3, 3]))
print(block.layers)
print(len(block.variables))
block.summary()

my_seq = tf.keras.Sequential([
    tf.keras.layers.Conv2D(1, (1, 1), input_shape=(None, None, 3)),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Conv2D(2, 1, padding="same"),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Conv2D(3, (1, 1)),
    tf.keras.layers.BatchNormalization(),
])
my_seq(tf.zeros([1, 2, 3, 3]))
my_seq.summary()
