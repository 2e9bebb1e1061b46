"""Temperature: how a language model's text goes from repetitive to random.

A language model gives logits z (one per character) for the next character. Sampling draws the
next character from

    p_i = softmax(z / T)_i = exp(z_i / T) / sum_j exp(z_j / T)

* T = 1: the model's own probabilities;
* T < 1 sharpens them (the likely characters get likelier), and as T -> 0 all the probability
  goes to the largest logit: sampling becomes *greedy* decoding (always the most likely
  character; the same prompt always gives the same text, which often loops);
* T > 1 flattens them towards the uniform distribution (rare characters come up, then noise).

The spread of a distribution is its entropy ``H(p) = -sum_i p_i log p_i`` (nats): 0 when one
character is certain, ``log 65 = 4.17`` for a uniform guess over 65 characters.

A small transformer is trained on tiny Shakespeare, then writes texts after the same prompt at
T = 0 (greedy), 0.5, 0.8, 1.0 and 1.5. The claims, measured on those texts:

* the entropy rises with T, both the mean entropy of the distributions the characters were
  drawn from and the entropy of the characters of the text itself (how varied they are);
* T -> 0 is greedy: sampling at T = 1e-4 gives exactly the greedy text, character for
  character. The random draw is ``argmax(z / T + g)`` with independent Gumbel noise g; it picks
  another character than the largest logit only if two noises differ by more than gap / T (gap:
  the distance between the two largest logits). The difference of two Gumbel draws follows the
  logistic distribution, ``P(g_j - g_i > x) = 1 / (1 + e^x)``, so with the smallest gap met
  along the greedy texts the report bounds the chance that any pick could have changed.

All temperatures draw with the same seed (the same noise g), so the texts at 0.8 and 1.0 often
begin alike and part where the temperature changes a pick.
"""
import numpy as np

from .. import plot
from ..generation import generate, softmax
from ..plot.figure import new_figure
from ..utils import set_random_seed

from ._core import experiment
from ._language import CausalTransformer, compile_language_model, cross_entropy
from .transformer import text_data

TEMPERATURES = (0.0, 0.5, 0.8, 1.0, 1.5)
NEAR_ZERO = 1e-4
PROMPT = "ROMEO:\nI will "


def entropy(p):
    """Entropy in nats of each distribution along the last axis (0 log 0 counts as 0)."""
    p = np.asarray(p, dtype=np.float64)
    safe = np.where(p > 0, p, 1.0)
    return -(p * np.log(safe)).sum(axis=-1)


def character_entropy(ids, vocabulary_size):
    """Entropy (nats) of the frequencies of the characters in ``ids``."""
    counts = np.bincount(np.ravel(ids), minlength=vocabulary_size)
    return float(entropy(counts / counts.sum()))


def recording(model, store):
    """``model.logits`` that also keeps the logits of the last position at every call (the
    next-character logits of each step of ``generate``)."""
    def next_logits(ids):
        logits = model.logits(ids)
        store.append(logits[:, -1].astype(np.float64))
        return logits
    return next_logits


@experiment("temperature", "Temperature: from repetitive to random text",
            "a small transformer writes after the same prompt at T = 0 (greedy) to 1.5: the entropy rises "
            "with T, and T -> 0 is greedy decoding", order=16)
