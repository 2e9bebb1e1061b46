"""The Attention page: for a prompt, the attention maps of every layer and head, the next-token
probabilities at a temperature with top-k / top-p, and sampling that extends the prompt.

It works on any model source (``sources.py``) whose model maps token ids (1, T) to next-token
logits (1, T, V) and holds ``MultiHeadAttention`` layers: a ``scratchnn train --model gpt`` run
folder, or a model given to the studio. The attention scores are read through public hooks only:
inside ``layer.record_attention_scores()`` each attention layer keeps its scores in
``last_attention_scores``, and a forward hook (``add_forward_hook``) collects them after each
call, in the order the layers run.

Prompts. A run folder of ``scratchnn train --model gpt`` records its vocabulary in ``run.json``
(one character per token id); a model of another source can be given one with
``set_vocabulary(studio, source, vocabulary)``. With a vocabulary the prompt is text
(``prompt=``); without one it is token ids (``ids=3,14,15``). A prompt may be at most the
model's context (``sequence_length``: its position table has that many rows) and at most
``MAX_TOKENS`` tokens long.

Routes (every argument of the query string; a bad one is a 400 that names it, with what was
expected and what was received):

* ``GET /api/attention/models``: the sources with attention layers (their layers and heads,
  context, vocabulary), and the others with the reason they are left out;
* ``GET /api/attention/maps?source=&prompt=``: the tokens and, per attention layer call, its
  scores ``[head][query][key]`` (rows sum to 1; with a causal mask, 0 above the diagonal),
  rounded to 6 decimals;
* ``GET /api/attention/next?source=&prompt=&temperature=&top_k=&top_p=&count=``: the ``count``
  (20) most likely next tokens with their probabilities under ``generation``'s sampler for these
  settings (``make_sampler(...).probabilities``: the numbers ``generate`` draws from), i.e.
  ``softmax(logits / T)`` with the tokens outside top-k / top-p at 0;
* ``GET /api/attention/sample?source=&prompt=&tokens=&temperature=&top_k=&top_p=&seed=``: the
  prompt extended by ``tokens`` tokens by ``generation.generate`` (the model reads at most its
  context), repeatable with the same ``seed``.
"""
import contextlib
import math

import numpy as np

from ..autograd import no_grad
from ..generation import generate, make_sampler
from ..generation.samplers import check_temperature, check_top_k, check_top_p
from ..layers import Embedding, MultiHeadAttention, PositionEmbedding
from .runs import run_info
from .server import StudioError

#: The longest prompt the page works on (its maps are T x T per head).
MAX_TOKENS = 256
#: The most tokens one "sample" request may add.
MAX_NEW_TOKENS = 500


def set_vocabulary(studio, source, vocabulary):
    """Let prompts for the model source ``source`` be text: ``vocabulary`` is a string (or a
    sequence of single characters) whose character i is token id i."""
    chars = list(vocabulary)
    single = all(isinstance(c, str) and len(c) == 1 for c in chars)
    if not chars or not single or len(set(chars)) != len(chars):
        raise ValueError("set_vocabulary: vocabulary must be distinct single characters (character i is "
                         f"token id i), got {vocabulary!r}")
    studio.state.setdefault("vocabularies", {})[source] = "".join(chars)


def attention_layers(model):
    """``[(path, layer)]``: every ``MultiHeadAttention`` inside ``model``, named by its path of
    layer names (``transformer_layer_0/self_attention``), in ``walk()`` order."""
    found, seen = [], set()

    def visit(layer, prefix):
        for child in layer.sublayers():
            if id(child) in seen:
                continue
            seen.add(id(child))
            path = f"{prefix}/{child.name}" if prefix else child.name
            if isinstance(child, MultiHeadAttention):
                found.append((path, child))
            visit(child, path)

    visit(model, "")
    return found


def describe(model):
    """What the page needs to know about ``model``: its attention layers and heads, its context
    length (None when unbounded) and vocabulary size (None when unknown)."""
    layers = attention_layers(model)
    context = getattr(model, "sequence_length", None)
    vocabulary_size = getattr(model, "vocabulary_size", None)
    for layer in model.walk():
        if context is None and isinstance(layer, PositionEmbedding):
            context = layer.sequence_length
        if vocabulary_size is None and isinstance(layer, Embedding):
            vocabulary_size = layer.input_dim
    return {"class": type(model).__name__, "name": model.name,
            "layers": [{"name": path, "heads": layer.num_heads} for path, layer in layers],
            "context": None if context is None else int(context),
            "vocabulary_size": None if vocabulary_size is None else int(vocabulary_size)}


