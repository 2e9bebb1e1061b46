"""From bigram to transformer: a ladder of character-level language models on tiny Shakespeare.

A language model gives, at every position of a text, the probabilities of the next character.
It is scored by the validation cross-entropy, the mean of ``-log p(next character)`` over a text it
never trained on (nats per character; ``log 65 = 4.17`` is a uniform guess over the 65 characters,
and ``exp`` of the loss is the perplexity: how many characters it still hesitates between).

Three rungs, each reading more of the past than the one before:

* **bigram**: the next character depends on the current one only. The model is a table of
  65 x 65 logits, ``Embedding(65, 65)``: row c holds the scores of every character after c;
* **MLP over the last 8 characters** (Bengio et al., 2003): the embeddings of the last 8
  characters, concatenated, go through a hidden layer (tanh) and then to the 65 logits,

      h_t = tanh( W [e(c_{t-7}); ...; e(c_t)] + b ),    logits_t = U h_t + d

  The same MLP is applied at every position, which is exactly a causal ``Conv1D`` with a kernel
  of 8 steps over the embeddings (the first positions see zeros in place of the characters
  before the text);
* **transformer**: token and position embeddings, causal self-attention blocks (each position
  attends to every earlier position of its window, with weights it computes from the content),
  a feed-forward step per position: it can use the whole window (64 characters here).

All three train on the same windows of the training text, in the same order, for the same
number of steps with the same batch size, with Adam at a learning rate that suits each (the
shallow bigram table and MLP learn fastest with large steps; the deeper transformer needs
smaller ones). The claim: the validation loss falls down the ladder, bigram > MLP >
transformer; the more of the past a model can use, the better it predicts the next character.
Each model then writes a short text (temperature 0.8), shown in the report.
"""
import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import layers
from ..datasets import tiny_shakespeare
from ..generation import generate
from ..models import Sequential
from ..plot.figure import new_figure
from ..preprocessing import CharTokenizer
from ..utils import set_random_seed

from ._core import experiment
from ._language import CausalTransformer, compile_language_model, cross_entropy, validation_curve, windows

COLORS = {"bigram": "#7f7f7f", "MLP": "#2ca02c", "transformer": "#9467bd"}
CONTEXT = 8                     # characters the MLP reads


def bigram(vocabulary_size, block):
    """Logits of the next character = the row of the current character in a (V, V) table."""
    return Sequential([layers.Input((None,)), layers.Embedding(vocabulary_size, vocabulary_size)])


def mlp(vocabulary_size, block, context=CONTEXT, embedding=16, hidden=128):
    """Bengio's MLP over the last ``context`` characters, at every position (a causal Conv1D)."""
    return Sequential([layers.Input((None,)), layers.Embedding(vocabulary_size, embedding),
                       layers.Conv1D(hidden, context, padding="causal", activation="tanh"),
                       layers.Dense(vocabulary_size)])


def text_data(lab, block, steps, batch_size):
    """The tokenizer, the training windows (steps * batch_size of them, each model sees them in
    this order) and the validation windows, cut from the first 90% / last 10% of the text."""
    text = tiny_shakespeare.load_data()
    tokenizer = CharTokenizer().fit(text)
    train, val = tiny_shakespeare.train_validation_split(tokenizer.encode(text))
    x, y = windows(train, block, steps * batch_size, lab.rng)
    x_val, y_val = windows(val, block, lab.pick(256, 128), lab.rng)
    return tokenizer, (x, y), (x_val, y_val)


@experiment("transformer", "From bigram to transformer: the validation loss falls down the ladder",
            "a bigram table, an MLP over 8 characters and a small transformer trained the same way on "
            "tiny Shakespeare", order=15)