def temperature(lab):
    block, steps, batch_size = 32, lab.pick(1000, 300), 32
    tokenizer, (x, y), (x_val, y_val) = text_data(lab, block, steps, batch_size)
    vocab = tokenizer.vocabulary_size
    set_random_seed(lab.seed)
    model = compile_language_model(CausalTransformer(vocab, block, dim=64, num_heads=4, num_layers=1), 5e-3)
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    val_loss = lab.number("val_loss", cross_entropy(model, x_val, y_val))
    lab.say(f"a one-block transformer trained for {steps} steps of {batch_size} windows of {block} "
            f"characters of tiny Shakespeare (validation loss {val_loss:.2f} nats per character); "
            f"it writes {lab.pick(8, 4)} texts of {lab.pick(300, 120)} characters after {PROMPT!r} at each "
            f"temperature")

    n_texts, length = lab.pick(8, 4), lab.pick(300, 120)
    prompt = np.tile(tokenizer.encode(PROMPT), (n_texts, 1))
    start = prompt.shape[1]
    texts, drawn_from, text_entropy = {}, {}, {}
    greedy_logits = []
    for t in TEMPERATURES:
        store = greedy_logits if t == 0 else []
        ids = generate(recording(model, store), prompt, length, temperature=t, seed=lab.seed,
                       block_size=block)
        texts[t] = ids
        steps_logits = np.stack(store, axis=1)                      # (texts, steps, vocab)
        drawn_from[t] = float(entropy(softmax(steps_logits, t)).mean())
        text_entropy[t] = character_entropy(ids[:, start:], vocab)
    near_zero = generate(model.logits, prompt, length, temperature=NEAR_ZERO, seed=lab.seed, block_size=block)

    keys = [f"{t:g}" for t in TEMPERATURES]
    lab.number("temperatures", list(TEMPERATURES))
    lab.number("sampling_entropy", dict(zip(keys, drawn_from.values())))
    lab.number("text_entropy", dict(zip(keys, text_entropy.values())))
    reference = lab.number("shakespeare_entropy", character_entropy(y_val, vocab))
    rising = lab.number("entropy_rises", bool(np.all(np.diff(list(drawn_from.values())) > 0)
                                            and np.all(np.diff(list(text_entropy.values())) > 0)))
    same = lab.number("near_zero_equals_greedy", bool(np.array_equal(near_zero, texts[0.0])))
    top2 = np.sort(np.concatenate(greedy_logits), axis=1)[:, -2:]
    gap = lab.number("smallest_top2_gap", float((top2[:, 1] - top2[:, 0]).min()))
    # P(some pick changes) <= picks * (vocab - 1) / (1 + e^(gap / T)), as a power of ten.
    bound = float(np.log10(len(top2) * (vocab - 1)) - np.logaddexp(0.0, gap / NEAR_ZERO) / np.log(10))
    lab.number("flip_probability_bound_log10", bound)
    lab.number("uniform_entropy", float(np.log(vocab)))
    lab.number("near_zero", NEAR_ZERO)

    lab.say("")
    lab.say(f"{'T':>5} {'entropy of the next-character distribution':>44} {'entropy of the text':>20}")
    for t in TEMPERATURES:
        lab.say(f"{t:>5g} {drawn_from[t]:>44.3f} {text_entropy[t]:>20.3f}")
    lab.say(f"(nats; Shakespeare's own characters {reference:.3f}, a uniform guess {np.log(vocab):.3f}); "
            f"both entropies rise with T: {rising}")
    closest = min(TEMPERATURES, key=lambda t: abs(text_entropy[t] - reference))
    lab.number("closest_to_shakespeare", closest)
    lab.say(f"the characters closest in variety to Shakespeare's come at T = {closest:g} "
            f"({text_entropy[closest]:.3f} vs {reference:.3f} nats); lower temperatures repeat, higher ones "
            f"add noise")
    lab.say(f"T = {NEAR_ZERO:g} gives exactly the greedy texts: {same}. The two largest logits were at "
            f"least {gap:.3g} apart at every greedy step, so a pick could change only if two Gumbel noises "
            f"differed by more than {gap / NEAR_ZERO:.0f}: probability below 1e{int(np.floor(bound)) + 1} "
            f"over all {len(top2)} picks")
    lab.say("")
    for t in TEMPERATURES:
        lab.say(f"--- T = {t:g}{' (greedy)' if t == 0 else ''}:")
        lab.say(tokenizer.decode(texts[t][0]))
        lab.say("")
    lab.number("samples", {f"{t:g}": tokenizer.decode(texts[t][0]) for t in TEMPERATURES})

    context = tokenizer.encode(PROMPT)[None]
    logits = model.logits(context)[0, -1]
    lab.figure("probabilities", plot.temperature_probabilities(
        logits, list(TEMPERATURES), tokens=tokenizer.vocabulary_, top=20,
        title=f"The next character after {PROMPT!r} at five temperatures"))
    lab.figure("entropy", _entropy_figure(drawn_from, text_entropy, reference, float(np.log(vocab))))


def _entropy_figure(drawn_from, text_entropy, reference, uniform):
    """Both entropies against T, with Shakespeare's character entropy and the uniform guess."""
    fig = new_figure(7.5, 4.6)
    fig.suptitle("Temperature: the entropy of the samples rises with T", fontweight="bold")
    ax = fig.add_subplot()
    t = list(drawn_from)
    ax.plot(t, list(drawn_from.values()), "o-", color="#9467bd",
            label="next-character distribution the samples were drawn from (mean)")
    ax.plot(t, list(text_entropy.values()), "s-", color="#2ca02c", label="characters of the sampled texts")
    ax.axhline(reference, color="#2ca02c", linestyle="--", linewidth=1,
               label=f"characters of Shakespeare's text ({reference:.2f})")
    ax.axhline(uniform, color="black", linestyle=":", linewidth=1,
               label=f"uniform guess, log 65 ({uniform:.2f})")
    ax.set_xticks(t, [f"{v:g}" + ("\n(greedy)" if v == 0 else "") for v in t])
    ax.set(title="T = 0 is greedy decoding: every draw is certain (entropy 0)", xlabel="temperature T",
           ylabel="entropy (nats)")
    ax.set_ylim(0, uniform + 0.3)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return fig
