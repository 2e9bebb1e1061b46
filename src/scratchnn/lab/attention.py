"""Attention: a tiny transformer learns to sort digits, and its attention map shows where each
output digit looks.

The model reads a row of distinct digits, a separator ``=``, then writes the digits in ascending
order, one at a time, like a language model continuing a text:

    8 4 0 3 6 = 0 3 4 6 8         input (5 digits), "=", output (the same digits, sorted)

At each output step it predicts the next token from everything before it (a causal mask hides
the future). It has a single transformer block with a single attention head: the only way an
output position can read the input is through its attention weights

    a_j = softmax_j( q . k_j / sqrt(d) )        q: the query of the output position
                                                k_j: the key of position j (<= the output's)

so the attention map is a direct picture of where each output looks. What should it look at?
After writing 3, the next output is the smallest input digit larger than 3. So the query of
"I just wrote 3" has to find that digit among the keys of all the inputs: the claim checked on
the maps is that, among the input positions, the one with the largest attention weight holds
exactly the digit being written (the chance level is 1 / length). A few outputs look hardest
somewhere else and are still written right: attention hands on a weighted mix of all the values,
and the feed-forward step reads the answer from the mix. The second example map shows a row with
such an output.

Two choices make the lesson clean. The digits of a row are all different (rows with a repeat are
left out): with repeats the next digit also depends on how many copies are already written,
which one head cannot see in one look, and its attention spreads out. And the model has no
position embedding: sorting only depends on the values, so each key says *which digit* it holds
and nothing else (with a learned position embedding the model learns the task as well, but part
of every attention score then depends on where the digits are, and the maps are blurrier).

The test set holds rows that never appear in the training set; the model writes them with greedy
decoding (``generation.generate`` with temperature 0, each output fed back as the next input).
"""
import numpy as np

from .. import plot
from ..datasets import sequences
from ..generation import generate

from ._core import experiment
from ._language import CausalTransformer, compile_language_model

SEPARATOR = "="


def distinct_rows(count, length, rng):
    """``count`` rows of ``length`` distinct digits and the same rows sorted, from
    ``sequences.sort_digits`` (rows with a repeated digit are dropped)."""
    xs, ys, have = [], [], 0
    share = np.prod([(10 - i) / 10 for i in range(length)])       # P(no repeat in a row)
    while have < count:
        task = sequences.sort_digits(int((count - have) / share * 1.2) + 50, length=length, random_state=rng)
        keep = (np.diff(task.y, axis=1) > 0).all(axis=1)           # sorted and strictly rising
        xs.append(task.x[keep])
        ys.append(task.y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:count], np.concatenate(ys)[:count]


def sorting_data(n_train, n_test, length, rng):
    """Training and test rows (x digits, y sorted), no test row in the training set."""
    x_train, y_train = distinct_rows(n_train, length, rng)
    seen = {row.tobytes() for row in x_train}
    x_test, y_test = distinct_rows(2 * n_test, length, rng)
    fresh = np.array([row.tobytes() not in seen for row in x_test])
    return (x_train, y_train), (x_test[fresh][:n_test], y_test[fresh][:n_test])


def model_inputs(x, y, separator):
    """What the model reads during training: the digits, the separator, and all outputs but the
    last (it never reads the last digit: nothing comes after it)."""
    return np.concatenate([x, np.full((len(x), 1), separator), y[:, :-1]], axis=1)


def where_outputs_look(scores, x, y):
    """The attention of the output positions over the input positions, and what it lands on.

    ``scores``: (n, 2L, 2L) attention weights of the sequences digits-separator-outputs; the
    query at position L + k writes output k. Returns a dict: ``on_inputs`` (n, L, L) the weights
    of output k on input position j; ``hit`` (n, L): whether the input position with the largest
    weight holds the digit written; the mean weight on the input holding that digit (``own``),
    on smaller digits, already written (``written``), on larger ones, still to come (``later``),
    and outside the input (the separator and the outputs: ``outside``); ``by_rank`` (L, L): the
    mean weight of output k on the input digit of rank r (1 = smallest)."""
    length = x.shape[1]
    on_inputs = scores[:, length:2 * length, :length]                   # (n, L outputs, L inputs)
    looked_at = np.take_along_axis(x, on_inputs.argmax(axis=2), axis=1)
    digits, written = x[:, None, :], y[:, :, None]
    order = np.argsort(x, axis=1)                                       # input positions by rank
    by_rank = np.take_along_axis(on_inputs, np.broadcast_to(order[:, None, :], on_inputs.shape), axis=2)
    return {"on_inputs": on_inputs, "hit": looked_at == y,
            "own": float((on_inputs * (digits == written)).sum(axis=2).mean()),
            "written": float((on_inputs * (digits < written)).sum(axis=2).mean()),
            "later": float((on_inputs * (digits > written)).sum(axis=2).mean()),
            "outside": float(1.0 - on_inputs.sum(axis=2).mean()),
            "by_rank": by_rank.mean(axis=0)}


@experiment("attention", "Attention: where each output looks",
            "a one-head transformer learns to sort digits; its attention map shows each output digit "
            "looking at the input digit it writes", order=14)