def capture(model, ids, attention=True):
    """Run ``model`` on ``ids`` (T,) in inference mode; ``(logits of the next token (V,),
    [(path, scores (N, T, T))])`` with one entry per call of an attention layer (none without
    ``attention``: then nothing is recorded and the model runs as usual)."""
    records = []
    with contextlib.ExitStack() as stack:
        for path, layer in (attention_layers(model) if attention else ()):
            stack.enter_context(layer.record_attention_scores())
            stack.enter_context(layer.add_forward_hook(
                lambda lyr, inputs, outputs, _path=path: records.append((_path, lyr.last_attention_scores))))
        with no_grad():
            out = model(np.asarray(ids, dtype=np.int64)[None], training=False)
    return next_logits(model, out, len(ids)), [(path, scores[0]) for path, scores in records]


def next_logits(model, out, length):
    """The logits of the token after the prompt, from the model's output ``out``: (1, T, V)
    logits (a model ending in a softmax gives probabilities, turned back into log-probabilities)."""
    array = np.asarray(getattr(out, "data", out), dtype=np.float64)
    if array.ndim != 3 or array.shape[:2] != (1, length):
        raise StudioError(422, f"the model must map token ids (1, T) to next-token logits (1, T, V); for "
                               f"T = {length} it returned shape {tuple(array.shape)}")
    logits = array[0, -1]
    activation = getattr(model, "output_activation", None)
    if callable(activation) and activation() == "softmax":
        with np.errstate(divide="ignore"):
            logits = np.log(logits)
    return logits


class _Prompt:
    """A request's prompt, checked against the model: ``ids``, ``labels`` (what the axes show)."""

    def __init__(self, request, info, vocabulary):
        self.vocabulary = vocabulary
        if vocabulary is not None:
            self.argument = "prompt"
            text = request.arg("prompt")
            if text == "":
                raise StudioError(400, "argument 'prompt': expected at least one character, received an "
                                       "empty prompt")
            unknown = sorted(set(text) - set(vocabulary))
            if unknown:
                shown = ", ".join(repr(c) for c in unknown[:10]) + (", ..." if len(unknown) > 10 else "")
                raise StudioError(400, f"argument 'prompt': expected characters of the model's vocabulary "
                                       f"({len(vocabulary)} characters: {vocabulary!r}), received "
                                       f"{len(unknown)} unknown: {shown}")
            index = {c: i for i, c in enumerate(vocabulary)}
            self.ids = [index[c] for c in text]
        else:
            self.argument = "ids"
            self.ids = _token_ids(request.arg("ids"), info["vocabulary_size"])
        limit, why = MAX_TOKENS, "the studio's limit for one prompt"
        if info["context"] is not None and info["context"] < limit:
            limit, why = info["context"], "the model's context, its sequence_length"
        if len(self.ids) > limit:
            raise StudioError(400, f"argument {self.argument!r}: expected at most {limit} tokens ({why}), "
                                   f"received {len(self.ids)}")

    def decode(self, ids):
        if self.vocabulary is None:
            return [str(int(i)) for i in ids]
        return [self.vocabulary[int(i)] for i in ids]


def _token_ids(text, vocabulary_size):
    parts = [p for p in text.replace(",", " ").split() if p]
    expected = "token ids: integers" + (f" in 0..{vocabulary_size - 1}" if vocabulary_size else " >= 0") + \
        " separated by spaces or commas"
    try:
        ids = [int(p) for p in parts]
    except ValueError:
        raise StudioError(400, f"argument 'ids': expected {expected}, received {text[:80]!r}") from None
    bad = [i for i in ids if i < 0 or (vocabulary_size is not None and i >= vocabulary_size)]
    if not ids or bad:
        raise StudioError(400, f"argument 'ids': expected {expected}, received "
                               f"{'nothing' if not ids else 'out-of-range id(s) ' + str(bad[:10])}")
    return ids


def _optional(request, name, check, convert, expected):
    """The optional query argument ``name`` (absent or empty: None), converted and checked."""
    raw = request.query.get(name, "")
    if raw.strip() == "":
        return None
    try:
        return check(convert(raw))
    except (TypeError, ValueError):
        raise StudioError(400, f"argument {name!r}: expected {expected}, received {raw!r}") from None


def sampling_settings(request):
    """``temperature`` (default 1), ``top_k`` and ``top_p`` (default: not applied) of a request."""
    temperature = _optional(request, "temperature", check_temperature, float,
                            "a finite number >= 0 (0 = greedy)")
    return {"temperature": 1.0 if temperature is None else temperature,
            "top_k": _optional(request, "top_k", check_top_k, int, "an integer >= 1 (or empty: no top-k)"),
            "top_p": _optional(request, "top_p", check_top_p, float,
                               "a number in (0, 1] (or empty: no top-p)")}


def _bounded_int(request, name, default, low, high):
    value = _optional(request, name, int, int, f"an integer in {low}..{high}")
    if value is None:
        return default
    if not low <= value <= high:
        raise StudioError(400, f"argument {name!r}: expected an integer in {low}..{high}, received {value}")
    return value