def transformer(lab):
    block, steps, batch_size = lab.pick(64, 32), lab.pick(1500, 400), 32
    tokenizer, (x, y), (x_val, y_val) = text_data(lab, block, steps, batch_size)
    vocab = tokenizer.vocabulary_size
    num_layers = lab.pick(2, 1)
    rungs = {"bigram": (lambda: bigram(vocab, block), 3e-2),
             "MLP": (lambda: mlp(vocab, block), 1e-2),
             "transformer": (lambda: CausalTransformer(vocab, block, dim=64, num_heads=4,
                                                       num_layers=num_layers), 5e-3)}
    lab.say(f"tiny Shakespeare, {vocab} characters; every model trains for {steps} steps of {batch_size} "
            f"windows of {block} characters (the same windows in the same order) and is validated on "
            f"{len(x_val)} windows of the last 10% of the text ({y_val.size} characters to predict)")
    lab.say(f"uniform guess: log {vocab} = {np.log(vocab):.2f} nats per character")
    lab.say("")

    every = max(1, steps // 25)
    curves, final, sizes, samples = {}, {}, {}, {}
    prompt = tokenizer.encode("ROMEO:\n")
    for name, (build, learning_rate) in rungs.items():
        set_random_seed(lab.seed)
        model = compile_language_model(build(), learning_rate)
        model.ensure_built((block,))
        curve = [(0, cross_entropy(model, x_val, y_val))]                # before any step
        model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0,
                  callbacks=[validation_curve(model, x_val, y_val, every, steps, curve)])
        curves[name] = curve
        final[name] = curve[-1][1]
        sizes[name] = model.count_params()
        text = generate(model, prompt, lab.pick(300, 120), temperature=0.8,
                        seed=lab.seed, block_size=block)
        samples[name] = tokenizer.decode(text)
        lab.say(f"{name:<12} {sizes[name]:>7} weights, Adam(lr={learning_rate:g}): validation loss "
                f"{final[name]:.3f} nats per character (perplexity {np.exp(final[name]):.1f})")

    lab.number("val_loss", final)
    lab.number("weights", sizes)
    lab.number("val_curves", {name: [[s, v] for s, v in curve] for name, curve in curves.items()})
    lab.number("steps", steps)
    lab.number("block", block)
    lab.number("uniform_loss", float(np.log(vocab)))
    order = sorted(final, key=final.get, reverse=True)
    lab.number("ladder_holds", order == list(rungs))
    gains = lab.number("gains", {"bigram -> MLP": final["bigram"] - final["MLP"],
                                 "MLP -> transformer": final["MLP"] - final["transformer"]})
    mlp_curve, transformer_curve = (np.array(curves[name])[:, 1] for name in ("MLP", "transformer"))
    behind = np.flatnonzero(transformer_curve >= mlp_curve)
    if len(behind) and behind[-1] + 1 < len(transformer_curve):
        level, overtakes = (int(curves["MLP"][i][0]) for i in (behind[-1], behind[-1] + 1))
        lab.number("transformer_below_mlp_from_step", overtakes)
        lab.say(f"the curves cross: the MLP is ahead (or level) until step {level}, the transformer is below "
                f"it from step {overtakes} on")
    lab.say("")
    lab.say("down the ladder: " + "; ".join(f"{step} {gain:.3f} nats lower" for step, gain in gains.items()))
    lab.say("")
    for name, text in samples.items():
        lab.say(f"--- {name} writes (temperature 0.8, after 'ROMEO:'):")
        lab.say(text)
        lab.say("")
    lab.number("samples", samples)
    lab.figure("validation_loss", _curves(curves, final, sizes, float(np.log(vocab)), block, batch_size))


def _curves(curves, final, sizes, uniform, block, batch_size):
    """Validation loss against training steps, one line per rung, with the uniform guess; the
    right panel zooms on the second half of training, where the rungs settle."""
    fig = new_figure(12.0, 4.8)
    fig.suptitle("The ladder of language models: validation loss on tiny Shakespeare", fontweight="bold")
    ax, zoom = fig.subplots(1, 2, width_ratios=[1.4, 1])
    last = max(curve[-1][0] for curve in curves.values())
    for name, curve in curves.items():
        steps, values = np.array(curve).T
        label = f"{name} ({sizes[name]:,} weights): {final[name]:.3f}"
        ax.plot(steps, values, color=COLORS[name], linewidth=2, label=label)
        late = steps >= last / 2
        zoom.plot(steps[late], values[late], "o-", color=COLORS[name], linewidth=2, markersize=3, label=label)
    ax.axhline(uniform, color="black", linestyle=":", label=f"uniform guess log 65 = {uniform:.2f}")
    ax.set(title=f"same windows, same steps (batch {batch_size} x {block} characters)",
           xlabel="training step", ylabel="validation cross-entropy (nats per character)")
    high = max(max(v for _, v in curve) for curve in curves.values())
    low = min(min(v for _, v in curve) for curve in curves.values())
    ax.set_ylim(0.95 * low, max(high, uniform) + 0.1)
    ax.legend(loc="center right", fontsize="small", title="model: final validation loss",
              title_fontsize="small")
    zoom.set(title="second half of training, zoomed", xlabel="training step",
             ylabel="validation cross-entropy (nats per character)")
    for axis in (ax, zoom):
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
    return fig