def attention(lab):
    length = lab.pick(6, 5)
    n_train, n_test, epochs = lab.pick(8000, 4000), lab.pick(1000, 500), lab.pick(15, 10)
    separator = 10                                        # token id after the ten digits
    vocabulary = sequences.DIGITS + (SEPARATOR,)
    (x_train, y_train), (x_test, y_test) = sorting_data(n_train, n_test, length, lab.rng)

    model = CausalTransformer(len(vocabulary), 2 * length, dim=32, num_heads=1, num_layers=1, positions=False,
                              answer_start=length)
    compile_language_model(model, 3e-3)
    model.ensure_built((2 * length,))
    lab.say(f"sorting {length} distinct digits: {len(x_train)} training rows, {len(x_test)} test rows (none "
            f"seen in training); one transformer block, one head of size 32, no position embedding, "
            f"{model.count_params()} weights; Adam(lr=0.003), batch 64, "
            f"{epochs} epochs")
    history = model.fit(model_inputs(x_train, y_train, separator), y_train, batch_size=64, epochs=epochs,
                        verbose=0)
    lab.number("final_train_loss", float(history.history["loss"][-1]))

    # The test rows, written by the model itself: greedy decoding, one digit at a time.
    prompts = np.concatenate([x_test, np.full((len(x_test), 1), separator)], axis=1)
    sequence = generate(model.logits, prompts, max_new_tokens=length, temperature=0)
    written = sequence[:, length + 1:]
    exact = lab.number("test_exact_accuracy", float((written == y_test).all(axis=1).mean()))
    lab.number("test_token_accuracy", float((written == y_test).mean()))
    lab.number("length", length)
    lab.number("n_test", len(x_test))
    lab.say(f"test rows sorted exactly right: {exact:.1%} ({int((written == y_test).all(axis=1).sum())} of "
            f"{len(x_test)}), final training loss {history.history['loss'][-1]:.2g}")

    # Where each output looks, on the sequences the model wrote.
    scores = model.attention_scores(sequence[:, :2 * length])[0][:, 0]         # one block, one head
    look = where_outputs_look(scores, x_test, written)
    hit = lab.number("argmax_on_output_digit", float(look["hit"].mean()))
    by_output = lab.number("argmax_on_output_digit_by_position", look["hit"].mean(axis=0))
    chance = lab.number("chance", 1.0 / length)
    for key in ("own", "written", "later", "outside"):
        lab.number(f"weight_{key}", look[key])
    diagonal = lab.number("rank_map_diagonal", np.diag(look["by_rank"]))
    lab.number("rank_map_off_diagonal_max", float((look["by_rank"] - np.diag(diagonal)).max()))
    lab.say("")
    lab.say(f"where each output looks: the input position with the largest attention weight holds the digit "
            f"being written in {hit:.1%} of the {look['hit'].size} outputs (chance {chance:.0%}); by output "
            f"position: " + ", ".join(f"{v:.0%}" for v in by_output))
    lab.say(f"mean attention weight of an output on the input holding its digit {look['own']:.2f}, on the "
            f"smaller input digits (already written) {look['written']:.2f}, on the larger ones (still to "
            f"come) {look['later']:.2f}, outside the input (the separator and the outputs) "
            f"{look['outside']:.2f}")
    lab.say("averaged over the test rows, output k looks at the input digit of rank k: weight "
            + ", ".join(f"{v:.2f}" for v in diagonal) + " on the diagonal of the rank map, at most "
            f"{lab.numbers['rank_map_off_diagonal_max']:.2f} elsewhere")

    # Two rows to look at: the first where every output looks hardest at its digit, and the first
    # where one does not (the model still writes it right: it reads a mix of all the values).
    hits = look["hit"].sum(axis=1)
    clean, missed = np.flatnonzero(hits == length), np.flatnonzero(hits < length)
    shown = [int(clean[0])] + [int(r) for r in (missed[:1] if len(missed) else clean[1:2])]
    for i, row in enumerate(shown, start=1):
        tokens = [vocabulary[t] for t in sequence[row, :2 * length]]
        lab.figure(f"attention_example_{i}", _example_map(scores[row], tokens, written[row], length,
                                                          int(hits[row])))
    lab.number("examples", ["".join(vocabulary[t] for t in sequence[row]) for row in shown])
    lab.number("example_hits", [int(hits[row]) for row in shown])
    lab.say(f"rows where every output looks hardest at its own digit: {len(clean)} of {len(x_test)}")
    lab.figure("attention_by_rank", _rank_map(look["by_rank"], len(x_test)))


def _example_map(scores, tokens, written, length, hits):
    """The attention of the output positions of one sequence over every position: rows are the
    outputs (``'3→4'``: reads 3, writes 4), columns the tokens read; the future (masked) is white.
    ``hits``: how many outputs look hardest (among the inputs) at the digit they write."""
    rows = scores[length:2 * length].copy()
    future = np.arange(2 * length)[None, :] > np.arange(length, 2 * length)[:, None]
    rows[future] = np.nan
    read = [tokens[length + k] for k in range(length)]               # '=' then the outputs so far
    labels = [f"{r}→{w}" for r, w in zip(read, written)]
    digits, result = "".join(tokens[:length]), "".join(str(d) for d in written)
    title = (f"Sorting {digits} → {result}: where each output digit looks\n"
             f"({hits} of {length} outputs look hardest at the input digit they write)")
    fig = plot.attention_maps(rows, labels, tokens, layer_names=["block 1"], title=title)
    ax = fig.axes[0]
    ax.set_xlabel("token read (input digits, '=', outputs so far); white = not yet written (masked)")
    ax.set_ylabel("output (reads → writes)")
    return fig


def _rank_map(by_rank, n):
    """The mean attention of output k on the input digit of rank r, over the test rows."""
    length = by_rank.shape[0]
    ranks = [str(r + 1) for r in range(length)]
    fig = plot.attention_maps(by_rank, ranks, ranks, layer_names=["block 1"],
                              title=f"Output k looks at the k-th smallest input digit\n"
                                    f"(mean attention over {n} test rows)")
    ax = fig.axes[0]
    ax.set_xlabel("input digit, by rank (1 = smallest)")
    ax.set_ylabel("output position")
    return fig