def register(studio):
    studio.add_page("/attention", "Attention", "attention.html",
                    "attention maps and sampling with temperature")

    def vocabulary_of(name):
        given = studio.state.get("vocabularies", {})
        if name in given:
            return given[name]
        if name.startswith("run:") and name[4:] in studio.runs:
            settings = run_info(name[4:], studio.runs[name[4:]])["settings"] or {}
            vocabulary = settings.get("vocabulary")
            if isinstance(vocabulary, str) and vocabulary and len(set(vocabulary)) == len(vocabulary):
                return vocabulary
        return None

    def entry(name):
        """The page's view of source ``name``, or a StudioError saying why it has no attention."""
        info = studio.source(name).run(describe)
        if not info["layers"]:
            raise StudioError(400, f"argument 'source': expected a model with MultiHeadAttention layers, "
                                   f"received {name!r}, a {info['class']} without any")
        vocabulary = vocabulary_of(name)
        if vocabulary is not None and info["vocabulary_size"] not in (None, len(vocabulary)):
            vocabulary = None            # the record does not fit the model: fall back to token ids
        return {"source": name, "description": studio.sources[name].description, **info,
                "vocabulary": vocabulary}

    def models(request):
        found, skipped = [], []
        for name in sorted(studio.sources):
            try:
                found.append(entry(name))
            except StudioError as error:
                skipped.append({"source": name, "reason": error.message})
        return {"models": found, "skipped": skipped}

    def chosen(request):
        name = request.query.get("source") or None
        if name is None:
            usable = models(request)["models"]
            if not usable:
                raise StudioError(404, "no model with attention layers: give the studio a run folder of "
                                       "`scratchnn train --model gpt` (or a model with MultiHeadAttention)")
            return usable[0]
        if name not in studio.sources:
            raise StudioError(404, f"argument 'source': no model source {name!r}; the studio has "
                                   f"{sorted(studio.sources)}")
        return entry(name)

    def prompt_of(request):
        info = chosen(request)
        return info, _Prompt(request, info, info["vocabulary"])

    def maps(request):
        info, prompt = prompt_of(request)
        _, records = studio.source(info["source"]).run(lambda model: capture(model, prompt.ids))
        calls = {}
        layers = []
        for path, scores in records:
            calls[path] = calls.get(path, 0) + 1
            name = path if calls[path] == 1 else f"{path} (call {calls[path]})"
            layers.append({"name": name, "heads": int(scores.shape[0]), "scores": np.round(scores, 6)})
        return {"source": info["source"], "ids": prompt.ids, "tokens": prompt.decode(prompt.ids),
                "layers": layers}

    def next_token(request):
        info, prompt = prompt_of(request)
        settings = sampling_settings(request)
        count = _bounded_int(request, "count", 20, 1, 1000)
        logits, _ = studio.source(info["source"]).run(
            lambda model: capture(model, prompt.ids, attention=False))
        sampler = make_sampler(**settings)
        probabilities = sampler.probabilities(logits)
        order = np.argsort(-probabilities, kind="stable")[:count]
        labels = prompt.decode(order)
        kept = int(np.count_nonzero(probabilities))
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = float(-np.sum(np.where(probabilities > 0, probabilities * np.log(probabilities), 0.0)))
        return {"source": info["source"], "tokens": prompt.decode(prompt.ids), **settings,
                "sampler": repr(sampler), "kept": kept, "vocabulary_size": int(logits.shape[0]),
                "entropy_bits": entropy / math.log(2),
                "next": [{"id": int(i), "token": t, "probability": float(probabilities[i]),
                          "logit": float(logits[i])} for i, t in zip(order, labels)]}

    def sample(request):
        info, prompt = prompt_of(request)
        settings = sampling_settings(request)
        tokens = _bounded_int(request, "tokens", 20, 1, MAX_NEW_TOKENS)
        seed = _bounded_int(request, "seed", 0, 0, 2**31 - 1)

        def extend(model):
            return generate(model, np.asarray(prompt.ids, dtype=np.int64), tokens, seed=seed,
                            block_size=info["context"], **settings)

        ids = [int(i) for i in studio.source(info["source"]).run(extend)]
        labels = prompt.decode(ids)
        joiner = "" if prompt.vocabulary is not None else " "
        return {"source": info["source"], **settings, "seed": seed, "tokens": tokens, "ids": ids,
                "prompt_length": len(prompt.ids), "context": info["context"],
                "text": joiner.join(labels), "new": joiner.join(labels[len(prompt.ids):])}

    studio.route("GET", "/api/attention/models", models)
    studio.route("GET", "/api/attention/maps", maps)
    studio.route("GET", "/api/attention/next", next_token)
    studio.route("GET", "/api/attention/sample", sample)
